#!/usr/bin/env bash
# mypy as a ratchet: the product code may not gain type errors. The count it may have is in
# scripts/mypy-baseline.txt; lower it (never raise it) as errors are fixed, until it is 0 and this becomes plain mypy.
set -uo pipefail
cd "$(dirname "$0")/.."
baseline=$(cat scripts/mypy-baseline.txt)
output=$(.venv/bin/mypy 2>&1)
count=$(grep -c ': error:' <<<"$output")
echo "mypy: $count errors (baseline $baseline)"
if ((count > baseline)); then
    echo "$output" | grep ': error:'
    echo "mypy: $count errors is more than the baseline of $baseline: fix the new ones" >&2
    exit 1
fi
if ((count < baseline)); then
    echo "mypy: fewer errors than the baseline; write $count into scripts/mypy-baseline.txt"
fi
