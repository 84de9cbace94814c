//! `clklink convert` and `clklink inspect` on the febrl4 example data.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn clklink() -> Command {
    Command::cargo_bin("clklink").unwrap()
}

fn inspect_json(path: &Path, extra: &[&str]) -> serde_json::Value {
    let out = clklink()
        .arg("inspect")
        .arg(path)
        .arg("--json")
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1);
    serde_json::from_str(text.trim()).unwrap()
}

#[test]
fn json_to_native_to_json_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let input = repo("examples/data/febrl4/clks-a.json");
    let clk = dir.path().join("a.clk");
    let json = dir.path().join("a.json");
    clklink()
        .arg("convert")
        .arg(&input)
        .arg("-o")
        .arg(&clk)
        .assert()
        .success();
    clklink()
        .arg("convert")
        .arg(&clk)
        .arg("-o")
        .arg(&json)
        .assert()
        .success();
    assert_eq!(fs::read(&json).unwrap(), fs::read(&input).unwrap());

    let native = inspect_json(&clk, &[]);
    let original = inspect_json(&input, &[]);
    assert_eq!(native["format"], "native");
    assert_eq!(original["format"], "json");
    assert_eq!(native["records"], 5000);
    assert_eq!(native["bits"], 1024);
    assert!(native["blocks"].is_null());
    for key in [
        "records",
        "bits",
        "popcount_min",
        "popcount_mean",
        "popcount_max",
    ] {
        assert_eq!(native[key], original[key], "{key}");
    }
    // Only the files we asked for are there: no stray temporary files.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn binary_to_native_to_binary_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let input = repo("tests/data/febrl4/clks-a.bin");
    let clk = dir.path().join("a.clk");
    let bin = dir.path().join("a.bin");
    let json = dir.path().join("a.json");
    clklink()
        .args(["convert", "--encoding-size", "128"])
        .arg(&input)
        .arg("-o")
        .arg(&clk)
        .assert()
        .success();
    clklink()
        .arg("convert")
        .arg(&clk)
        .arg("-o")
        .arg(&bin)
        .assert()
        .success();
    assert_eq!(fs::read(&bin).unwrap(), fs::read(&input).unwrap());
    // The same CLKs as the JSON example.
    clklink()
        .arg("convert")
        .arg(&clk)
        .arg("-o")
        .arg(&json)
        .assert()
        .success();
    assert_eq!(
        fs::read(&json).unwrap(),
        fs::read(repo("examples/data/febrl4/clks-a.json")).unwrap()
    );
    let b = inspect_json(&input, &["--encoding-size", "128"]);
    assert_eq!(b["format"], "binary");
    assert_eq!(b["records"], 5000);
}

#[test]
fn explicit_formats_and_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let input = repo("examples/data/febrl4/clks-b.json");
    let idb = dir.path().join("b.ids");
    clklink()
        .arg("convert")
        .arg(&input)
        .arg("-o")
        .arg(&idb)
        .args(["--to", "id-binary"])
        .assert()
        .success();
    assert_eq!(fs::metadata(&idb).unwrap().len(), 5000 * 132);
    // id-binary from a file, JSON to standard output.
    let out = clklink()
        .arg("convert")
        .arg(&idb)
        .args([
            "--from",
            "id-binary",
            "--encoding-size",
            "128",
            "--to",
            "json",
            "-o",
            "-",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(out, fs::read(&input).unwrap());
    // JSON from standard input.
    let out = clklink()
        .args(["convert", "-", "--to", "json", "-o", "-"])
        .write_stdin(fs::read(&input).unwrap())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(out, fs::read(&input).unwrap());
}

#[test]
fn inspect_text_output() {
    let out = clklink()
        .arg("inspect")
        .arg(repo("examples/data/febrl4/clks-a.json"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("records:         5000"));
    assert!(text.contains("bits per record: 1024"));
    assert!(text.contains('#'));
}

#[test]
fn unknown_output_extension_needs_to() {
    let dir = tempfile::tempdir().unwrap();
    clklink()
        .arg("convert")
        .arg(repo("examples/data/febrl4/clks-a.json"))
        .arg("-o")
        .arg(dir.path().join("a.out"))
        .assert()
        .code(2);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}
