# Shared helpers for the shell tests. Sourced by every test/t_*.sh.
#
# Each check prints exactly one line, "PASS <name>" or "FAIL <name>: <why>";
# test/run.sh counts those lines. A test file should keep going after a
# failed check so that one run shows every problem.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# REGCOUNT_RESOURCES points the tests at another build of resources/ (the
# sanitizer build of make test-asan).
RESOURCES=${REGCOUNT_RESOURCES:-$ROOT/resources}
REGCOUNT=$RESOURCES/usr/bin/regcount
TBIN=$ROOT/test/bin
DATA=$ROOT/test/data
# A scratch directory per test file, removed on exit unless KEEP_OUT is set.
OUT=$(mktemp -d "${TMPDIR:-/tmp}/regcount-test.XXXXXX")
[ -n "${KEEP_OUT:-}" ] || trap 'rm -rf "$OUT"' EXIT
# Debian's python3 (test/deps.sh installs it), not a version manager's shim
# that may come first on PATH: the tests start python thousands of times, and
# a shim costs 80 ms a start.
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
    mkdir -p "$OUT/.bin" && ln -sf /usr/bin/python3 "$OUT/.bin/python3" && PATH=$OUT/.bin:$PATH
fi

# samtools (htslib 1.16) asks www.ebi.ac.uk for a CRAM's reference when
# REF_PATH is unset; the tests have no network and give -T where needed.
export REF_PATH=$OUT/no-reference-here/%s
unset REF_CACHE

# processes_named COMM PATTERN: pids of processes called COMM whose command
# line contains PATTERN (from /proc: procps may not be installed).
processes_named() {
    local d
    for d in /proc/[0-9]*; do
        [ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && tr '\0' ' ' < "$d/cmdline" 2>/dev/null | grep -qF -- "$2" &&
            echo "${d#/proc/}"
    done
}

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

# samtools_counts BAM [options]: the reference counts (test/samtools_counts.py:
# one samtools pass, checked against `samtools view -c` on a sample).
samtools_counts() {
    python3 "$ROOT/test/samtools_counts.py" "$@"
}

# expected_counts PROFILE: the samtools reference count file for
# test/data/PROFILE.bam, made again whenever the BAM or the script is newer
# (test/data is not committed).
expected_counts() {
    local bam=$DATA/$1.bam exp=$DATA/$1.expected
    if [ ! -s "$exp" ] || [ "$bam" -nt "$exp" ] || [ "$ROOT/test/samtools_counts.py" -nt "$exp" ]; then
        samtools_counts "$bam" > "$exp.tmp" && mv "$exp.tmp" "$exp"
    fi
    echo "$exp"
}

# ---- the platform emulator ------------------------------------------------

EMU="python3 $ROOT/test/emulator/dxemu.py"

# emu_init [init options]: a fresh emulator state in $OUT/emu, and an
# applet directory $OUT/applet that is the real applet except that its
# entry script also records each job's DX_SECURITY_CONTEXT in $OUT/tokens,
# so that the tests can search everything a job wrote for its token,
# exports JOB_ENV (e.g. "REGCOUNT_CLOSE_WAIT=3") into the job, and runs the
# shell code in JOB_PRELUDE before the entry point. Jobs wait TEST_RETRY_WAIT
# (0.05 s) before their first retry instead of 1 s: the schedule itself is
# test_backoff's, and the cases that prove a wait is honoured ask for it
# (Retry-After, REGCOUNT_RETRY_WAIT in JOB_ENV).
emu_init() {
    rm -rf "$OUT/emu" "$OUT/applet"
    $EMU init "$OUT/emu" "$@" > /dev/null
    mkdir -p "$OUT/applet/src"
    ln -s "$ROOT/dxapp.json" "$OUT/applet/dxapp.json"
    ln -s "$RESOURCES" "$OUT/applet/resources"
    cat > "$OUT/applet/src/regcount.sh" <<WRAP
. "$ROOT/src/regcount.sh"
printf '%s\n' "\$DX_SECURITY_CONTEXT" >> "$OUT/tokens"
export REGCOUNT_RETRY_WAIT=${TEST_RETRY_WAIT:-0.05}
${JOB_ENV:+export $JOB_ENV}
${JOB_PRELUDE:-}
WRAP
}

emu_upload() { $EMU upload "$OUT/emu" "$@"; }

# run_job DXEMU_RUN_ARGS...: run the applet's main; sets JOB (its id),
# JOB_HOME, JOB_STATUS (dxemu's exit status) and JOB_JSON (its describe).
# Uploaded files close after TEST_CLOSE_DELAY (0.05 s; the emulator's
# default is 0.3 s) unless the arguments say otherwise.
run_job() {
    JOB_JSON=$OUT/job.json
    local delay=(--close-delay "${TEST_CLOSE_DELAY:-0.05}")
    [[ " $* " == *" --close-delay "* ]] && delay=()
    $EMU run "$OUT/emu" "$OUT/applet" "${delay[@]}" "$@" > "$JOB_JSON" 2> "$OUT/job.log"
    JOB_STATUS=$?
    JOB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$JOB_JSON" 2>/dev/null)
    JOB_HOME=$OUT/emu/jobs/$JOB/home
}

# json_get FILE EXPR: a value from a JSON file (python expression on j).
json_get() {
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# assert_no_token NAME: no token recorded in $OUT/tokens appears in any
# file a job wrote, in the job logs, or in the emulator's request log.
assert_no_token() {
    local t found=""
    while IFS= read -r t; do
        t=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["auth_token"])' "$t")
        if grep -rlF -- "$t" "$OUT/emu" "$OUT/job.log" "$OUT/job.json" 2>/dev/null | grep -q .; then
            found="$found $(grep -rlF -- "$t" "$OUT/emu" "$OUT/job.log" "$OUT/job.json" | head -3 | tr '\n' ' ')"
        fi
    done < "$OUT/tokens"
    if [ -s "$OUT/tokens" ] && [ -z "$found" ]; then pass "$1"
    elif [ -z "$found" ]; then fail "$1" "no token was recorded"
    else fail "$1" "token found in$found"; fi
}

# uploaded_count_file: the bytes of the count file the job's output links.
uploaded_count_file() {
    $EMU cat "$OUT/emu" "$(json_get "$JOB_JSON" 'j["output"]["count_file"]["$dnanexus_link"]')"
}

# log_query EXPR: evaluate a python expression over L, the emulator's
# request log (a list of dicts), and print the result.
log_query() {
    python3 -c 'import json,os,sys
L = [json.loads(x) for x in open(sys.argv[1])] if os.path.exists(sys.argv[1]) else []
print(eval(sys.argv[2]))' \
        "$OUT/emu/requests.jsonl" "$1"
}
