#!/usr/bin/env bash
# `make run`: the local broker, a worker, and the reference scenario replayed into it.
# Ctrl-C stops the worker and the broker this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
SW=.venv/bin/shipwatch
PORT=${SHIPWATCH_WEB_PORT:-6066}
LOGS=${TMPDIR:-/tmp}/shipwatch-run
mkdir -p "$LOGS"

broker_was_running=0
if $SW broker status >/dev/null 2>&1; then broker_was_running=1; fi
$SW broker start

worker_pid=""
cleanup() {
  trap - INT TERM EXIT
  echo
  if [ -n "$worker_pid" ] && kill -0 "$worker_pid" 2>/dev/null; then
    echo "stopping the worker"; kill -TERM "$worker_pid"; wait "$worker_pid" 2>/dev/null || true
  fi
  if [ "$broker_was_running" -eq 0 ]; then $SW broker stop; fi
}
trap cleanup INT TERM EXIT

$SW worker > "$LOGS/worker.log" 2>&1 &
worker_pid=$!
echo "worker starting (log: $LOGS/worker.log)"
for _ in $(seq 1 120); do
  if grep -q "\[^Worker\]: Ready" "$LOGS/worker.log" 2>/dev/null; then break; fi
  if ! kill -0 "$worker_pid" 2>/dev/null; then
    echo "the worker stopped; last lines of its log:"; tail -20 "$LOGS/worker.log"; exit 1
  fi
  sleep 0.5
done

$SW replay shipwatch/scenarios/data/reference.csv --max
cat <<MSG

  Live alerts page:   http://127.0.0.1:$PORT/
  Prometheus metrics: http://127.0.0.1:$PORT/metrics
  Alerts as JSON:     .venv/bin/shipwatch alerts --from-beginning --json
  Worker log:         $LOGS/worker.log

Following the alerts topic (Ctrl-C stops the worker and the broker):
MSG
$SW alerts --from-beginning --follow
