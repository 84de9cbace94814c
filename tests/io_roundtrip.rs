//! Write-then-read round trips across every format, the acceptance conversions of the febrl4
//! example, and the cost of opening a large native file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clklink::io::{read_blocks_file, read_clks, write_clks, Format, ReadOptions};
use clklink::{Clks, Error, Place};
use proptest::prelude::*;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn opts(format: Option<Format>, size: Option<usize>) -> ReadOptions {
    ReadOptions {
        format,
        encoding_size: size,
        ..ReadOptions::default()
    }
}

fn records(clks: &Clks) -> Vec<Vec<u8>> {
    (0..clks.len())
        .map(|i| clks.record_bytes_of(i).to_vec())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn every_format_round_trips(size in 1usize..=300, n in 0usize..=1000, seed in any::<u64>()) {
        let mut state = seed | 1;
        let mut next = || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state as u8 };
        let recs: Vec<Vec<u8>> = (0..n).map(|_| (0..size).map(|_| next()).collect()).collect();
        let clks = Clks::from_records(size, recs.iter().map(|r| r.as_slice()));
        let dir = tempfile::tempdir().unwrap();
        for (format, name) in [
            (Format::Json, "x.json"),
            (Format::Binary, "x.bin"),
            (Format::IdBinary, "x.idbin"),
            (Format::Native, "x.clk"),
        ] {
            let path = dir.path().join(name);
            write_clks(&clks, &path, format, Some("src")).unwrap();
            let back = read_clks(&path, &opts(Some(format), Some(size))).unwrap();
            prop_assert_eq!(back.len(), n);
            prop_assert_eq!(back.record_bytes(), size);
            prop_assert_eq!(records(&back), recs.clone());
            prop_assert_eq!(back.popcounts(), clks.popcounts());
            if format == Format::Native {
                prop_assert!(back.is_mapped() || n == 0);
                clklink::io::verify(&back, &path).unwrap();
            }
            if format == Format::Binary && size % 8 == 0 && n > 0 {
                prop_assert!(back.is_mapped());
            }
        }
    }
}

#[test]
fn febrl_json_native_json_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let input = repo("examples/data/febrl4/clks-a.json");
    let clks = read_clks(&input, &ReadOptions::default()).unwrap();
    assert_eq!((clks.len(), clks.bits()), (5000, 1024));
    let native = dir.path().join("a.clk");
    write_clks(&clks, &native, Format::Native, Some("clks-a.json")).unwrap();
    let back = read_clks(&native, &ReadOptions::default()).unwrap();
    assert!(back.is_mapped());
    let json = dir.path().join("a.json");
    write_clks(&back, &json, Format::Json, None).unwrap();
    assert_eq!(fs::read(&json).unwrap(), fs::read(&input).unwrap());
    let meta = clklink::io::read_native_metadata(&native).unwrap();
    assert_eq!(meta.source.as_deref(), Some("clks-a.json"));
    assert!(meta.created.ends_with('Z'));
}

