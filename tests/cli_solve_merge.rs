//! `clklink solve` and `clklink merge` end to end.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn clklink() -> Command {
    let mut c = Command::cargo_bin("clklink").unwrap();
    c.arg("--quiet");
    c
}

fn only_file(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn solve_reproduces_reference_groups() {
    let dir = tempfile::tempdir().unwrap();
    let three = data("splitmix-3x5/expected/candidates-3party-t0.5.bin");
    for (args, want) in [
        (
            vec![],
            "splitmix-3x5/expected/groups-3party-greedy-t0.5.json",
        ),
        (
            vec![
                "--solver",
                "probabilistic",
                "--merge-threshold",
                "0.5",
                "--deduplicated",
            ],
            "splitmix-3x5/expected/groups-3party-probabilistic-mt0.5-dedup-t0.5.json",
        ),
    ] {
        let out = dir.path().join("groups.json");
        clklink()
            .arg("solve")
            .arg(&three)
            .args(&args)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        assert_eq!(
            std::fs::read(&out).unwrap(),
            std::fs::read(data(want)).unwrap()
        );
    }
    // Two copies of one file: duplicates are removed before solving; `-o -` writes to stdout.
    let two = data("splitmix-3x5/expected/candidates-2party-t0.5.bin");
    let assert = clklink()
        .arg("solve")
        .arg(&two)
        .arg(&two)
        .args(["-o", "-"])
        .assert()
        .success();
    assert_eq!(
        assert.get_output().stdout,
        std::fs::read(data("splitmix-3x5/expected/groups-2party-t0.5.json")).unwrap()
    );
}

#[test]
fn solve_febrl4() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.json");
    clklink()
        .arg("solve")
        .arg(data("febrl4/expected/candidates-t0.9.bin"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(data("febrl4/expected/groups-t0.9.json")).unwrap()
    );
}

#[test]
fn solve_limits_and_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.json");
    let three = data("splitmix-3x5/expected/candidates-3party-t0.5.bin");
    let a = clklink()
        .arg("solve")
        .arg(&three)
        .args(["--max-candidates", "36", "-o"])
        .arg(&out)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("global limit of candidate pairs"), "{err}");
    assert!(!out.exists());
    clklink()
        .arg("solve")
        .arg(&three)
        .args(["--max-candidates", "37", "-o"])
        .arg(&out)
        .assert()
        .success();
    std::fs::remove_file(&out).unwrap();
    for args in [
        vec!["--merge-threshold", "0.5"],
        vec!["--solver", "probabilistic", "--merge-threshold", "1.5"],
    ] {
        clklink()
            .arg("solve")
            .arg(&three)
            .args(&args)
            .arg("-o")
            .arg(&out)
            .assert()
            .code(2);
        assert!(!out.exists());
    }
}

#[test]
fn malformed_candidate_files_exit_2_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(data("splitmix-3x5/expected/candidates-3party-t0.5.bin")).unwrap();
    let mut unsorted = good.clone();
    // Swap entries 0 and 1 (24 bytes each after the header).
    let (e0, e1) = (good[4..28].to_vec(), good[28..52].to_vec());
    unsorted[4..28].copy_from_slice(&e1);
    unsorted[28..52].copy_from_slice(&e0);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.bin", vec![], "byte offset 0"),
        ("short.bin", vec![1, 8], "byte offset 2"),
        ("version.bin", vec![2, 8, 4, 4], "version 2"),
        ("size.bin", vec![1, 3, 4, 4], "score size 3"),
        ("recsize.bin", vec![1, 8, 4, 5], "byte offset 3"),
        (
            "truncated.bin",
            good[..good.len() - 5].to_vec(),
            "entry 36 is truncated",
        ),
        ("unsorted.bin", unsorted, "record 1"),
    ];
    for (name, bytes, needle) in cases {
        let input = dir.path().join(name);
        std::fs::write(&input, bytes).unwrap();
        for cmd in ["solve", "merge"] {
            let out = dir.path().join("out");
            let a = clklink()
                .arg(cmd)
                .arg(&input)
                .arg("-o")
                .arg(&out)
                .assert()
                .code(2);
            let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
            assert!(err.contains(name), "{cmd} {name}: {err}");
            assert!(err.contains(needle), "{cmd} {name}: {err} lacks {needle}");
            assert!(!out.exists(), "{cmd} {name} left output");
        }
    }
    // Nothing but the inputs remains (no temporary files).
    assert_eq!(only_file(dir.path()).len(), 7);
    clklink()
        .args(["solve", "missing.bin", "-o"])
        .arg(dir.path().join("x"))
        .assert()
        .code(2);
}

#[test]
fn merge_widens_and_keeps_duplicates() {
    // formats.md §9.4: the 14-byte f32/u8/u16 file merged with the 52-byte file.
    let dir = tempfile::tempdir().unwrap();
    let narrow = dir.path().join("narrow.bin");
    std::fs::write(&narrow, [1u8, 4, 1, 2, 0, 0, 0x40, 0x3f, 0, 1, 3, 0, 2, 1]).unwrap();
    let wide_bytes: Vec<u8> = [
        &[1u8, 8, 4, 4][..],
        &[
            0, 0, 0, 0, 0, 0, 0xe8, 0x3f, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 2, 1, 0, 0,
        ],
        &[
            0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0,
        ],
    ]
    .concat();
    let wide = dir.path().join("wide.bin");
    std::fs::write(&wide, &wide_bytes).unwrap();
    let out = dir.path().join("merged.bin");
    clklink()
        .arg("merge")
        .arg(&narrow)
        .arg(&wide)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let want: Vec<u8> = [&wide_bytes[..28], &wide_bytes[4..28], &wide_bytes[28..]].concat();
    assert_eq!(std::fs::read(&out).unwrap(), want);
    // --dedup writes the 0.75 entry once.
    clklink()
        .arg("merge")
        .arg(&narrow)
        .arg(&wide)
        .arg("--dedup")
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(std::fs::read(&out).unwrap(), wide_bytes);
    // A narrow-only merge keeps the narrow layout.
    clklink()
        .arg("merge")
        .arg(&narrow)
        .arg(&narrow)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        [1u8, 4, 1, 2, 0, 0, 0x40, 0x3f, 0, 1, 3, 0, 2, 1, 0, 0, 0x40, 0x3f, 0, 1, 3, 0, 2, 1]
    );
}

#[test]
fn merge_of_reference_parts_gives_the_whole() {
    // The 3-party file split into two sorted halves (alternate entries) merges back exactly.
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(data("splitmix-3x5/expected/candidates-3party-t0.5.bin")).unwrap();
    let mut a = vec![1u8, 8, 4, 4];
    let mut b = a.clone();
    for (i, e) in good[4..].chunks(24).enumerate() {
        if i % 2 == 0 {
            a.extend_from_slice(e)
        } else {
            b.extend_from_slice(e)
        }
    }
    std::fs::write(dir.path().join("a.bin"), a).unwrap();
    std::fs::write(dir.path().join("b.bin"), b).unwrap();
    let out = dir.path().join("m.bin");
    clklink()
        .arg("merge")
        .arg(dir.path().join("b.bin"))
        .arg(dir.path().join("a.bin"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(std::fs::read(&out).unwrap(), good);
}
