//! Result writers: byte-identical groups and similarity scores, permutations (worked example and
//! invariants), run status.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clklink::candidate_file::read_candidates;
use clklink::results::{
    permutation_rng, permutations, permutations_from_shuffles, similarity_scores_json,
    write_groups, write_permutations, write_similarity_scores, RunStatus, RunType,
};
use clklink::solve::{solve, Group, Solver};
use proptest::prelude::*;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

#[test]
fn similarity_scores_are_byte_identical() {
    for (cands, want) in [
        (
            "splitmix-3x5/expected/candidates-2party-t0.5.bin",
            "splitmix-3x5/expected/similarity_scores-2party-t0.5.json",
        ),
        (
            "febrl4/expected/candidates-t0.8.bin",
            "febrl4/expected/similarity_scores-t0.8.json",
        ),
        (
            "febrl4/expected/candidates-t0.9.bin",
            "febrl4/expected/similarity_scores-t0.9.json",
        ),
    ] {
        let (_, c) = read_candidates(&data(cands)).unwrap();
        let want = std::fs::read(data(want)).unwrap();
        assert_eq!(similarity_scores_json(&c).as_bytes(), &want[..], "{cands}");
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("scores.json");
        write_similarity_scores(&out, &c).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), want);
    }
    assert_eq!(similarity_scores_json(&[]), "{\"similarity_scores\": []}");
}

#[test]
fn groups_files_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    for t in ["0.8", "0.9"] {
        let (_, c) =
            read_candidates(&data(&format!("febrl4/expected/candidates-t{t}.bin"))).unwrap();
        let groups = solve(&c, Solver::Greedy).unwrap();
        let out = dir.path().join(format!("groups-{t}.json"));
        write_groups(&out, &groups).unwrap();
        assert_eq!(
            std::fs::read(&out).unwrap(),
            std::fs::read(data(&format!("febrl4/expected/groups-t{t}.json"))).unwrap()
        );
    }
    let out = dir.path().join("empty.json");
    write_groups(&out, &[]).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "{\"groups\": []}");
}

#[test]
fn permutation_worked_example() {
    // formats.md §10.3.
    let groups: Vec<Group> = vec![vec![(0, 1), (1, 3)], vec![(0, 4), (1, 0)]];
    let p = permutations_from_shuffles(&groups, 5, 4, &[2, 0, 3, 1], vec![3, 4, 1], vec![1, 3])
        .unwrap();
    assert_eq!(p.perm0, vec![1, 2, 4, 3, 0]);
    assert_eq!(p.perm1, vec![0, 3, 1, 2]);
    assert_eq!(p.mask, vec![1, 0, 1, 0]);
    assert_eq!(p.rows, 4);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("perms");
    write_permutations(&out, &p).unwrap();
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    assert_eq!(
        read("permutation-0.json"),
        "{\"permutation\": [1, 2, 4, 3, 0], \"rows\": 4}"
    );
    assert_eq!(
        read("permutation-1.json"),
        "{\"permutation\": [0, 3, 1, 2], \"rows\": 4}"
    );
    assert_eq!(read("mask.json"), "{\"mask\": [1, 0, 1, 0]}");
    // Shuffle results that are not permutations of the right values are refused.
    assert!(
        permutations_from_shuffles(&groups, 5, 4, &[2, 0, 3, 3], vec![3, 4, 1], vec![1, 3])
            .is_err()
    );
    assert!(
        permutations_from_shuffles(&groups, 5, 4, &[2, 0, 3, 1], vec![3, 4], vec![1, 3]).is_err()
    );
}

