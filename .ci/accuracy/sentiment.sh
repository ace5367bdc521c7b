#!/usr/bin/env bash
# Accuracy of custodia's sentiment scoring on the shared labelled sets (issue 6).
# Runs from the repository root with ../shared beside it; fails when a figure
# misses its threshold. Scored with ../shared/tools/score_sentiment.py.
set -euo pipefail
cd "$(dirname "$0")/../.."

DATA=../shared/data/sentiment
SCORER=../shared/tools/score_sentiment.py
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cargo build --release --locked --example sentiment
BIN=target/release/examples/sentiment

# metric FILE TRUTH KEY -> prints the figure
metric() {
  python3 "$SCORER" --truth "$2" --pred "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$3'])"
}

# check NAME VALUE OP THRESHOLD (OP is ">=" or ">")
fail=0
check() {
  if python3 -c "import sys; v, t = float('$2'), float('$4'); sys.exit(0 if (v $3 t) else 1)"; then
    printf 'ok    %-46s %.4f %s %s\n' "$1" "$2" "$3" "$4"
  else
    printf 'FAIL  %-46s %.4f %s %s\n' "$1" "$2" "$3" "$4"
    fail=1
  fi
}

# English: VADER's tweets, bundled VADER lexicon.
$BIN --input $DATA/labelled/vader_tweets.csv --lang en --out "$OUT/en.csv"
check "en vader_tweets pearson_r" "$(metric "$OUT/en.csv" $DATA/labelled/vader_tweets.csv pearson_r)" ">=" 0.872
check "en vader_tweets macro_f1_3" "$(metric "$OUT/en.csv" $DATA/labelled/vader_tweets.csv macro_f1_3)" ">=" 0.70

# Indonesian with InSet (read from ../shared only, never bundled).
$BIN --input $DATA/labelled/nusax_id_train.csv --lang id --lexicon $DATA/lexicons/inset_id.tsv --out "$OUT/id_inset.csv"
inset_all=$(metric "$OUT/id_inset.csv" $DATA/labelled/nusax_id_train.csv macro_f1_3)
check "id nusax InSet macro_f1_3 (all 600)" "$inset_all" ">" 0.366

# Indonesian with a lexicon learned on the `train` split, measured on `valid`.
python3 - "$DATA/labelled/nusax_id_train.csv" "$OUT/id_valid.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")) if r["split"] == "valid"]
with open(sys.argv[2], "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
PY
$BIN --input $DATA/labelled/nusax_id_train.csv --split valid --lang id --lexicon $DATA/lexicons/inset_id.tsv --out "$OUT/id_inset_valid.csv"
inset_valid=$(metric "$OUT/id_inset_valid.csv" "$OUT/id_valid.csv" macro_f1_3)
$BIN --input $DATA/labelled/nusax_id_train.csv --split valid --lang id \
  --train $DATA/labelled/nusax_id_train.csv --train-split train --out "$OUT/id_learned.csv"
learned=$(metric "$OUT/id_learned.csv" "$OUT/id_valid.csv" macro_f1_3)
check "id nusax learned macro_f1_3 (valid) vs InSet all" "$learned" ">" "$inset_all"
check "id nusax learned macro_f1_3 (valid) vs InSet valid" "$learned" ">" "$inset_valid"

# Hungarian with the poltext lexicon (read from ../shared only, never bundled).
$BIN --input $DATA/labelled/husst_hu_train.csv --lang hu --lexicon $DATA/lexicons/poltext_hu.tsv --out "$OUT/hu.csv"
check "hu husst poltext macro_f1_3" "$(metric "$OUT/hu.csv" $DATA/labelled/husst_hu_train.csv macro_f1_3)" ">" 0.447

exit $fail
