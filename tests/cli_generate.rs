//! `clklink generate` end to end.

use assert_cmd::Command;
use std::path::Path;

fn gen(dir: &Path, seed: &str, parties: &str) {
    Command::cargo_bin("clklink")
        .unwrap()
        .args([
            "generate",
            "--records",
            "500",
            "--parties",
            parties,
            "--overlap",
            "0.6",
        ])
        .args(["--noise", "0.05", "--seed", seed, "-o"])
        .arg(dir)
        .assert()
        .success();
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn reproducible_with_seed() {
    let t = tempfile::tempdir().unwrap();
    let (a, b, c) = (t.path().join("a"), t.path().join("b"), t.path().join("c"));
    gen(&a, "42", "2");
    gen(&b, "42", "2");
    gen(&c, "43", "2");
    let fa = files(&a);
    let names: Vec<_> = fa.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["clks-0.json", "clks-1.json", "generate.json", "truth.csv"]
    );
    assert_eq!(fa, files(&b));
    let fc = files(&c);
    assert_ne!(fa[0].1, fc[0].1);
    assert_ne!(fa[3].1, fc[3].1);
    let truth = String::from_utf8(fa[3].1.clone()).unwrap();
    assert!(truth.starts_with("a,b\n"));
    assert_eq!(truth.lines().count(), 301);
    let clks: serde_json::Value = serde_json::from_slice(&fa[0].1).unwrap();
    assert_eq!(clks["clks"].as_array().unwrap().len(), 500);
    assert!(!fa[0].1.ends_with(b"\n"));
}

#[test]
fn multiparty_truth_is_evaluable() {
    let t = tempfile::tempdir().unwrap();
    gen(t.path(), "1", "3");
    let truth = std::fs::read_to_string(t.path().join("truth.csv")).unwrap();
    assert!(truth.starts_with("p0,p1,p2\n"));
    let g = clklink::evaluate::read_truth(&t.path().join("truth.csv")).unwrap();
    assert_eq!(g.groups.len(), 300);
    assert!(g.groups.iter().all(|x| x.len() == 3));
}

#[test]
fn bad_arguments() {
    let t = tempfile::tempdir().unwrap();
    Command::cargo_bin("clklink")
        .unwrap()
        .args(["generate", "--records", "10", "--bits", "1001", "-o"])
        .arg(t.path())
        .assert()
        .code(2);
}

/// Generates two parties of `records` CLKs of `bits` bits (default noise 0.05, native files),
/// links them at 0.8 and returns `clklink evaluate --json` against the generated truth.
fn link_generated(records: &str, bits: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let gen = dir.path().join("gen");
    Command::cargo_bin("clklink")
        .unwrap()
        .args(["--quiet", "generate", "--records", records, "--bits", bits])
        .args(["--seed", "11", "--format", "native", "-o"])
        .arg(&gen)
        .assert()
        .success();
    let groups = dir.path().join("groups.json");
    Command::cargo_bin("clklink")
        .unwrap()
        .args(["--quiet", "link", "-t", "0.8", "-o"])
        .arg(&groups)
        .arg(gen.join("clks-0.clk"))
        .arg(gen.join("clks-1.clk"))
        .assert()
        .success();
    let out = Command::cargo_bin("clklink")
        .unwrap()
        .args(["evaluate", "--json", "--truth"])
        .arg(gen.join("truth.csv"))
        .arg(&groups)
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn linking_generated_data_recovers_its_truth() {
    // Default noise (0.05): true pairs score about 0.87 and above, random pairs at most about
    // 0.74, so linking at 0.8 finds every true pair and nothing else.
    let v = link_generated("2000", "1024");
    assert_eq!(v["true_positives"], 1000);
    assert_eq!(v["false_positives"], 0);
    assert_eq!(v["false_negatives"], 0);
    assert_eq!(v["precision"], 1.0);
    assert_eq!(v["recall"], 1.0);
}

#[test]
fn linking_records_longer_than_the_bitsliced_kernel_counts() {
    // 8192-bit CLKs: past the bit-sliced kernel's counters, so a classic kernel links them.
    let v = link_generated("600", "8192");
    assert_eq!(v["true_positives"], 300);
    assert_eq!(v["false_positives"], 0);
    assert_eq!(v["false_negatives"], 0);
}
