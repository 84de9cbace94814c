//! Solvers against anonlink 0.15.3: reference outputs, the spec's tables and worked examples,
//! randomized cases solved by the real anonlink, and the two-party fast path against the general
//! rules.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clklink::candidate_file::read_candidates;
use clklink::results::groups_json;
use clklink::solve::{
    canonicalise, solve, solve_general_native_order, solve_native_order, Group, Solver,
};
use clklink::Candidate;
use proptest::prelude::*;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn load(rel: &str) -> Vec<Candidate> {
    read_candidates(&data(rel)).unwrap().1
}

fn expected(rel: &str) -> String {
    std::fs::read_to_string(data(rel)).unwrap()
}

/// Candidates from `(d0, r0, d1, r1)` in input order, with descending dummy scores.
fn cands(pairs: &[(u32, u32, u32, u32)]) -> Vec<Candidate> {
    let n = pairs.len() as f64;
    pairs
        .iter()
        .enumerate()
        .map(|(i, &(dset0, rec0, dset1, rec1))| Candidate {
            score: 1.0 - i as f64 / (n + 1.0),
            dset0,
            dset1,
            rec0,
            rec1,
        })
        .collect()
}

fn prob(merge_threshold: f64, deduplicated: bool) -> Solver {
    Solver::Probabilistic {
        merge_threshold,
        deduplicated,
    }
}

/// Groups as a set of sets.
fn as_sets(groups: &[Group]) -> BTreeSet<BTreeSet<(u32, u32)>> {
    groups.iter().map(|g| g.iter().copied().collect()).collect()
}

fn set_of(groups: &[&[(u32, u32)]]) -> BTreeSet<BTreeSet<(u32, u32)>> {
    groups.iter().map(|g| g.iter().copied().collect()).collect()
}

#[test]
fn splitmix_reference_groups_are_byte_identical() {
    for (cand_file, solver, groups_file) in [
        (
            "splitmix-3x5/expected/candidates-2party-t0.5.bin",
            Solver::Greedy,
            "splitmix-3x5/expected/groups-2party-t0.5.json",
        ),
        (
            "splitmix-3x5/expected/candidates-3party-t0.5.bin",
            Solver::Greedy,
            "splitmix-3x5/expected/groups-3party-greedy-t0.5.json",
        ),
        (
            "splitmix-3x5/expected/candidates-3party-t0.5.bin",
            prob(0.5, true),
            "splitmix-3x5/expected/groups-3party-probabilistic-mt0.5-dedup-t0.5.json",
        ),
    ] {
        let groups = solve(&load(cand_file), solver).unwrap();
        assert_eq!(groups_json(&groups), expected(groups_file), "{groups_file}");
    }
}

#[test]
fn febrl4_reference_groups_are_byte_identical() {
    for (t, count) in [("0.8", 4961), ("0.9", 4064)] {
        let c = load(&format!("febrl4/expected/candidates-t{t}.bin"));
        let groups = solve(&c, Solver::Greedy).unwrap();
        assert_eq!(groups.len(), count);
        assert_eq!(
            groups_json(&groups),
            expected(&format!("febrl4/expected/groups-t{t}.json"))
        );
        // The general rules give the same groups as the two-party fast path.
        let mut general = solve_general_native_order(&c, Solver::Greedy).unwrap();
        canonicalise(&mut general);
        assert_eq!(general, groups);
    }
}

#[test]
fn splitmix_native_record_order() {
    // semantics.md §11.4: record order inside groups is exact; group order is not.
    let c = load("splitmix-3x5/expected/candidates-3party-t0.5.bin");
    let want: BTreeSet<Vec<(u32, u32)>> = [
        vec![(1, 3), (2, 2), (0, 0)],
        vec![(0, 2), (1, 0), (2, 3)],
        vec![(1, 1), (2, 1), (0, 1)],
        vec![(1, 2), (2, 0)],
        vec![(2, 4), (0, 3)],
    ]
    .into_iter()
    .collect();
    let got: BTreeSet<Group> = solve_native_order(&c, prob(0.5, true))
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(got, want);
    // mt = 0 gives the same groups, but (2,4) never gets a singleton (the dedup check fails
    // after the threshold passes), so that group starts with (0,3) (checked with anonlink).
    let mut want0 = want.clone();
    want0.remove(&vec![(2, 4), (0, 3)]);
    want0.insert(vec![(0, 3), (2, 4)]);
    let got0: BTreeSet<Group> = solve_native_order(&c, prob(0.0, true))
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(got0, want0);
    let greedy = solve(&c, Solver::Greedy).unwrap();
    assert_eq!(solve(&c, prob(1.0, false)).unwrap(), greedy);
    // 2 parties: greedy_solve → ((0,0),(1,3)), ((0,2),(1,0)), ((0,1),(1,1)).
    let c2 = load("splitmix-3x5/expected/candidates-2party-t0.5.bin");
    let got: BTreeSet<Group> = solve_native_order(&c2, Solver::Greedy)
        .unwrap()
        .into_iter()
        .collect();
    let want2: BTreeSet<Group> = [
        vec![(0, 0), (1, 3)],
        vec![(0, 2), (1, 0)],
        vec![(0, 1), (1, 1)],
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want2);
}

