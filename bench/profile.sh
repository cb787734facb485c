#!/usr/bin/env bash
# Profile the server under a reserve load: py-spy samples every server process while wrk runs.
#   bench/profile.sh [DATABASE_URL] [WORKERS] [CONCURRENCY]
# Needs py-spy (`.venv/bin/pip install py-spy`; VENV=dir picks another venv) and wrk. Prints the share of CPU samples per
# library (bench/profile_summary.py); the raw collapsed stacks stay in $OUT.* for flame graphs.
set -euo pipefail
cd "$(dirname "$0")/.."
URL=${1:-sqlite:////tmp/kassa-profile.db}
WORKERS=${2:-1}
CONC=${3:-32}
PORT=${PORT:-8555}
OUT=${OUT:-/tmp/kassa-profile}
BIN=${VENV:-.venv}/bin
rm -f "$OUT".* /tmp/kassa-profile.db*
export KASSA_DATABASE_URL=$URL KASSA_LOG_LEVEL=warning
"$BIN"/kassa serve --port "$PORT" --workers "$WORKERS" >"$OUT.server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 900); do  # up to three minutes: a busy machine starts workers slowly
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.2
done
sleep 2
eval "$("$BIN"/python - "$PORT" <<'PY'
import sys
sys.path.insert(0, "bench")
import run
event, sets = run.make_event(f"http://127.0.0.1:{sys.argv[1]}", 30000, 1)
print(f"export BENCH_EVENT={event} BENCH_SET={sets[0]}")
PY
)"
export KASSA_KEY=0123456789abcdef0123456789abcdef BENCH_IDS=$OUT.ids
: >"$BENCH_IDS"
cat bench/reserve.lua bench/stats.lua >"$OUT.lua"
for pid in $(pgrep -f "kassa serve --port $PORT") $(pgrep -f 'multiprocessing.spawn'); do
  "$BIN"/py-spy record -r 200 -d 8 -f raw -o "$OUT.$pid.txt" -p "$pid" --nonblocking \
    >/dev/null 2>&1 &
done
wrk -t1 -c"$CONC" -d9s -s "$OUT.lua" "http://127.0.0.1:$PORT" | grep BENCH
sleep 2
"$BIN"/python bench/profile_summary.py "$OUT".*.txt
