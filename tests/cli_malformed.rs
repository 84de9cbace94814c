//! Every malformed input gives exit status 2 and one message naming the file and the place,
//! never the CLK contents or block ids, and leaves no output or temporary file behind, whether
//! it is converted, inspected or linked.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use clklink::io::{write_clks, Format};
use clklink::Clks;

/// Base64 of a CLK used in the inputs; it must never appear in a message.
const CLK: &str = "TdC999jKpKY=";
const CLK_STEM: &str = "TdC999jKpKY";
/// A block id / key that must never appear in a message.
const SECRET: &str = "SMITH1970";

enum Content {
    Bytes(Vec<u8>),
    Dir,
    Missing,
}

struct Case {
    name: &'static str,
    file: &'static str,
    content: Content,
    args: &'static [&'static str],
    /// Text the message must contain besides the file name (the place, usually).
    place: &'static str,
}

fn json(name: &'static str, text: &str, place: &'static str) -> Case {
    Case {
        name,
        file: "in.json",
        content: Content::Bytes(
            text.replace("CLK", CLK)
                .replace("SECRET", SECRET)
                .into_bytes(),
        ),
        args: &[],
        place,
    }
}

fn native_bytes(n: usize) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.clk");
    let recs: Vec<[u8; 8]> = (0..n)
        .map(|i| [i as u8, 0x4d, 0xd0, 0xbd, 0xf7, 0xd8, 0xca, 0xa4])
        .collect();
    let clks = Clks::from_records(8, recs.iter().map(|r| r.as_slice()));
    write_clks(&clks, &p, Format::Native, None).unwrap();
    fs::read(p).unwrap()
}

