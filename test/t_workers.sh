#!/bin/bash
# Worker failures fail the whole run: no count file, non-zero exit, and a
# message with the worker's part and what it wrote to stderr.
. "$(dirname "$0")/lib.sh"
test/make_data.sh medium
bam=$DATA/medium.bam

# worker_case NAME FAULT STATUS REGEX [ARGS...]
worker_case() {
    local name=$1 fault=$2 want=$3 regex=$4 status
    shift 4
    rm -f "$OUT/out.txt"
    REGCOUNT_TEST_FAULT=$fault "$REGCOUNT" count --quiet -j 4 -o "$OUT/out.txt" "$@" "$bam" 2> "$OUT/err.txt"
    status=$?
    assert_eq "$name: exit status" "$want" "$status"
    assert_match "$name: message" "$regex" "$(cat "$OUT/err.txt")"
    assert_absent "$name: no count file" "$OUT/out.txt"
}

worker_case "worker killed by SIGKILL" kill:2 4 \
    "worker 3 \(part 3 of 4: bytes [0-9]+-[0-9]+, from position [0-9]+ of .*\) was killed by signal 9"
worker_case "worker exits non-zero" exit:0 4 \
    "worker 1 \(part 1 of 4: .*\) failed with exit status 4: regcount: worker 1: injected failure"
worker_case "worker hangs past the time bound" hang:1 4 \
    "did not finish within 3 s \| worker 2 \(part 2 of 4: .*\) was still running" -t 3

# No worker may be left behind after a failure.
REGCOUNT_TEST_FAULT=hang:3 "$REGCOUNT" count --quiet -j 4 -t 2 "$bam" > /dev/null 2>&1
sleep 0.5
left=$(processes_named regcount "count --quiet -j 4 -t 2" | wc -l)
assert_eq "no worker left after a timeout" 0 "$left"

# SIGTERM to the parent stops every worker, writes nothing, exits non-zero.
REGCOUNT_TEST_FAULT=hang:0 "$REGCOUNT" count --quiet -j 4 -o "$OUT/term.txt" "$bam" 2> "$OUT/term.err" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
status=$?
assert_eq "SIGTERM: exit status" 4 "$status"
assert_match "SIGTERM: message" "stopped by signal 15" "$(cat "$OUT/term.err")"
assert_absent "SIGTERM: no count file" "$OUT/term.txt"
sleep 0.5
assert_eq "SIGTERM: no worker left" 0 "$(processes_named regcount "count --quiet -j 4 -o $OUT/term.txt" | wc -l)"
