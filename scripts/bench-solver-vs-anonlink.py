#!/usr/bin/env python3
"""Time anonlink's greedy_solve against `clklink solve` on a 25-million-candidate 2-party input.

Usage (with the peer Python that has anonlink 0.15.3):
    /root/.cache/clklink-peer/bin/python scripts/bench-solver-vs-anonlink.py \
        target/release/clklink [--candidates 25000000] [--workdir /tmp/clklink-bench]

The input is generated deterministically (numpy seed 2024): 5 distinct candidates per record of
dataset 0 among N1 = n/5 records of dataset 1, random scores, written in canonical order
(score descending, then indices ascending) as an anonlink v1 candidate file (01 08 04 04).
anonlink's time is greedy_solve alone, on arrays already loaded with load_candidate_pairs (its
loading time is printed separately); clklink's time is the whole command: reading the file,
solving and writing groups JSON. The groups are compared as canonicalised lists.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from anonlink import serialization, solving


def generate(path, n):
    per = 5
    n0 = n // per
    rng = np.random.default_rng(2024)
    rec0 = np.repeat(np.arange(n0, dtype=np.uint32), per)
    # distinct partners for each rec0: base + j * stride (mod n0)
    base = rng.integers(0, n0, size=n0, dtype=np.uint64)
    offsets = np.tile(np.arange(per, dtype=np.uint64) * 7919, n0)
    rec1 = ((np.repeat(base, per) + offsets) % n0).astype(np.uint32)
    scores = rng.random(n0 * per) * 0.5 + 0.5
    order = np.lexsort((rec1, rec0, -scores))
    dt = np.dtype([("s", "<f8"), ("d0", "<u4"), ("d1", "<u4"), ("r0", "<u4"), ("r1", "<u4")])
    out = np.empty(n0 * per, dtype=dt)
    out["s"] = scores[order]
    out["d0"] = 0
    out["d1"] = 1
    out["r0"] = rec0[order]
    out["r1"] = rec1[order]
    with open(path, "wb") as f:
        f.write(bytes([1, 8, 4, 4]))
        out.tofile(f)
    return n0 * per


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("clklink")
    ap.add_argument("--candidates", type=int, default=25_000_000)
    ap.add_argument("--workdir", default="/tmp/clklink-bench")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    cand = os.path.join(a.workdir, f"candidates-{a.candidates}.bin")
    if not os.path.exists(cand):
        t = time.perf_counter()
        n = generate(cand, a.candidates)
        print(f"generated {n} candidates in {time.perf_counter() - t:.1f} s: {cand}")

    t = time.perf_counter()
    with open(cand, "rb") as f:
        loaded = serialization.load_candidate_pairs(f)
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    groups = solving.greedy_solve(loaded)
    t_anon = time.perf_counter() - t
    print(f"anonlink: load_candidate_pairs {t_load:.2f} s, greedy_solve {t_anon:.2f} s, "
          f"{len(groups)} groups")
    del loaded
    canon = sorted(sorted([list(r) for r in g]) for g in groups)
    del groups

    out = os.path.join(a.workdir, "groups.json")
    t = time.perf_counter()
    subprocess.run([a.clklink, "--quiet", "solve", cand, "-o", out], check=True)
    t_clk = time.perf_counter() - t
    with open(out) as f:
        mine = json.load(f)["groups"]
    same = mine == canon
    print(f"clklink solve (read + solve + write): {t_clk:.2f} s, {len(mine)} groups, "
          f"identical groups: {same}")
    print(f"speed-up vs greedy_solve alone: {t_anon / t_clk:.1f}x; "
          f"vs load + greedy_solve: {(t_load + t_anon) / t_clk:.1f}x")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
