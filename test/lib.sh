# Shared helpers for the shell tests. Sourced by every test/t_*.sh.
#
# Each check prints exactly one line, "PASS <name>" or "FAIL <name>: <why>";
# test/run.sh counts those lines. A test file should keep going after a
# failed check so that one run shows every problem.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REGCOUNT=$ROOT/resources/usr/bin/regcount
TBIN=$ROOT/test/bin
DATA=$ROOT/test/data
# A scratch directory per test file, removed on exit unless KEEP_OUT is set.
OUT=$(mktemp -d "${TMPDIR:-/tmp}/regcount-test.XXXXXX")
[ -n "${KEEP_OUT:-}" ] || trap 'rm -rf "$OUT"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# assert_eq NAME EXPECTED ACTUAL
assert_eq() {
    if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "expected [$2], got [$3]"; fi
}

# assert_same_file NAME EXPECTED_FILE ACTUAL_FILE
assert_same_file() {
    if cmp -s "$2" "$3"; then pass "$1"
    else fail "$1" "$(diff "$2" "$3" 2>&1 | head -5 | tr '\n' '|')"; fi
}

# assert_match NAME REGEX TEXT
assert_match() {
    if [[ "$3" =~ $2 ]]; then pass "$1"; else fail "$1" "[$3] does not match /$2/"; fi
}

# assert_absent NAME PATH
assert_absent() {
    if [ -e "$2" ]; then fail "$1" "$2 exists"; else pass "$1"; fi
}

# samtools_counts BAM: the reference count file, built from one
# `samtools view -c BAM '{name}'` per @SQ line, in header order.
samtools_counts() {
    python3 "$ROOT/test/samtools_counts.py" "$@"
}

# expected_counts PROFILE: the samtools reference count file for
# test/data/PROFILE.bam, computed once per checkout (test/data is not
# committed) with one `samtools view -c` per @SQ name.
expected_counts() {
    local bam=$DATA/$1.bam exp=$DATA/$1.expected
    if [ ! -s "$exp" ]; then
        samtools_counts "$bam" > "$exp.tmp" && mv "$exp.tmp" "$exp"
    fi
    echo "$exp"
}
