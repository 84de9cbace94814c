//! `clklink link` end to end: the service's result formats, byte for byte where the reference
//! has them; invariants where the output is random (permutations).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn clklink() -> Command {
    let mut c = Command::cargo_bin("clklink").unwrap();
    c.arg("--quiet");
    c
}

fn splitmix(d: usize) -> PathBuf {
    data(&format!("tests/data/splitmix-3x5/clks-{d}.json"))
}

fn expected(rel: &str) -> Vec<u8> {
    std::fs::read(data(&format!("tests/data/{rel}"))).unwrap()
}

#[test]
fn two_party_groups_scores_and_binary_scores_match_reference() {
    let dir = tempfile::tempdir().unwrap();
    let groups = dir.path().join("groups.json");
    clklink()
        .args(["link", "-t", "0.5", "-o"])
        .arg(&groups)
        .arg(splitmix(0))
        .arg(splitmix(1))
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&groups).unwrap(),
        expected("splitmix-3x5/expected/groups-2party-t0.5.json")
    );

    let out = clklink()
        .args(["link", "-t", "0.5", "--result-type", "similarity-scores"])
        .arg(splitmix(0))
        .arg(splitmix(1))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        out.stdout,
        expected("splitmix-3x5/expected/similarity_scores-2party-t0.5.json")
    );

    let bin = dir.path().join("scores.bin");
    clklink()
        .args([
            "link",
            "-t",
            "0.5",
            "--result-type",
            "similarity-scores",
            "--scores-format",
            "binary",
            "-o",
        ])
        .arg(&bin)
        .arg(splitmix(0))
        .arg(splitmix(1))
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&bin).unwrap(),
        expected("splitmix-3x5/expected/candidates-2party-t0.5.bin")
    );
}

#[test]
fn three_party_solvers_match_reference() {
    let dir = tempfile::tempdir().unwrap();
    for (solver_args, file) in [
        (vec!["--solver", "greedy"], "groups-3party-greedy-t0.5.json"),
        (
            vec![
                "--solver",
                "probabilistic",
                "--merge-threshold",
                "0.5",
                "--deduplicated",
            ],
            "groups-3party-probabilistic-mt0.5-dedup-t0.5.json",
        ),
    ] {
        let out = dir.path().join(file);
        clklink()
            .args(["link", "-t", "0.5"])
            .args(&solver_args)
            .arg("-o")
            .arg(&out)
            .args([splitmix(0), splitmix(1), splitmix(2)])
            .assert()
            .success();
        assert_eq!(
            std::fs::read(&out).unwrap(),
            expected(&format!("splitmix-3x5/expected/{file}")),
            "{file}"
        );
    }
}

#[test]
fn febrl4_groups_and_scores_match_reference() {
    let dir = tempfile::tempdir().unwrap();
    let a = data("examples/data/febrl4/clks-a.json");
    let b = data("examples/data/febrl4/clks-b.json");
    let groups = dir.path().join("g.json");
    let status = dir.path().join("status.json");
    clklink()
        .args(["link", "-t", "0.8", "-o"])
        .arg(&groups)
        .arg("--status")
        .arg(&status)
        .args([&a, &b])
        .assert()
        .success();
    assert!(std::fs::read(&groups).unwrap() == expected("febrl4/expected/groups-t0.8.json"));
    let st: serde_json::Value = serde_json::from_slice(&std::fs::read(&status).unwrap()).unwrap();
    assert_eq!(st["state"], "completed");
    assert_eq!(st["stages"], 3);
    assert_eq!(st["current_stage"]["number"], 3);
    assert_eq!(st["total_number_comparisons"], 25_000_000);

    // The same records as raw binary (the service's /binaryclks body) give the same groups.
    let from_bin = dir.path().join("g-bin.json");
    clklink()
        .args(["link", "-t", "0.8", "--encoding-size", "128", "-o"])
        .arg(&from_bin)
        .arg(data("tests/data/febrl4/clks-a.bin"))
        .arg(data("tests/data/febrl4/clks-b.bin"))
        .assert()
        .success();
    assert!(std::fs::read(&from_bin).unwrap() == expected("febrl4/expected/groups-t0.8.json"));

    let scores = dir.path().join("s.json");
    clklink()
        .args([
            "link",
            "-t",
            "0.9",
            "--result-type",
            "similarity-scores",
            "-o",
        ])
        .arg(&scores)
        .args([&a, &b])
        .assert()
        .success();
    assert!(
        std::fs::read(&scores).unwrap() == expected("febrl4/expected/similarity_scores-t0.9.json")
    );
}