#[test]
fn permutation_input_checks_and_seeds() {
    let mut rng = permutation_rng(Some(7));
    for bad in [
        vec![vec![(0, 1), (2, 3)]],
        vec![vec![(0, 1), (1, 3), (1, 4)]],
        vec![vec![(0, 9), (1, 0)]],
        vec![vec![(0, 1), (1, 0)], vec![(0, 1), (1, 2)]],
    ] {
        let e = permutations(&bad, 5, 4, &mut rng).unwrap_err();
        assert!(e.is_bad_input());
    }
    let groups: Vec<Group> = vec![vec![(0, 1), (1, 3)], vec![(0, 4), (1, 0)]];
    let a = permutations(&groups, 50, 40, &mut permutation_rng(Some(1))).unwrap();
    let b = permutations(&groups, 50, 40, &mut permutation_rng(Some(1))).unwrap();
    let c = permutations(&groups, 50, 40, &mut permutation_rng(None)).unwrap();
    let d = permutations(&groups, 50, 40, &mut permutation_rng(None)).unwrap();
    assert_eq!(a, b);
    assert!(c != d || a != c, "OS-seeded permutations repeat");
    let empty = permutations(&[], 0, 0, &mut permutation_rng(None)).unwrap();
    assert_eq!((empty.rows, empty.mask.len()), (0, 0));
}

fn check_invariants(groups: &[Group], n0: usize, n1: usize, seed: u64) {
    let p = permutations(groups, n0, n1, &mut permutation_rng(Some(seed))).unwrap();
    let m = n0.min(n1);
    assert_eq!(p.rows, m);
    assert_eq!(p.mask.len(), m);
    for (perm, n) in [(&p.perm0, n0), (&p.perm1, n1)] {
        let mut s = perm.clone();
        s.sort_unstable();
        assert_eq!(s, (0..n as u32).collect::<Vec<_>>());
    }
    // Invert both permutations; the marked positions give back exactly the groups.
    let mut inv0 = vec![0; n0];
    let mut inv1 = vec![0; n1];
    for (i, &q) in p.perm0.iter().enumerate() {
        inv0[q as usize] = i as u32;
    }
    for (i, &q) in p.perm1.iter().enumerate() {
        inv1[q as usize] = i as u32;
    }
    let marked: BTreeSet<(u32, u32)> = (0..m)
        .filter(|&q| p.mask[q] == 1)
        .map(|q| (inv0[q], inv1[q]))
        .collect();
    let want: BTreeSet<(u32, u32)> = groups.iter().map(|g| (g[0].1, g[1].1)).collect();
    assert_eq!(marked, want);
    assert!(p.mask.iter().all(|&x| x <= 1));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn permutation_invariants(
        n0 in 0usize..40,
        n1 in 0usize..40,
        pairs in prop::collection::vec((0u32..40, 0u32..40), 0..40),
        seed in any::<u64>(),
    ) {
        let mut t0 = BTreeSet::new();
        let mut t1 = BTreeSet::new();
        let groups: Vec<Group> = pairs
            .into_iter()
            .filter(|&(a, b)| (a as usize) < n0 && (b as usize) < n1 && t0.insert(a) && t1.insert(b))
            .map(|(a, b)| vec![(0, a), (1, b)])
            .collect();
        check_invariants(&groups, n0, n1, seed);
    }
}

#[test]
fn run_status_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("status.json");
    let mut s = RunStatus::new(RunType::Default, 2);
    s.parties_contributed(1);
    s.write(&path).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["state"], "created");
    assert_eq!(v["stages"], 3);
    assert_eq!(v["current_stage"]["progress"]["relative"], 0.5);
    assert!(v["time_started"].is_null());
    s.queue();
    s.start_comparisons(100);
    s.comparisons_done(250);
    s.write(&path).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["state"], "running");
    assert_eq!(
        v["current_stage"]["description"],
        "compute similarity scores"
    );
    assert_eq!(v["current_stage"]["progress"]["relative"], 1.0);
    assert_eq!(v["current_stage"]["progress"]["absolute"], 250);
    s.start_output();
    s.complete(100);
    s.write(&path).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["state"], "completed");
    assert_eq!(v["total_number_comparisons"], 100);
    assert!(v["current_stage"].get("progress").is_none());
    assert!(v["time_completed"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
