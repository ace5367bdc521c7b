#!/usr/bin/env bash
# Identity resolution accuracy on the Febrl benchmark sets (issue 3):
# pairwise F1 >= 0.997 on febrl3 (deduplication) and febrl4a+febrl4b
# (linkage), with the one default configuration. Runs from the repository
# root with ../shared beside it.
set -euo pipefail
DATA=../shared/data/identity
SCORER=../shared/tools/score_identity.py
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cargo build --release --locked --example resolve
BIN=target/release/examples/resolve

check() {
  local name=$1 pred=$2; shift 2
  local f1
  f1=$(python3 "$SCORER" --truth "$@" --pred "$pred" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["pairwise_f1"])')
  echo "$name pairwise F1 $f1 (target 0.997)"
  python3 -c "import sys; sys.exit(0 if float('$f1') >= 0.997 else 1)" ||
    { echo "FAIL: $name pairwise F1 $f1 < 0.997"; return 1; }
}

$BIN "$DATA/febrl3.csv" --out "$OUT/febrl3.csv" 2>"$OUT/febrl3.log" || { cat "$OUT/febrl3.log"; exit 1; }
$BIN "$DATA/febrl4a.csv" --link "$DATA/febrl4b.csv" --out "$OUT/febrl4.csv" 2>"$OUT/febrl4.log" || { cat "$OUT/febrl4.log"; exit 1; }

status=0
check febrl3 "$OUT/febrl3.csv" "$DATA/febrl3.csv" || status=1
check febrl4 "$OUT/febrl4.csv" "$DATA/febrl4a.csv" "$DATA/febrl4b.csv" || status=1
exit $status