#[test]
fn several_thresholds_equal_separate_runs() {
    let dir = tempfile::tempdir().unwrap();
    let a = data("examples/data/febrl4/clks-a.json");
    let b = data("examples/data/febrl4/clks-b.json");
    for rt in ["groups", "similarity-scores"] {
        let multi = dir.path().join(format!("{rt}.json"));
        clklink()
            .args(["link", "--result-type", rt, "-t", "0.85,0.8,0.9", "-o"])
            .arg(&multi)
            .args([&a, &b])
            .assert()
            .success();
        for t in ["0.8", "0.85", "0.9"] {
            let single = dir.path().join(format!("single-{rt}-{t}.json"));
            clklink()
                .args(["link", "--result-type", rt, "-t", t, "-o"])
                .arg(&single)
                .args([&a, &b])
                .assert()
                .success();
            let derived = dir.path().join(format!("{rt}-t{t}.json"));
            assert!(
                std::fs::read(&derived).unwrap() == std::fs::read(&single).unwrap(),
                "{rt} at {t}"
            );
        }
    }
    assert!(
        std::fs::read(dir.path().join("groups-t0.8.json")).unwrap()
            == expected("febrl4/expected/groups-t0.8.json")
    );
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn ints(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

#[test]
fn permutations_are_bijections_whose_mask_marks_the_groups() {
    let dir = tempfile::tempdir().unwrap();
    let a = data("examples/data/febrl4/clks-a.json");
    let b = data("examples/data/febrl4/clks-b.json");
    let perms = dir.path().join("perms");
    let groups = dir.path().join("groups.json");
    clklink()
        .args([
            "link",
            "-t",
            "0.8",
            "--result-type",
            "permutations",
            "--seed",
            "7",
            "-o",
        ])
        .arg(&perms)
        .args([&a, &b])
        .assert()
        .success();
    clklink()
        .args(["link", "-t", "0.8", "-o"])
        .arg(&groups)
        .args([&a, &b])
        .assert()
        .success();
    let p0 = read_json(&perms.join("permutation-0.json"));
    let p1 = read_json(&perms.join("permutation-1.json"));
    let mask = ints(&read_json(&perms.join("mask.json"))["mask"]);
    assert_eq!(p0["rows"], 5000);
    assert_eq!(mask.len(), 5000);
    let (perm0, perm1) = (ints(&p0["permutation"]), ints(&p1["permutation"]));
    for perm in [&perm0, &perm1] {
        let set: BTreeSet<u64> = perm.iter().copied().collect();
        assert_eq!(set, (0..5000).collect());
    }
    // Invert: position -> original row.
    let mut inv0 = vec![0u64; 5000];
    let mut inv1 = vec![0u64; 5000];
    for (row, &pos) in perm0.iter().enumerate() {
        inv0[pos as usize] = row as u64;
    }
    for (row, &pos) in perm1.iter().enumerate() {
        inv1[pos as usize] = row as u64;
    }
    let marked: BTreeSet<(u64, u64)> = mask
        .iter()
        .enumerate()
        .filter(|(_, &m)| m == 1)
        .map(|(p, _)| (inv0[p], inv1[p]))
        .collect();
    let want: BTreeSet<(u64, u64)> = read_json(&groups)["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g[0][1].as_u64().unwrap(), g[1][1].as_u64().unwrap()))
        .collect();
    assert_eq!(marked.len(), 4961);
    assert_eq!(marked, want);
}

#[test]
fn five_parties_of_different_sizes() {
    // Party k holds the first 5 - k records... of the splitmix datasets, repeated so that
    // parties share exact copies (Dice 1.0), which must group across all parties.
    let dir = tempfile::tempdir().unwrap();
    let full: serde_json::Value = read_json(&splitmix(0));
    let clks = full["clks"].as_array().unwrap();
    let mut paths = Vec::new();
    for p in 0..5 {
        let subset: Vec<_> = clks[..5 - p].to_vec();
        let path = dir.path().join(format!("p{p}.json"));
        std::fs::write(&path, serde_json::json!({ "clks": subset }).to_string()).unwrap();
        paths.push(path);
    }
    let out = dir.path().join("groups.json");
    clklink()
        .args(["link", "-t", "0.99", "-o"])
        .arg(&out)
        .args(&paths)
        .assert()
        .success();
    let groups = read_json(&out)["groups"].as_array().unwrap().clone();
    // Record r is in parties 0..5-r: groups of sizes 5, 4, 3, 2 (record 4 is only in party 0).
    let sizes: Vec<usize> = groups.iter().map(|g| g.as_array().unwrap().len()).collect();
    assert_eq!(sizes, vec![5, 4, 3, 2]);
    for (r, g) in groups.iter().enumerate() {
        for (p, member) in g.as_array().unwrap().iter().enumerate() {
            assert_eq!(member[0], p as u64);
            assert_eq!(member[1], r as u64);
        }
    }
}

#[test]
fn bad_arguments_exit_2_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    for (args, needle) in [
        (vec!["-t", "0"], "threshold"),
        (vec!["-t", "1.5"], "threshold"),
        (vec!["-t", "abc"], "threshold"),
    ] {
        let assert = clklink()
            .arg("link")
            .args(&args)
            .arg("-o")
            .arg(&out)
            .args([splitmix(0), splitmix(1)])
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!out.exists());
    }
    let assert = clklink()
        .args(["link", "-t", "0.5", "--result-type", "permutations"])
        .args([splitmix(0), splitmix(1)])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("output directory"), "{err}");
    clklink()
        .args(["link", "-t", "0.5", "--result-type", "permutations", "-o"])
        .arg(dir.path().join("p"))
        .args([splitmix(0), splitmix(1), splitmix(2)])
        .assert()
        .code(2);
    clklink()
        .args(["link", "-t", "0.5", "-o"])
        .arg(&out)
        .arg(splitmix(0))
        .arg(dir.path().join("missing.json"))
        .assert()
        .code(2);
    let assert = clklink()
        .args(["link", "-t", "0.5", "-o"])
        .arg(&out)
        .args(["-", "-"])
        .write_stdin(std::fs::read(splitmix(0)).unwrap())
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        err.contains("standard input (-) can be read only once"),
        "{err}"
    );
    // An OS error is said once, not repeated by the cause chain.
    let assert = clklink()
        .args(["link", "-t", "0.5", "-o"])
        .arg(&out)
        .arg(splitmix(0))
        .arg(dir.path())
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(err.matches("is a directory").count(), 1, "{err}");
    assert!(!out.exists());
}

