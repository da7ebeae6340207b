#!/bin/bash
# The libFuzzer targets of test/fuzz, replayed: each runs every input in
# test/fuzz/regressions/<target>/ (crashes found before, which must stay
# fixed) and in its seed corpus, once, deterministically. Random fuzzing is
# make fuzz's; FUZZ_TEST_SECONDS=N adds N seconds of it per target here.
# One PASS/FAIL line per target. A crash found here is kept in
# build/fuzz/work/crashes/<target>/ (see test/fuzz/README.md).
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 2
SECONDS_EACH=${FUZZ_TEST_SECONDS:-0}
TARGETS="fuzz_job_input fuzz_api_response fuzz_countfile fuzz_bam"

if ! sh test/deps.sh build fuzz > "$OUT/deps.log" 2>&1; then
    for t in $TARGETS; do fail "$t" "cannot install clang: $(tail -1 "$OUT/deps.log")"; done
    exit 0
fi
if ! make -s fuzz-build > "$OUT/build.log" 2>&1; then
    for t in $TARGETS; do fail "$t" "build failed: $(grep -m1 -E 'error|Error' "$OUT/build.log")"; done
    exit 0
fi
# The targets' scratch files: in memory when /dev/shm is there (the job
# files are written with fsync), removed at the end.
SCRATCH=$(mktemp -d /dev/shm/regcount-t_fuzz.XXXXXX 2>/dev/null || mktemp -d "$OUT/scratch.XXXXXX")
trap 'rm -rf "$SCRATCH"; [ -n "${KEEP_OUT:-}" ] || rm -rf "$OUT"' EXIT
export TMPDIR=$SCRATCH

# first_error LOG: the line of a libFuzzer log that says what went wrong.
first_error() {
    grep -m1 -E 'CHECK failed|runtime error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY' "$1" |
        cut -c1-300
}

for t in $TARGETS; do
    bin=$TBIN/fuzz/$t
    why=""
    # Regressions and seeds: every file, each once, in one process.
    inputs=()
    [ -d test/fuzz/regressions/$t ] && mapfile -t inputs < <(find test/fuzz/regressions/$t -type f | sort)
    n_regs=${#inputs[@]}
    mapfile -t -O "$n_regs" inputs < <(find test/fuzz/corpus/$t -type f | sort)
    if ! "$bin" -runs=1 "${inputs[@]}" > "$OUT/$t.replay.log" 2>&1; then
        why="replay: $(first_error "$OUT/$t.replay.log") ($(grep -m1 -o 'Running: [^ ]*' "$OUT/$t.replay.log" | tail -1))"
    fi
    # Random fuzzing from the seeds, on a scratch corpus, when asked for.
    if [ -z "$why" ] && [ "$SECONDS_EACH" -gt 0 ]; then
        mkdir -p "$OUT/corpus/$t" "$OUT/crash/$t"
        dict=()
        [ -f test/fuzz/$t.dict ] && dict=(-dict=test/fuzz/$t.dict)
        if ! "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 "${dict[@]}" \
                -artifact_prefix="$OUT/crash/$t/" "$OUT/corpus/$t" test/fuzz/corpus/$t \
                > "$OUT/$t.log" 2>&1; then
            mkdir -p build/fuzz/work/crashes/$t
            cp "$OUT/crash/$t/"* build/fuzz/work/crashes/$t/ 2>/dev/null
            why="$(first_error "$OUT/$t.log") (input kept in build/fuzz/work/crashes/$t/)"
        fi
    fi
    if [ -z "$why" ]; then
        echo "# $t: $n_regs regressions and $((${#inputs[@]} - n_regs)) seeds replayed"
        pass "$t"
    else
        fail "$t" "$why"
    fi
done
