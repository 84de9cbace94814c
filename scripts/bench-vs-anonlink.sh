#!/usr/bin/env bash
# Side-by-side benchmark: anonlink 0.15.3 (find_candidate_pairs + greedy_solve) against
# `clklink link` on the same random-names CLKs, with a check that the groups are identical.
#
# Usage: scripts/bench-vs-anonlink.sh            (20 000 x 20 000, threshold 0.8)
#   N=5000 THRESHOLD=0.9 OUT=bench-out scripts/bench-vs-anonlink.sh
#   PEER_VENV=/path/to/venv   reuse a venv with anonlink==0.15.3 and clkhash==0.18.3
#   CLKLINK=/path/to/clklink  binary to time (default: cargo build --release, target/release)
#   SKIP_CLKLINK=1            only generate data and time anonlink
set -euo pipefail

N="${N:-20000}"
OVERLAP="${OVERLAP:-0.8}"
THRESHOLD="${THRESHOLD:-0.8}"
OUT="${OUT:-bench-out}"
SECRET="${SECRET:-clklink-bench-secret}"
if [[ -z "${PEER_VENV:-}" ]]; then
    if [[ -x /root/.cache/clklink-peer/bin/python ]]; then
        PEER_VENV=/root/.cache/clklink-peer
    else
        PEER_VENV=.peer
    fi
fi
PY="$PEER_VENV/bin/python"

cd "$(dirname "$0")/.."
mkdir -p "$OUT"

# 1. The peer: anonlink 0.15.3 and clkhash 0.18.3 from PyPI.
if ! "$PY" -c 'import anonlink, clkhash; assert anonlink.__version__ == "0.15.3"' 2>/dev/null; then
    echo "== installing anonlink 0.15.3 and clkhash 0.18.3 into $PEER_VENV" >&2
    python3 -m venv "$PEER_VENV"
    "$PY" -m pip install --quiet 'anonlink==0.15.3' 'clkhash==0.18.3'
fi

# 2. Data: two overlapping random-names populations, hashed with clkhash's random-names schema.
if [[ ! -s "$OUT/A.json" || ! -s "$OUT/B.json" || "$(cat "$OUT/params" 2>/dev/null)" != "$N $OVERLAP $SECRET" ]]; then
    echo "== generating $N x $N random-names CLKs (overlap $OVERLAP)" >&2
    "$PY" - "$N" "$OVERLAP" "$SECRET" "$OUT" <<'PYEOF'
import base64, json, random, sys
from clkhash import randomnames, clk
n, overlap, secret, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
random.seed(20240607)
names = randomnames.NameList(int(n * 2.2))
a, b = names.generate_subsets(n, overlap)
for name, pii in (("A", a), ("B", b)):
    clks = clk.generate_clks(pii, randomnames.NameList.SCHEMA, secret)
    enc = [base64.b64encode(c.tobytes()).decode() for c in clks]
    with open(f"{out}/{name}.json", "w") as f:
        json.dump({"clks": enc}, f)
PYEOF
    echo "$N $OVERLAP $SECRET" > "$OUT/params"
fi

# 3. anonlink: similarity (native Dice) and greedy solver, timed in-process.
echo "== timing anonlink" >&2
"$PY" - "$OUT" "$THRESHOLD" > "$OUT/anonlink-times.json" <<'PYEOF'
import base64, json, sys, time
from bitarray import bitarray
import anonlink
out, t = sys.argv[1], float(sys.argv[2])
def load(path):
    res = []
    for s in json.load(open(path))["clks"]:
        ba = bitarray(); ba.frombytes(base64.b64decode(s)); res.append(ba)
    return res
A, B = load(f"{out}/A.json"), load(f"{out}/B.json")
t0 = time.perf_counter()
cands = anonlink.candidate_generation.find_candidate_pairs(
    [A, B], anonlink.similarities.dice_coefficient, t)
