#!/bin/bash
# Runs the test files given (default: every test/t_*.sh) and ends with the
# line "N passed, N failed". Exits non-zero when anything failed.
cd "$(dirname "$0")/.." || exit 2
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(test/t_*.sh)
passed=0 failed=0
for f in "${files[@]}"; do
    echo "== $f"
    log=$(mktemp)
    start=$SECONDS
    bash "$f" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    p=$(grep -c '^PASS ' "$log"); q=$(grep -c '^FAIL ' "$log")
    if [ "$rc" -ne 0 ]; then echo "FAIL $f: exited with status $rc"; q=$((q + 1)); fi
    echo "== $f: $p passed, $q failed in $((SECONDS - start)) s"
    passed=$((passed + p)); failed=$((failed + q))
    rm -f "$log"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
