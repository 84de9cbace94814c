//! `clklink stats` end to end.

use assert_cmd::Command;
use predicates::str::contains;
use std::path::PathBuf;

fn data(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(p)
}

fn clklink() -> Command {
    Command::cargo_bin("clklink").unwrap()
}

#[test]
fn json_matches_reference_and_plots_render() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("s.json");
    let svg = dir.path().join("s.svg");
    let png = dir.path().join("s.png");
    let cands = data("febrl4/expected/candidates-t0.8.bin");
    let out = clklink()
        .arg("stats")
        .arg(&cands)
        .args(["--threshold", "0.8", "--json"])
        .arg(&json)
        .arg("--plot")
        .arg(&svg)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("possible matches: 4961"), "{text}");
    assert!(text.contains("first definite non-match"));
    assert_eq!(
        std::fs::read(&json).unwrap(),
        std::fs::read(data("febrl4/expected/stats-t0.8.json")).unwrap()
    );
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
    assert!(s.contains("threshold 0.8"));

    clklink()
        .arg("stats")
        .arg(&cands)
        .arg("--plot")
        .arg(&png)
        .assert()
        .success();
    let p = std::fs::read(&png).unwrap();
    assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&p[12..16], b"IHDR");
    let w = u32::from_be_bytes(p[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(p[20..24].try_into().unwrap());
    assert_eq!((w, h), (1000, 760));
}

#[test]
fn merging_duplicates_and_threshold_filter() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("s.json");
    // The 0.8 file twice, filtered at 0.9, gives the 0.9 reference.
    let c = data("febrl4/expected/candidates-t0.8.bin");
    clklink()
        .arg("stats")
        .arg(&c)
        .arg(&c)
        .args(["--threshold", "0.9", "--json"])
        .arg(&json)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&json).unwrap(),
        std::fs::read(data("febrl4/expected/stats-t0.9.json")).unwrap()
    );
}

#[test]
fn bins4_and_multiparty() {
    let out = clklink()
        .arg("stats")
        .arg(data("splitmix-3x5/expected/candidates-2party-t0.5.bin"))
        .args(["--bins", "4", "--json", "-"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let want = std::fs::read(data("splitmix-3x5/expected/stats-2party-t0.5-bins4.json")).unwrap();
    assert!(out.ends_with(&want));
    clklink()
        .arg("stats")
        .arg(data("splitmix-3x5/expected/candidates-3party-t0.5.bin"))
        .args(["--bins", "4"])
        .assert()
        .success()
        .stdout(contains("skipped"));
}

#[test]
fn errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.bin");
    std::fs::write(&bad, [1u8, 8, 4, 4, 0, 0, 0]).unwrap();
    clklink()
        .arg("stats")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(contains("bad.bin"));
    // Malformed candidate files are named as such, with the place, not taken for datasets.
    let version2 = dir.path().join("v2.bin");
    std::fs::write(&version2, [2u8, 8, 4, 4]).unwrap();
    clklink()
        .arg("stats")
        .arg(&version2)
        .assert()
        .code(2)
        .stderr(contains(
            "v2.bin: byte offset 0: unsupported candidate file version 2",
        ));
    let sizes = dir.path().join("sizes.bin");
    std::fs::write(&sizes, [1u8, 3, 4, 4]).unwrap();
    clklink()
        .arg("stats")
        .arg(&sizes)
        .arg(&version2)
        .assert()
        .code(2)
        .stderr(contains("sizes.bin: byte offset 1"));
    clklink()
        .arg("stats")
        .arg(data("splitmix-3x5/clks-0.json"))
        .assert()
        .code(2)
        .stderr(contains("at least two datasets"));
    clklink()
        .arg("stats")
        .arg(data("splitmix-3x5/clks-0.json"))
        .arg(data("febrl4/expected/candidates-t0.8.bin"))
        .assert()
        .code(2)
        .stderr(contains("not both"));
    clklink()
        .arg("stats")
        .arg(dir.path().join("missing.bin"))
        .assert()
        .code(2);
    clklink()
        .arg("stats")
        .arg(data("febrl4/expected/candidates-t0.8.bin"))
        .args(["--plot", "x.jpg"])
        .assert()
        .code(2);
}

#[test]
fn datasets_are_compared_at_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("s.json");
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data/febrl4");
    clklink()
        .args(["--quiet", "stats", "--threshold", "0.9", "--json"])
        .arg(&json)
        .arg(examples.join("clks-a.json"))
        .arg(examples.join("clks-b.json"))
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&json).unwrap(),
        std::fs::read(data("febrl4/expected/stats-t0.9.json")).unwrap()
    );
    let json = dir.path().join("s4.json");
    clklink()
        .args(["--quiet", "stats", "--bins", "4", "--json"])
        .arg(&json)
        .arg(data("splitmix-3x5/clks-0.json"))
        .arg(data("splitmix-3x5/clks-1.json"))
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&json).unwrap(),
        std::fs::read(data("splitmix-3x5/expected/stats-2party-t0.5-bins4.json")).unwrap()
    );
}