#[test]
fn candidate_guard_stops_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let status_dir = tempfile::tempdir().unwrap();
    let status = status_dir.path().join("status.json");
    let assert = clklink()
        .args(["link", "-t", "0.5", "--max-candidates", "5", "-o"])
        .arg(&out)
        .arg("--status")
        .arg(&status)
        .args([splitmix(0), splitmix(1), splitmix(2)])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("more than 5 candidate pairs"), "{err}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // The status file tells a polling script what happened, in the service's shape.
    let st = read_json(&status);
    assert_eq!(st["state"], "error");
    assert_eq!(st["current_stage"]["number"], 2);
    assert!(st["message"].as_str().unwrap().contains("candidate pairs"));
}

#[test]
fn blocks_restrict_comparisons_from_files_and_clknblocks() {
    let dir = tempfile::tempdir().unwrap();
    // Only A0–B3 (block x) and A2–B0 (block y) share a block.
    let blocks_a = dir.path().join("blocks-a.json");
    let blocks_b = dir.path().join("blocks-b.json");
    std::fs::write(&blocks_a, r#"{"blocks": {"0": ["x"], "2": ["y"]}}"#).unwrap();
    std::fs::write(&blocks_b, r#"{"blocks": {"3": ["x"], "0": ["y"]}}"#).unwrap();
    let out = dir.path().join("groups.json");
    let status = dir.path().join("status.json");
    clklink()
        .args(["link", "-t", "0.5", "-o"])
        .arg(&out)
        .arg("--status")
        .arg(&status)
        .args([splitmix(0), splitmix(1)])
        .arg("--blocks")
        .arg(&blocks_a)
        .arg("--blocks")
        .arg(&blocks_b)
        .assert()
        .success();
    let want = r#"{"groups": [[[0, 0], [1, 3]], [[0, 2], [1, 0]]]}"#;
    assert_eq!(std::fs::read_to_string(&out).unwrap(), want);
    assert_eq!(read_json(&status)["total_number_comparisons"], 2);

    // The same blocks inline, as anonlink-client's `clknblocks` upload; integer ids are str()-ed.
    let clks = |d| read_json(&splitmix(d))["clks"].as_array().unwrap().clone();
    let (a, b) = (clks(0), clks(1));
    let with_blocks = |recs: &[serde_json::Value], ids: [&[serde_json::Value]; 5]| {
        let rows: Vec<serde_json::Value> = recs
            .iter()
            .zip(ids)
            .map(|(clk, ids)| {
                let mut row = vec![clk.clone()];
                row.extend(ids.iter().cloned());
                serde_json::Value::Array(row)
            })
            .collect();
        serde_json::json!({ "clknblocks": rows }).to_string()
    };
    let x = serde_json::json!("x");
    let seven = serde_json::json!(7);
    let seven_str = serde_json::json!("7");
    let inline_a = dir.path().join("a.json");
    let inline_b = dir.path().join("b.json");
    std::fs::write(
        &inline_a,
        with_blocks(
            &a,
            [
                std::slice::from_ref(&x),
                &[],
                std::slice::from_ref(&seven),
                &[],
                &[],
            ],
        ),
    )
    .unwrap();
    std::fs::write(
        &inline_b,
        with_blocks(&b, [&[seven_str], &[], &[], &[x], &[]]),
    )
    .unwrap();
    let out2 = dir.path().join("groups2.json");
    clklink()
        .args(["link", "-t", "0.5", "-o"])
        .arg(&out2)
        .args([&inline_a, &inline_b])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&out2).unwrap(), want);

    // Blocks for one dataset but not the other is an error.
    clklink()
        .args(["link", "-t", "0.5"])
        .args([&inline_a])
        .arg(splitmix(1))
        .assert()
        .code(2);
}
