#!/usr/bin/env bash
# The identity resolution target not met yet (issue 12): generator B
# pairwise F1 >= 0.995 at 1M rows, seed 9001 (held out of tuning, see
# docs/identity.md), with the one default configuration. It stands beside
# .ci/accuracy/ rather than in it, so .ci/run does not run it
# (docs/identity.md has the figures), and CI must pass for anything to land.
# The targets that are met, at 100k rows, CI checks in
# .ci/accuracy/identity_synth.sh. Runs from the repository root.
set -euo pipefail
ROWS=1000000
SEED=9001
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cargo build --release --locked --example identity_synth --example resolve
GEN=target/release/examples/identity_synth
BIN=target/release/examples/resolve

# Prints the figure named $2 from the resolve report in file $1.
figure() {
  awk -v k="$2" '$0 ~ "^"k" " { print $NF }' "$1"
}

# at_least NAME VALUE TARGET: prints the check and fails when VALUE < TARGET.
at_least() {
  echo "$1 $2 (target $3)"
  python3 -c "import sys; sys.exit(0 if float('$2') >= $3 else 1)" ||
    { echo "FAIL: $1 $2 < $3"; return 1; }
}

status=0
for set in b; do
  "$GEN" "$ROWS" "$OUT/$set.csv" "$SEED" --generator "$set" 2>/dev/null
  "$BIN" "$OUT/$set.csv" --out "$OUT/$set.clusters.csv" --truth cluster_id \
    >"$OUT/$set.log" 2>&1 || { cat "$OUT/$set.log"; exit 1; }
  f1=$(figure "$OUT/$set.log" "pairwise f1")
  precision=$(figure "$OUT/$set.log" "pairwise precision")
  recall=$(figure "$OUT/$set.log" "pairwise recall")
  bcubed=$(figure "$OUT/$set.log" "bcubed f1")
  [ -n "$f1" ] && [ -n "$precision" ] || { cat "$OUT/$set.log"; echo "FAIL: $set: no figures"; exit 1; }
  echo "$set $ROWS rows seed $SEED: precision $precision recall $recall F1 $f1 B-cubed $bcubed"
  case $set in
    b) at_least "$set pairwise F1" "$f1" 0.995 || status=1 ;;
    households)
      at_least "$set pairwise F1" "$f1" 0.95 || status=1
      at_least "$set pairwise precision" "$precision" 0.95 || status=1
      ;;
  esac
done
exit $status
