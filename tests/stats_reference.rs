//! The stats of real anonlink 0.15.3 runs, reproduced byte for byte.

use clklink::candidate_file::read_candidates;
use clklink::stats::{nonmatch_index_score, StatsReport};
use std::path::PathBuf;

fn data(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(p)
}

fn check(cands: &str, bins: usize, expected: &str) {
    let (_, c) = read_candidates(&data(cands)).unwrap();
    let report = StatsReport::new(&c, bins).unwrap();
    let want = std::fs::read_to_string(data(expected)).unwrap();
    assert_eq!(report.to_json(), want, "{expected}");
}

#[test]
fn febrl4_t08() {
    check(
        "febrl4/expected/candidates-t0.8.bin",
        100,
        "febrl4/expected/stats-t0.8.json",
    );
}

#[test]
fn febrl4_t09() {
    check(
        "febrl4/expected/candidates-t0.9.bin",
        100,
        "febrl4/expected/stats-t0.9.json",
    );
}

#[test]
fn splitmix_two_party_bins4() {
    check(
        "splitmix-3x5/expected/candidates-2party-t0.5.bin",
        4,
        "splitmix-3x5/expected/stats-2party-t0.5-bins4.json",
    );
    let (_, c) =
        read_candidates(&data("splitmix-3x5/expected/candidates-2party-t0.5.bin")).unwrap();
    assert_eq!(nonmatch_index_score(&c, 1).unwrap(), 3);
    assert_eq!(nonmatch_index_score(&c, 3).unwrap(), 5);
}

#[test]
fn three_party_is_histogram_only() {
    let (_, c) =
        read_candidates(&data("splitmix-3x5/expected/candidates-3party-t0.5.bin")).unwrap();
    let r = StatsReport::new(&c, 4).unwrap();
    assert!(r.bipartite.is_none());
    assert_eq!(r.counts.iter().sum::<u64>(), 37);
}
