#!/usr/bin/env bash
# Resolves synthetic records on a Ballista cluster on this machine and checks
# that its clusters equal the in-process resolver's.
#
# Builds the examples (dev profile, feature `ballista`), starts one scheduler
# and two executors bound to 127.0.0.1 in the background, waits until they
# listen, writes ROWS synthetic people as Parquet, resolves them on the
# cluster with `resolve_ballista` (which fails when any record's cluster
# differs), and always stops the three processes.
#
#   custodia-datafusion/scripts/ballista-loopback.sh [ROWS]   (default 3000)
#
# Ports: CUSTODIA_BALLISTA_PORT (default 50350) for the scheduler and the
# next four for the executors' Flight and gRPC services.
set -euo pipefail
cd "$(dirname "$0")/../.."

rows=${1:-3000}
base=${CUSTODIA_BALLISTA_PORT:-50350}
scheduler_port=$base

cargo build -p custodia-datafusion --locked --features ballista \
  --example ballista_scheduler --example ballista_executor \
  --example resolve_ballista --example resolve_parquet
bin=${CARGO_TARGET_DIR:-$PWD/target}/debug/examples

tmp=$(mktemp -d)
pids=()
cleanup() {
  status=$?
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    for log in "$tmp"/*.log; do
      [ -f "$log" ] && { echo "--- $log"; tail -n 40 "$log"; }
    done
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT

# Waits until 127.0.0.1:$1 accepts connections, while process $2 lives.
wait_port() {
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$2" 2>/dev/null; then
      echo "process $2 exited before listening on port $1" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1 after 60 s" >&2
  return 1
}

"$bin/ballista_scheduler" "$scheduler_port" >"$tmp/scheduler.log" 2>&1 &
pids+=($!)
wait_port "$scheduler_port" "${pids[0]}"

for i in 1 2; do
  flight=$((base + 2 * i - 1))
  grpc=$((base + 2 * i))
  mkdir -p "$tmp/work$i"
  "$bin/ballista_executor" "$scheduler_port" "$flight" "$grpc" "$tmp/work$i" \
    >"$tmp/executor$i.log" 2>&1 &
  pids+=($!)
  wait_port "$flight" "${pids[$i]}"
done

"$bin/resolve_parquet" synth "$rows" "$tmp/people.parquet"
"$bin/resolve_ballista" "df://127.0.0.1:$scheduler_port" "$tmp/people.parquet" "$tmp/out" \
  --truth truth

# Both executors took part: each wrote shuffle files of the plan's stages.
for i in 1 2; do
  files=$(find "$tmp/work$i" -type f | wc -l)
  echo "executor $i wrote $files shuffle files"
  if [ "$files" -eq 0 ]; then
    echo "executor $i ran no task" >&2
    exit 1
  fi
done