#[test]
fn spec_table_greedy_cases() {
    // semantics.md §4.5.
    let a = cands(&[
        (1, 0, 2, 0),
        (0, 0, 1, 1),
        (0, 0, 2, 1),
        (1, 1, 2, 1),
        (0, 0, 1, 0),
        (0, 0, 2, 0),
    ]);
    assert_eq!(
        as_sets(&solve(&a, Solver::Greedy).unwrap()),
        set_of(&[&[(0, 0), (1, 1), (2, 1)], &[(1, 0), (2, 0)]])
    );
    let b = cands(&[
        (0, 0, 1, 0),
        (0, 1, 2, 1),
        (1, 1, 2, 1),
        (0, 0, 2, 0),
        (0, 1, 1, 1),
    ]);
    assert_eq!(
        as_sets(&solve(&b, Solver::Greedy).unwrap()),
        set_of(&[&[(0, 0), (1, 0)], &[(0, 1), (1, 1), (2, 1)]])
    );
    let inside = cands(&[(0, 0, 1, 0), (0, 0, 2, 0), (2, 0, 2, 1)]);
    assert_eq!(
        as_sets(&solve(&inside, Solver::Greedy).unwrap()),
        set_of(&[&[(0, 0), (1, 0)], &[(2, 0), (2, 1)]])
    );
    let four = cands(&[
        (0, 0, 1, 0),
        (2, 0, 3, 0),
        (0, 0, 2, 0),
        (1, 0, 3, 0),
        (0, 0, 3, 0),
        (1, 0, 2, 0),
    ]);
    assert_eq!(
        as_sets(&solve(&four, Solver::Greedy).unwrap()),
        set_of(&[&[(0, 0), (1, 0), (2, 0), (3, 0)]])
    );
    // A clique on datasets 0–4, record 0 of each.
    let mut clique = Vec::new();
    for i in 0..5 {
        for j in i + 1..5 {
            clique.push((i, 0, j, 0));
        }
    }
    assert_eq!(
        as_sets(&solve(&cands(&clique), Solver::Greedy).unwrap()),
        set_of(&[&[(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)]])
    );
}

#[test]
fn spec_table_probabilistic_cases() {
    let input = cands(&[
        (0, 0, 0, 1),
        (1, 0, 1, 1),
        (0, 0, 1, 0),
        (0, 0, 1, 1),
        (0, 1, 1, 0),
    ]);
    for mt in [0.0, 0.75, 0.76, 1.0] {
        assert_eq!(
            as_sets(&solve(&input, prob(mt, true)).unwrap()),
            set_of(&[&[(0, 0), (1, 0)]]),
            "dedup, mt = {mt}"
        );
    }
    for mt in [0.0, 0.75] {
        assert_eq!(
            as_sets(&solve(&input, prob(mt, false)).unwrap()),
            set_of(&[&[(0, 0), (0, 1), (1, 0), (1, 1)]]),
            "no dedup, mt = {mt}"
        );
    }
    for mt in [0.76, 1.0] {
        assert_eq!(
            as_sets(&solve(&input, prob(mt, false)).unwrap()),
            set_of(&[&[(0, 0), (0, 1)], &[(1, 0), (1, 1)]]),
            "no dedup, mt = {mt}"
        );
    }
}

#[test]
fn empty_self_pairs_and_bad_thresholds() {
    assert!(solve(&[], Solver::Greedy).unwrap().is_empty());
    let selfish = cands(&[(0, 1, 0, 1), (1, 2, 1, 2)]);
    assert!(solve(&selfish, prob(0.0, false)).unwrap().is_empty());
    for mt in [-0.01, 1.01, f64::NAN, f64::INFINITY] {
        let err = solve(&selfish, prob(mt, true)).unwrap_err();
        assert!(err.is_bad_input(), "{err}");
    }
}

/// semantics.md §4.3: mt = 0.01, groups of 14 and 50, 7 cross edges. `(0.01·14)·50 =
/// 7.000000000000001` when the 14-group holds the pair's first record (no merge at 7 edges);
/// `(0.01·50)·14 = 7.0` when the 50-group does (merge). Checked against anonlink.
#[test]
fn merge_test_float_order() {
    let mut base: Vec<(u32, u32, u32, u32)> = (1..14).map(|i| (0, 0, 0, i)).collect();
    base.extend((1..50).map(|j| (1, 0, 1, j)));
    let sizes = |cross: Vec<(u32, u32, u32, u32)>| {
        let mut all = base.clone();
        all.extend(cross);
        let mut s: Vec<usize> = solve(&cands(&all), prob(0.01, false))
            .unwrap()
            .iter()
            .map(|g| g.len())
            .collect();
        s.sort_unstable();
        s
    };
    assert_eq!(sizes((0..7).map(|i| (0, i, 1, i)).collect()), vec![14, 50]);
    assert_eq!(sizes((0..8).map(|i| (0, i, 1, i)).collect()), vec![64]);
    assert_eq!(sizes((0..7).map(|i| (1, i, 0, i)).collect()), vec![64]);
    assert_eq!(sizes((0..6).map(|i| (1, i, 0, i)).collect()), vec![14, 50]);
    // The 50-group absorbs the 14-group: its records come first.
    let mut all = base.clone();
    all.extend((0..7).map(|i| (1, i, 0, i)));
    let g = solve_native_order(&cands(&all), prob(0.01, false)).unwrap();
    let big: Vec<&Group> = g.iter().filter(|g| g.len() == 64).collect();
    assert_eq!(big[0][0], (1, 0));
    assert_eq!(big[0][50], (0, 0));
}

