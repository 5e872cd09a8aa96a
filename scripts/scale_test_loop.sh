#!/bin/sh
# Run the 2 -> 3 -> 2 scale test (both ways of leaving) N times in a row; count the clean runs.
# Usage: scripts/scale_test_loop.sh [N] [pytest -k expression]; logs in $OUT (default /tmp/scale-loop).
set -u
N=${1:-20}
K=${2:-}
OUT=${OUT:-/tmp/scale-loop}
mkdir -p "$OUT"
passed=0
for i in $(seq 1 "$N"); do
    if .venv/bin/pytest tests/integration/test_faults_rebalance.py ${K:+-k "$K"} -q -p no:cacheprovider \
        --basetemp="$OUT/run-$i" > "$OUT/run-$i.log" 2>&1; then
        passed=$((passed + 1)); verdict=passed
    else
        verdict=FAILED
    fi
    echo "run $i: $verdict ($(tail -1 "$OUT/run-$i.log"))"
done
echo "$passed of $N runs clean"
[ "$passed" -eq "$N" ]
