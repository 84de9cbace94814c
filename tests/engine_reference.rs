//! Candidate generation and solving against the outputs of the real anonlink 0.15.3
//! (copies of `shared/reference/` under `tests/data/`).

use std::path::{Path, PathBuf};

use clklink::candidate_file;
use clklink::io::{read_clks, ReadOptions};
use clklink::solve::{solve, Solver};
use clklink::{Clks, Linker};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn load(rel: &str) -> Clks {
    read_clks(&data(rel), &ReadOptions::default()).expect("reference CLKs load")
}

fn encoded(cands: &[clklink::Candidate]) -> Vec<u8> {
    let mut out = Vec::new();
    candidate_file::encode(candidate_file::Layout::default(), cands, &mut out).unwrap();
    out
}

fn splitmix() -> Vec<Clks> {
    (0..3)
        .map(|d| load(&format!("tests/data/splitmix-3x5/clks-{d}.json")))
        .collect()
}

fn febrl() -> (Clks, Clks) {
    (
        load("examples/data/febrl4/clks-a.json"),
        load("examples/data/febrl4/clks-b.json"),
    )
}

#[test]
fn splitmix_candidates_are_byte_identical() {
    let ds = splitmix();
    let all: Vec<&Clks> = ds.iter().collect();
    let cases: [(&[&Clks], Option<usize>, &str); 4] = [
        (&all, None, "candidates-3party-t0.5.bin"),
        (&all, Some(1), "candidates-3party-t0.5-k1.bin"),
        (&all, Some(2), "candidates-3party-t0.5-k2.bin"),
        (&all[..2], None, "candidates-2party-t0.5.bin"),
    ];
    for (sets, k, file) in cases {
        let cands = Linker::new(0.5).k(k).candidates(sets).unwrap();
        let want =
            std::fs::read(data(&format!("tests/data/splitmix-3x5/expected/{file}"))).unwrap();
        assert_eq!(encoded(&cands), want, "{file}");
    }
}

#[test]
fn febrl4_candidates_and_groups_are_byte_identical() {
    let (a, b) = febrl();
    for (t, n_cands, n_groups) in [("0.8", 5442, 4961), ("0.9", 4064, 4064)] {
        let cands = Linker::new(t.parse().unwrap())
            .candidates(&[&a, &b])
            .unwrap();
        assert_eq!(cands.len(), n_cands);
        let want = std::fs::read(data(&format!(
            "tests/data/febrl4/expected/candidates-t{t}.bin"
        )))
        .unwrap();
        assert!(encoded(&cands) == want, "candidates at {t} differ");
        let groups = solve(&cands, Solver::Greedy).unwrap();
        assert_eq!(groups.len(), n_groups);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("groups.json");
        clklink::results::write_groups(&out, &groups).unwrap();
        let want = std::fs::read(data(&format!(
            "tests/data/febrl4/expected/groups-t{t}.json"
        )))
        .unwrap();
        assert!(std::fs::read(&out).unwrap() == want, "groups at {t} differ");
    }
}

#[test]
fn febrl4_precision_and_recall_at_0_8() {
    let (a, b) = febrl();
    let cands = Linker::new(0.8).candidates(&[&a, &b]).unwrap();
    let groups = solve(&cands, Solver::Greedy).unwrap();
    let truth: std::collections::HashSet<(u32, u32)> =
        std::fs::read_to_string(data("examples/data/febrl4/truth.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let (x, y) = l.trim().split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
    let found: Vec<(u32, u32)> = groups
        .iter()
        .map(|g| {
            assert_eq!(g.len(), 2);
            assert_eq!((g[0].0, g[1].0), (0, 1));
            (g[0].1, g[1].1)
        })
        .collect();
    let tp = found.iter().filter(|p| truth.contains(p)).count();
    assert_eq!(tp, found.len(), "precision 1.0");
    assert_eq!(tp, 4961);
    assert_eq!(format!("{:.4}", tp as f64 / truth.len() as f64), "0.9922");
}
