#!/usr/bin/env python3
"""Generate randomized solver cases solved by the real anonlink 0.15.3 (native solvers).

Run with the peer Python:  /root/.cache/clklink-peer/bin/python scripts/gen-solver-cases.py
Writes tests/data/solver-cases/cases.json (deterministic: fixed seed).

Each case: "candidates" = [[d0, r0, d1, r1], ...] in input order (scores are never read by the
solvers; tests give them descending dummy scores), and "results" = {solver name: groups}, each
group in anonlink's native record order (group order is not reproducible in anonlink; compare
as sets of groups).
"""
import array
import json
import os
import random

from anonlink import solving

SOLVERS = [
    ("greedy", None, None),
    ("mt0-dedup", 0.0, True),
    ("mt0.5-dedup", 0.5, True),
    ("mt0.5-nodedup", 0.5, False),
    ("mt0.75-nodedup", 0.75, False),
    ("mt0.76-dedup", 0.76, True),
    ("mt1-dedup", 1.0, True),
    ("mt0.3-nodedup", 0.3, False),
]


def as_anonlink(cands):
    n = len(cands)
    sims = array.array("d", [1.0 - i / (n + 1) for i in range(n)])
    d0 = array.array("I", [c[0] for c in cands])
    r0 = array.array("I", [c[1] for c in cands])
    d1 = array.array("I", [c[2] for c in cands])
    r1 = array.array("I", [c[3] for c in cands])
    return sims, (d0, d1), (r0, r1)


def gen_case(rng):
    parties = rng.choice([2, 2, 3, 3, 4, 5])
    nrec = rng.choice([2, 3, 5, 8, 15])
    n = rng.choice([3, 8, 20, 40, 80])
    same = rng.random() < 0.3  # allow pairs inside one dataset
    dup = rng.random() < 0.2  # allow repeated pairs
    bip = parties == 2 and rng.random() < 0.7
    if not dup:
        # at most half of the distinct pairs, so the loop ends quickly
        n = min(n, (nrec * nrec * (1 if bip else parties * parties)) // 2)
    cands = []
    while len(cands) < n:
        if bip:
            a, b = (0, rng.randrange(nrec)), (1, rng.randrange(nrec))
        else:
            a = (rng.randrange(parties), rng.randrange(nrec))
            b = (rng.randrange(parties), rng.randrange(nrec))
            if a[0] == b[0] and not same:
                continue
            if a[0] > b[0] and rng.random() < 0.8:
                a, b = b, a
        c = [a[0], a[1], b[0], b[1]]
        if c in cands and not dup:
            continue
        cands.append(c)
    return cands


def main():
    rng = random.Random(20240605)
    cases = []
    for _ in range(300):
        cands = gen_case(rng)
        inp = as_anonlink(cands)
        results = {}
        for name, mt, dedup in SOLVERS:
            if mt is None:
                groups = solving.greedy_solve(inp)
            else:
                groups = solving.probabilistic_greedy_solve(
                    inp, merge_threshold=mt, deduplicated=dedup)
            results[name] = sorted([[list(r) for r in g] for g in groups])
        cases.append({"candidates": cands, "results": results})
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "solver-cases",
                       "cases.json")
    with open(out, "w") as f:
        json.dump({"solvers": [[n, m, d] for n, m, d in SOLVERS], "cases": cases}, f,
                  separators=(",", ":"))
    print("wrote", len(cases), "cases to", out)


if __name__ == "__main__":
    main()