/// Overwrites the stored popcount of record `i` of a native file.
fn set_popcount(b: &mut [u8], i: usize, value: u32) {
    let offset = u64::from_le_bytes(b[48..56].try_into().unwrap()) as usize + 4 * i;
    b[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
}

fn native(name: &'static str, mutate: impl FnOnce(&mut Vec<u8>), place: &'static str) -> Case {
    let mut b = native_bytes(3);
    mutate(&mut b);
    Case {
        name,
        file: "in.clk",
        content: Content::Bytes(b),
        args: &[],
        place,
    }
}

fn cases() -> Vec<Case> {
    let clk_bytes = [0x4du8, 0xd0, 0xbd, 0xf7, 0xd8, 0xca, 0xa4, 0xa6];
    let mut id_bin = Vec::new();
    for id in [0u32, 5] {
        id_bin.extend_from_slice(&id.to_be_bytes());
        id_bin.extend_from_slice(&clk_bytes);
    }
    vec![
        json("empty file", "", "file is empty"),
        json("blank file", "   \n", "line 2, column 0"),
        json("not JSON", "hello", "line 1, column 1"),
        json("truncated JSON", r#"{"clks": ["CLK", "#, "line 1, column"),
        json(
            "trailing garbage",
            r#"{"clks": ["CLK"]} x"#,
            "line 1, column 28",
        ),
        json(
            "wrong top-level key",
            r#"{"clk": ["CLK"]}"#,
            "not a CLK JSON file",
        ),
        json("top-level array", r#"["CLK"]"#, "expected a JSON object"),
        json("top-level string", r#""CLK""#, "line 1"),
        json("clks not an array", r#"{"clks": "CLK"}"#, "\"clks\""),
        json("number CLK", r#"{"clks": ["CLK", 5]}"#, "record 1"),
        json("null CLK", r#"{"clks": ["CLK", null]}"#, "record 1"),
        json(
            "object CLK",
            r#"{"clks": ["CLK", {"a": "CLK"}]}"#,
            "record 1",
        ),
        json(
            "bad padding",
            r#"{"clks": ["CLK", "TdC999jKpKY"]}"#,
            "record 1",
        ),
        json(
            "superfluous padding",
            r#"{"clks": ["CLK", "CLK="]}"#,
            "record 1",
        ),
        json(
            "dangling base64 character",
            r#"{"clks": ["CLK", "TdC99"]}"#,
            "record 1",
        ),
        json("empty CLK", r#"{"clks": ["CLK", ""]}"#, "record 1"),
        json(
            "mixed lengths",
            r#"{"clks": ["CLK", "CLK", "AAAA"]}"#,
            "record 2",
        ),
        json(
            "clknblocks empty record",
            r#"{"clknblocks": [["CLK", "SECRET"], []]}"#,
            "record 1",
        ),
        json(
            "clknblocks float block id",
            r#"{"clknblocks": [["CLK", 1.5]]}"#,
            "record 0",
        ),
        json(
            "clknblocks null block id",
            r#"{"clknblocks": [["CLK", "SECRET"], ["CLK", null]]}"#,
            "record 1",
        ),
        json(
            "clknblocks record not an array",
            r#"{"clknblocks": ["CLK"]}"#,
            "record 0",
        ),
        json(
            "clknblocks CLK not a string",
            r#"{"clknblocks": [["CLK"], [7, "SECRET"]]}"#,
            "record 1",
        ),
        json(
            "blocks key out of range",
            r#"{"encodings": ["CLK"], "blocks": {"0": ["SECRET"], "5": ["SECRET"]}}"#,
            "\"blocks\" entry 1",
        ),
        json(
            "blocks key not an integer",
            r#"{"encodings": ["CLK"], "blocks": {"SECRET": ["x"]}}"#,
            "\"blocks\" entry 0",
        ),
        json(
            "blocks key twice",
            r#"{"encodings": ["CLK", "CLK"], "blocks": {"1": ["SECRET"], "1": ["x"]}}"#,
            "\"blocks\" entry 1",
        ),
        json(
            "blocks not an object",
            r#"{"encodings": ["CLK"], "blocks": ["SECRET"]}"#,
            "\"blocks\"",
        ),
        json(
            "blocks with clks",
            r#"{"clks": ["CLK"], "blocks": {"0": ["SECRET"]}}"#,
            "\"blocks\"",
        ),
        json(
            "two record lists",
            r#"{"clks": ["CLK"], "encodings": ["CLK"]}"#,
            "\"encodings\"",
        ),
        Case {
            name: "JSON with the wrong encoding size",
            file: "in.json",
            content: Content::Bytes(format!(r#"{{"clks": ["{CLK}"]}}"#).into_bytes()),
            args: &["--encoding-size", "16"],
            place: "record 0",
        },
        Case {
            name: "binary length not a multiple",
            file: "in.bin",
            content: Content::Bytes([clk_bytes.as_slice(), &clk_bytes[..3]].concat()),
            args: &["--encoding-size", "8"],
            place: "byte offset 8",
        },
        Case {
            name: "binary length not a multiple (odd size)",
            file: "in.bin",
            content: Content::Bytes(vec![1u8; 10]),
            args: &["--encoding-size", "3"],
            place: "byte offset 9",
        },
        Case {
            name: "binary without encoding size",
            file: "in.bin",
            content: Content::Bytes(clk_bytes.to_vec()),
            args: &[],
            place: "--encoding-size",
        },
        Case {
            name: "id-binary wrong id",
            file: "in.idb",
            content: Content::Bytes(id_bin.clone()),
            args: &["--from", "id-binary", "--encoding-size", "8"],
            place: "record 1",
        },
        Case {
            name: "id-binary length not a multiple",
            file: "in.idb",
            content: Content::Bytes(id_bin[..15].to_vec()),
            args: &["--from", "id-binary", "--encoding-size", "8"],
            place: "byte offset 12",
        },
        Case {
            name: "unknown format",
            file: "in.dat",
            content: Content::Bytes(clk_bytes.to_vec()),
            args: &[],
            place: "cannot tell",
        },
        native("native bad magic", |b| b[1] = b'X', "byte offset 0"),
        native("native unknown version", |b| b[8] = 2, "byte offset 8"),
        native("native unknown flags", |b| b[12] = 1, "byte offset 12"),
        native(
            "native bits not a multiple of 8",
            |b| b[16] = 65,
            "byte offset 16",
        ),
        native("native wrong stride", |b| b[32] = 2, "byte offset 32"),
        native(
            "native misaligned data offset",
            |b| b[40] += 8,
            "byte offset 40",
        ),
        native(
            "native wrong popcount offset",
            |b| b[48] += 8,
            "byte offset 48",
        ),
        native(
            "native record count too large",
            |b| b[24..32].copy_from_slice(&u64::MAX.to_le_bytes()),
            "byte offset 24",
        ),
        native(
            "native truncated data",
            |b| b.truncate(b.len() - 5),
            "truncated",
        ),
        native(
            "native truncated header",
            |b| b.truncate(40),
            "byte offset 40",
        ),
        native(
            "native trailing bytes",
            |b| b.extend_from_slice(&[0; 3]),
            "byte offset",
        ),
        native("native bad metadata", |b| b[84] = b'[', "byte offset 84"),
        native(
            "native bits beyond the largest record",
            |b| b[16..24].copy_from_slice(&(8u64 << 40).to_le_bytes()),
            "byte offset 16",
        ),
        native(
            "native stored popcount above the record's bits",
            |b| set_popcount(b, 1, 100),
            "record 1",
        ),
        native(
            "native stored popcount u32::MAX",
            |b| set_popcount(b, 0, u32::MAX),
            "record 0",
        ),
        native(
            "native stored popcount too small",
            |b| set_popcount(b, 2, 1),
            "record 2",
        ),
        native(
            "native with a JSON extension and native magic",
            |b| b[8] = 9,
            "byte offset 8",
        ),
        Case {
            name: "native magic only",
            file: "in.clk",
            content: Content::Bytes(b"\x89CLK\r\n\x1a\n".to_vec()),
            args: &[],
            place: "truncated",
        },
        Case {
            name: "a directory",
            file: "in.json",
            content: Content::Dir,
            args: &[],
            place: "cannot read",
        },
        Case {
            name: "a missing file",
            file: "in.json",
            content: Content::Missing,
            args: &[],
            place: "cannot read",
        },
    ]
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn malformed_inputs_exit_2_with_one_safe_message() {
    let cases = cases();
    assert!(cases.len() >= 25);
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join(case.file);
        match &case.content {
            Content::Bytes(b) => fs::write(&input, b).unwrap(),
            Content::Dir => fs::create_dir(&input).unwrap(),
            Content::Missing => {}
        }
        let before = listing(dir.path());
        let out = dir.path().join("out.clk");
        for sub in ["convert", "inspect", "link"] {
            let mut cmd = Command::cargo_bin("clklink").unwrap();
            cmd.arg(sub).args(case.args).arg(&input);
            match sub {
                "convert" => cmd.arg("-o").arg(&out),
                // The same file twice: linking must refuse it before comparing.
                "link" => cmd.arg(&input).args(["-t", "0.5", "-o"]).arg(&out),
                _ => &mut cmd,
            };
            let o = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
            let mut problems = Vec::new();
            if o.status.code() != Some(2) {
                problems.push(format!("exit status {:?}", o.status.code()));
            }
            if !stderr.contains(&input.display().to_string()) {
                problems.push("file not named".into());
            }
            if !stderr.contains(case.place) {
                problems.push(format!("place `{}` not named", case.place));
            }
            if stderr.trim_end().lines().count() != 1 {
                problems.push("not exactly one line".into());
            }
            if stderr.contains(CLK_STEM) || stderr.contains(SECRET) {
                problems.push("message shows input contents".into());
            }
            let raw = [0x4du8, 0xd0, 0xbd, 0xf7];
            if o.stderr.windows(4).any(|w| w == raw)
                || stderr.to_ascii_lowercase().contains("4dd0bd")
                || stderr.to_ascii_lowercase().contains("4d d0 bd")
            {
                problems.push("message shows raw bytes".into());
            }
            if !o.stdout.is_empty() && sub != "inspect" {
                problems.push("convert printed to stdout".into());
            }
            if listing(dir.path()) != before {
                problems.push(format!("files left behind: {:?}", listing(dir.path())));
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "{} ({sub}): {}\n    stderr: {stderr}",
                    case.name,
                    problems.join(", ")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
