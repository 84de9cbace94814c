//! `clklink evaluate` end to end.

use assert_cmd::Command;
use predicates::str::contains;
use std::path::PathBuf;

fn root(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn clklink() -> Command {
    Command::cargo_bin("clklink").unwrap()
}

#[test]
fn febrl4_acceptance() {
    let out = clklink()
        .args(["evaluate", "--json", "--truth"])
        .arg(root("examples/data/febrl4/truth.csv"))
        .arg(root("tests/data/febrl4/expected/groups-t0.8.json"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let p = v["precision"].as_f64().unwrap();
    let r = v["recall"].as_f64().unwrap();
    let f = v["f1"].as_f64().unwrap();
    assert_eq!(format!("{p:.4} {r:.4} {f:.4}"), "1.0000 0.9922 0.9961");
    assert_eq!(v["true_positives"], 4961);
    assert_eq!(v["false_positives"], 0);
    assert_eq!(v["false_negatives"], 39);
    assert!(v.get("groups").is_none());

    clklink()
        .args(["evaluate", "--truth"])
        .arg(root("examples/data/febrl4/truth.csv"))
        .arg(root("tests/data/febrl4/expected/groups-t0.8.json"))
        .assert()
        .success()
        .stdout(contains("pairwise").and(contains("0.9922")));
}

#[test]
fn multiparty_json_truth() {
    let dir = tempfile::tempdir().unwrap();
    let truth = dir.path().join("truth.json");
    std::fs::write(
        &truth,
        r#"{"groups": [[[0, 0], [1, 0], [2, 0]], [[0, 1], [2, 1]]]}"#,
    )
    .unwrap();
    let res = dir.path().join("res.json");
    std::fs::write(
        &res,
        r#"{"groups": [[[0, 0], [1, 0], [2, 0]], [[0, 1], [1, 1]]]}"#,
    )
    .unwrap();
    let out = clklink()
        .args(["evaluate", "--json", "--truth"])
        .arg(&truth)
        .arg(&res)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["true_positives"], 3);
    assert_eq!(v["false_positives"], 1);
    assert_eq!(v["groups"]["true_positives"], 1);
    assert_eq!(v["groups"]["precision"], 0.5);
}

#[test]
fn errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let res = root("tests/data/febrl4/expected/groups-t0.8.json");
    clklink()
        .args(["evaluate", "--truth"])
        .arg(dir.path().join("missing.csv"))
        .arg(&res)
        .assert()
        .code(2)
        .stderr(contains("missing.csv"));
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n0,1\n1,x\n").unwrap();
    clklink()
        .args(["evaluate", "--truth"])
        .arg(&bad)
        .arg(&res)
        .assert()
        .code(2)
        .stderr(contains("bad.csv").and(contains("line 3")));
    let badres = dir.path().join("res.json");
    std::fs::write(&badres, "{\"groups\": [[[0, 1]").unwrap();
    clklink()
        .args(["evaluate", "--truth"])
        .arg(root("examples/data/febrl4/truth.csv"))
        .arg(&badres)
        .assert()
        .code(2)
        .stderr(contains("res.json"));
}

use predicates::prelude::PredicateBooleanExt;