#[test]
fn febrl_binary_matches_json() {
    let dir = tempfile::tempdir().unwrap();
    let bin = repo("tests/data/febrl4/clks-a.bin");
    let clks = read_clks(&bin, &opts(None, Some(128))).unwrap();
    assert!(clks.is_mapped());
    let json = read_clks(
        &repo("examples/data/febrl4/clks-a.json"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(records(&clks), records(&json));
    assert_eq!(clks.popcounts(), json.popcounts());
    let out = dir.path().join("a.bin");
    write_clks(&clks, &out, Format::Binary, None).unwrap();
    assert_eq!(fs::read(&out).unwrap(), fs::read(&bin).unwrap());
}

#[test]
fn splitmix_json_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for k in 0..3 {
        let input = repo(&format!("tests/data/splitmix-3x5/clks-{k}.json"));
        let clks = read_clks(&input, &ReadOptions::default()).unwrap();
        let out = dir.path().join("x.json");
        write_clks(&clks, &out, Format::Json, None).unwrap();
        assert_eq!(fs::read(&out).unwrap(), fs::read(&input).unwrap());
    }
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

#[test]
fn json_shapes_and_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = write_file(
        d,
        "a.json",
        r#"{"clknblocks": [["TdC999jKpKY=", "1", 7], ["AAECAwQFBgc="], ["AAECAwQF\nBgc=", "7"]]}"#,
    );
    let c = read_clks(&p, &ReadOptions::default()).unwrap();
    let b = c.blocks().unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(
        c.record_bytes_of(0),
        &[77, 208, 189, 247, 216, 202, 164, 166]
    );
    assert_eq!(b.of(0).len(), 2);
    assert!(b.of(1).is_empty());
    assert_eq!(b.of(2), &b.of(0)[1..]);
    assert_eq!(b.name(b.of(0)[1]), "7");

    // clknblocks survive JSON and native round trips.
    for (f, n) in [(Format::Json, "r.json"), (Format::Native, "r.clk")] {
        let out = d.join(n);
        write_clks(&c, &out, f, None).unwrap();
        let back = read_clks(&out, &ReadOptions::default()).unwrap();
        assert_eq!(back.blocks(), c.blocks());
        assert_eq!(records(&back), records(&c));
    }
    let out = d.join("r.json");
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        r#"{"clknblocks": [["TdC999jKpKY=", "1", "7"], ["AAECAwQFBgc="], ["AAECAwQFBgc=", "7"]]}"#
    );

    // encodings + blocks: keys are record indices; absent records are in no block.
    let p = write_file(
        d,
        "e.json",
        r#"{"blocks": {"2": ["x"], "0": ["y", "x"]}, "encodings": ["AA==", "AQ==", "Ag=="]}"#,
    );
    let c = read_clks(&p, &ReadOptions::default()).unwrap();
    let b = c.blocks().unwrap();
    assert_eq!(c.record_bytes_of(2), &[2]);
    assert_eq!(
        b.of(0).iter().map(|&n| b.name(n)).collect::<Vec<_>>(),
        ["y", "x"]
    );
    assert!(b.of(1).is_empty());
    assert_eq!(
        b.of(2).iter().map(|&n| b.name(n)).collect::<Vec<_>>(),
        ["x"]
    );

    // encodings without blocks, and an empty list with a given size.
    let p = write_file(d, "n.json", r#"{"encodings": ["AA==", "AQ=="]}"#);
    let c = read_clks(&p, &ReadOptions::default()).unwrap();
    assert!(c.blocks().is_none());
    let p = write_file(d, "z.json", r#"{"clks": []}"#);
    assert_eq!(
        read_clks(&p, &ReadOptions::default())
            .unwrap()
            .record_bytes(),
        128
    );
    assert_eq!(
        read_clks(&p, &opts(None, Some(8))).unwrap().record_bytes(),
        8
    );
}

#[test]
fn blocks_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        dir.path(),
        "b.json",
        r#"{
    "blocks": {"0": ["000010", "100011"], "3": ["000010"], "2": [5]},
    "meta": {"state": {}, "config": {}, "source": {"clk_count": [4]}, "stats": {}}
}"#,
    );
    let b = read_blocks_file(&p, 4).unwrap();
    assert_eq!(b.len(), 4);
    assert!(b.of(1).is_empty());
    assert_eq!(b.of(3), &b.of(0)[..1]);
    assert_eq!(b.name(b.of(2)[0]), "5");
    // Wrong dataset size.
    assert!(read_blocks_file(&p, 5).unwrap_err().is_bad_input());
    // Key out of range, not an integer.
    for text in [
        r#"{"blocks": {"0": ["a"], "4": ["b"]}}"#,
        r#"{"blocks": {"0": ["a"], "abc": ["b"]}}"#,
        r#"{"blocks": {"0": ["a"], "0": ["b"]}}"#,
    ] {
        let p = write_file(dir.path(), "bad.json", text);
        match read_blocks_file(&p, 4).unwrap_err() {
            Error::BadInput { place, .. } => {
                assert_eq!(place, Place::Field("\"blocks\" entry 1".into()))
            }
            e => panic!("{e}"),
        }
    }
}

/// Opening a 1 GiB native file without checking its stored popcounts reads only its header: a
/// sparse file (header + `set_len`) opens in milliseconds and nothing proportional to its size
/// is read or allocated.
#[test]
fn an_empty_party_written_as_raw_binary_reads_back_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.bin");
    write_clks(&Clks::empty(128), &path, Format::Binary, None).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), 0);
    let back = read_clks(&path, &opts(None, Some(128))).unwrap();
    assert_eq!((back.len(), back.record_bytes()), (0, 128));
    // Without a record size, or under another extension, an empty file is an error.
    assert!(read_clks(&path, &opts(None, None)).is_err());
    let other = dir.path().join("empty.json");
    fs::write(&other, b"").unwrap();
    assert!(read_clks(&other, &opts(None, Some(128))).is_err());
}

#[test]
fn opening_a_large_native_file_reads_only_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.clk");
    let n: u64 = 8_126_464; // 8126464 × (128 + 4) bytes ≈ 1.0 GiB
    make_sparse_native(&path, n, 128);
    let t = Instant::now();
    let trust = ReadOptions {
        trust_stored_popcounts: true,
        ..ReadOptions::default()
    };
    let clks = read_clks(&path, &trust).unwrap();
    let elapsed = t.elapsed();
    assert_eq!(clks.len() as u64, n);
    assert_eq!(clks.bits(), 1024);
    assert!(clks.is_mapped());
    assert!(elapsed.as_millis() < 500, "open took {elapsed:?}");
}

/// Writes a valid native header for `n` zero records of `bytes` bytes and extends the file to its
/// full length without writing the data (a sparse file).
fn make_sparse_native(path: &Path, n: u64, bytes: u64) {
    let small = Clks::from_records(bytes as usize, std::iter::empty());
    let tmp = path.with_extension("tmp");
    write_clks(&small, &tmp, Format::Native, None).unwrap();
    let mut header = fs::read(&tmp).unwrap();
    let data_offset = u64::from_le_bytes(header[40..48].try_into().unwrap());
    let stride = bytes.div_ceil(8);
    let pop = data_offset + n * stride * 8;
    let len = pop + 4 * n;
    header[24..32].copy_from_slice(&n.to_le_bytes());
    header[48..56].copy_from_slice(&pop.to_le_bytes());
    header[72..80].copy_from_slice(&len.to_le_bytes());
    let mut f = fs::File::create(path).unwrap();
    f.write_all(&header).unwrap();
    f.set_len(len).unwrap();
}
