#!/bin/sh
# After the test suite ran under the sanitizer build (make test-asan): one
# FAIL line per report any process wrote to DIR (the log_path compiled in by
# test/fuzz/san_options.c), with the report's first lines, so that a report
# is seen even when the test that caused it expected a failure.
# Usage: san_reports.sh DIR. Exits 1 when there is any report.
dir=$1
n=0
for f in "$dir"/report.*; do
    [ -s "$f" ] || continue
    n=$((n + 1))
    what=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error|SUMMARY' "$f" | cut -c1-300)
    echo "FAIL sanitizer report $(basename "$f"): ${what:-see the file}"
    sed -n '1,40p' "$f" | sed 's/^/    /'
    echo "    (whole report: $f)"
done
if [ "$n" -eq 0 ]; then
    echo "PASS no sanitizer reports"
    exit 0
fi
echo "$n sanitizer report(s) in $dir"
exit 1
