#!/usr/bin/env bash
# Identity resolution accuracy on the held-out synthetic set of generator B
# (issue 12): pairwise F1 >= 0.995 at 100k rows, seed 9001 (held out of
# tuning, see docs/identity.md), with the one default configuration. The
# targets not met yet (households precision, 1M rows) are checked by
# .ci/targets-identity_synth.sh, which CI does not run. Runs from the
# repository root.
set -euo pipefail
ROWS=100000
SEED=9001
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cargo build --release --locked --example identity_synth --example resolve
GEN=target/release/examples/identity_synth
BIN=target/release/examples/resolve

"$GEN" "$ROWS" "$OUT/b.csv" "$SEED" --generator b 2>/dev/null
"$BIN" "$OUT/b.csv" --out "$OUT/b.clusters.csv" --truth cluster_id >"$OUT/b.log" 2>&1 ||
  { cat "$OUT/b.log"; exit 1; }
f1=$(awk '/^pairwise f1 / { print $NF }' "$OUT/b.log")
[ -n "$f1" ] || { cat "$OUT/b.log"; echo "FAIL: no figures"; exit 1; }
echo "b $ROWS rows seed $SEED: pairwise F1 $f1 (target 0.995)"
python3 -c "import sys; sys.exit(0 if float('$f1') >= 0.995 else 1)" ||
  { echo "FAIL: b pairwise F1 $f1 < 0.995"; exit 1; }