#[derive(serde::Deserialize)]
struct PeerCases {
    solvers: Vec<(String, Option<f64>, Option<bool>)>,
    cases: Vec<PeerCase>,
}

#[derive(serde::Deserialize)]
struct PeerCase {
    candidates: Vec<(u32, u32, u32, u32)>,
    results: std::collections::BTreeMap<String, Vec<Group>>,
}

/// Random candidate sets solved by the real anonlink (scripts/gen-solver-cases.py): the same
/// groups, with anonlink's record order inside each group.
#[test]
fn randomized_cases_match_anonlink() {
    let text = std::fs::read_to_string(data("solver-cases/cases.json")).unwrap();
    let peer: PeerCases = serde_json::from_str(&text).unwrap();
    assert!(peer.cases.len() >= 100);
    let mut compared = 0;
    for (k, case) in peer.cases.iter().enumerate() {
        let c = cands(&case.candidates);
        for (name, mt, dedup) in &peer.solvers {
            let solver = match (mt, dedup) {
                (Some(mt), Some(d)) => prob(*mt, *d),
                _ => Solver::Greedy,
            };
            let want: BTreeSet<Group> = case.results[name].iter().cloned().collect();
            let got: BTreeSet<Group> = solve_native_order(&c, solver)
                .unwrap()
                .into_iter()
                .collect();
            assert_eq!(got, want, "case {k}, solver {name}");
            let general: BTreeSet<Group> = solve_general_native_order(&c, solver)
                .unwrap()
                .into_iter()
                .collect();
            assert_eq!(general, want, "case {k}, solver {name} (general rules)");
            compared += 1;
        }
    }
    assert!(compared >= 800);
}

/// The simple rule of semantics.md §4.4.
fn accept_if_free(c: &[Candidate]) -> Vec<Group> {
    let mut t0 = BTreeSet::new();
    let mut t1 = BTreeSet::new();
    let mut out = Vec::new();
    for x in c {
        if !t0.contains(&x.rec0) && !t1.contains(&x.rec1) {
            t0.insert(x.rec0);
            t1.insert(x.rec1);
            out.push(vec![(x.dset0, x.rec0), (x.dset1, x.rec1)]);
        }
    }
    out
}

fn bipartite(max_rec: u32, max_len: usize) -> impl Strategy<Value = Vec<Candidate>> {
    prop::collection::vec((0..max_rec, 0..max_rec), 0..max_len).prop_map(|pairs| {
        let p: Vec<(u32, u32, u32, u32)> = pairs.into_iter().map(|(a, b)| (0, a, 1, b)).collect();
        cands(&p)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Two-party greedy: the fast path, the general rules and `probabilistic(1.0, false)` agree,
    /// repeated pairs included; without repeated pairs they equal "accept iff both free".
    #[test]
    fn two_party_fast_path_equals_general(c in bipartite(12, 80)) {
        let fast = solve_native_order(&c, Solver::Greedy).unwrap();
        let general = solve_general_native_order(&c, Solver::Greedy).unwrap();
        prop_assert_eq!(as_sets(&fast), as_sets(&general));
        prop_assert_eq!(
            solve(&c, Solver::Greedy).unwrap(),
            solve(&c, prob(1.0, false)).unwrap()
        );
        let mut seen = BTreeSet::new();
        if c.iter().all(|x| seen.insert((x.rec0, x.rec1))) {
            prop_assert_eq!(as_sets(&general), as_sets(&accept_if_free(&c)));
        }
    }

    /// Invariants of every solver: each record in at most one group, groups of two or more,
    /// dedup groups never hold two records of one dataset.
    #[test]
    fn solver_invariants(
        pairs in prop::collection::vec((0..4u32, 0..6u32, 0..4u32, 0..6u32), 0..60),
        mt in 0.0..=1.0f64,
        dedup in any::<bool>(),
    ) {
        let c = cands(&pairs);
        let groups = solve(&c, prob(mt, dedup)).unwrap();
        let mut seen = BTreeSet::new();
        for g in &groups {
            prop_assert!(g.len() >= 2);
            for r in g {
                prop_assert!(seen.insert(*r));
            }
            if dedup {
                let ds: BTreeSet<u32> = g.iter().map(|r| r.0).collect();
                prop_assert_eq!(ds.len(), g.len());
            }
        }
    }
}