t1 = time.perf_counter()
groups = anonlink.solving.greedy_solve(cands)
t2 = time.perf_counter()
canon = sorted(sorted([list(r) for r in g]) for g in groups)
json.dump({"groups": canon}, open(f"{out}/anonlink-groups.json", "w"))
json.dump({"similarity_s": t1 - t0, "solve_s": t2 - t1, "candidates": len(cands[0]),
           "groups": len(groups), "comparisons": len(A) * len(B)}, sys.stdout)
PYEOF
cat "$OUT/anonlink-times.json" >&2; echo >&2

if [[ -n "${SKIP_CLKLINK:-}" ]]; then
    echo "SKIP_CLKLINK set: not timing clklink" >&2
    exit 0
fi

# 4. clklink: the whole process, one and two threads.
if [[ -z "${CLKLINK:-}" ]]; then
    cargo build --release --quiet --bin clklink
    CLKLINK=target/release/clklink
fi
if ! help=$("$CLKLINK" link --help 2>&1) || ! grep -q -- '--result-type' <<<"$help" \
    || ! grep -q -- '--threshold' <<<"$help"; then
    echo "error: '$CLKLINK link A.json B.json --threshold T --result-type groups -o OUT --threads N'" \
        "is not available in this build (the link command is not implemented yet?)" >&2
    exit 2
fi
declare -A SECS
for threads in 1 2; do
    echo "== timing clklink link --threads $threads" >&2
    best=""
    for rep in 1 2 3; do
        s=$("$PY" - "$CLKLINK" "$OUT" "$THRESHOLD" "$threads" <<'PYEOF'
import subprocess, sys, time
exe, out, t, threads = sys.argv[1:5]
t0 = time.perf_counter()
subprocess.run([exe, "link", f"{out}/A.json", f"{out}/B.json", "--threshold", t,
                "--result-type", "groups", "-o", f"{out}/clklink-groups-{threads}.json",
                "--threads", threads], check=True, stdout=subprocess.DEVNULL)
print(time.perf_counter() - t0)
PYEOF
)
        if [[ -z "$best" ]] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
    done
    SECS[$threads]=$best
    # 5. Same groups as anonlink, as sets of sets.
    "$PY" - "$OUT/anonlink-groups.json" "$OUT/clklink-groups-$threads.json" <<'PYEOF'
import json, sys
def groups(path):
    g = json.load(open(path))
    g = g["groups"] if isinstance(g, dict) else g
    return {frozenset(tuple(r) for r in grp) for grp in g}
a, c = groups(sys.argv[1]), groups(sys.argv[2])
if a != c:
    sys.exit(f"MISMATCH: anonlink {len(a)} groups, clklink {len(c)}, "
             f"{len(a - c)} only in anonlink, {len(c - a)} only in clklink")
print(f"groups identical ({len(a)})", file=sys.stderr)
PYEOF
done

# 6. The table.
"$PY" - "$OUT/anonlink-times.json" "${SECS[1]}" "${SECS[2]}" "$N" "$THRESHOLD" <<'PYEOF'
import json, sys
a = json.load(open(sys.argv[1])); c1, c2 = float(sys.argv[2]), float(sys.argv[3])
sim, solve = a["similarity_s"], a["solve_s"]
print(f"\n{sys.argv[4]} x {sys.argv[4]} random-names CLKs, threshold {sys.argv[5]}, "
      f"{a['candidates']} candidates, {a['groups']} groups\n")
print("| run | seconds | anonlink similarity / run | anonlink similarity+solve / run |")
print("|---|---|---|---|")
print(f"| anonlink find_candidate_pairs | {sim:.3f} | 1.00 | |")
print(f"| anonlink find_candidate_pairs + greedy_solve | {sim + solve:.3f} | | 1.00 |")
for name, s in (("clklink link --threads 1 (whole process)", c1),
                ("clklink link --threads 2 (whole process)", c2)):
    print(f"| {name} | {s:.3f} | {sim / s:.2f} | {(sim + solve) / s:.2f} |")
print(f"\nclklink 2 threads vs 1 thread: {c1 / c2:.2f}x")
PYEOF
