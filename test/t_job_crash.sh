#!/bin/bash
# The fault matrix, part 2: faults in the job itself. A worker killed by a
# signal, exiting non-zero or hanging fails the job with AppInternalError
# naming the worker, its part and its stderr; the other workers are
# stopped; nothing is uploaded. SIGTERM to the job stops every worker. A
# full disk is reported, and job_error.json still gets written.
. "$(dirname "$0")/lib.sh"
test/make_data.sh medium

# job_processes HOME: pids of the regcount processes working in that home.
job_processes() {
    local d
    for d in /proc/[0-9]*; do
        [ "$(cat "$d/comm" 2>/dev/null)" = regcount ] && [ "$(readlink "$d/cwd" 2>/dev/null)" = "$1" ] &&
            echo "${d#/proc/}"
    done
}

# parent_of PID
parent_of() { awk '{print $4}' "/proc/$1/stat"; }

# crash_case NAME FAULT REGEX: a job whose worker meets REGCOUNT_TEST_FAULT.
crash_case() {
    local name=$1 regex=$3
    JOB_ENV="REGCOUNT_TEST_FAULT=$2 REGCOUNT_STALL_TIMEOUT=3 REGCOUNT_WORKERS=3"
    emu_init
    bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
    run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai
    assert_eq "$name: job failed" "1 failed" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
    assert_eq "$name: AppInternalError" AppInternalError "$(json_get "$JOB_HOME/job_error.json" 'j["error"]["type"]')"
    assert_match "$name: names the worker, its part and its stderr" "$regex" \
        "$(json_get "$JOB_HOME/job_error.json" 'j["error"]["message"]')"
    assert_eq "$name: nothing uploaded" 0 "$(log_query 'len([e for e in L if e["route"] == "/file/new"])')"
    assert_eq "$name: no worker left" "" "$(job_processes "$JOB_HOME")"
    assert_no_token "$name: no token written"
    JOB_ENV=""
}

crash_case "worker killed by SIGKILL" kill:1 \
    "worker 2 \(part 2 of 3: bytes [0-9]+-[0-9]+, from position [0-9]+ of [^)]+\) was killed by signal 9"
crash_case "worker exits non-zero" exit:2 \
    "worker 3 \(part 3 of 3: .*\) failed with exit status 4: regcount: worker 3: injected failure"
crash_case "worker hangs" hang:0 \
    "worker 1 made no progress for 3 s \| worker 1 \(part 1 of 3: .*\) was still running"

# A crashing worker leaves no core dump (it would hold the job's token).
JOB_PRELUDE="ulimit -c unlimited"
crash_case "worker aborts" abort:0 "worker 1 \(part 1 of 3: .*\) was killed by signal 6"
assert_eq "worker aborts: no core dump" "" "$(find "$OUT/emu" -name 'core*' -type f)"
JOB_PRELUDE=""

# SIGTERM to the job (the platform terminating it).
JOB_ENV="REGCOUNT_TEST_FAULT=hang:0"
emu_init
bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai &
runner=$!
# Wait for the job and its hung worker (the others finish at once).
for _ in $(seq 100); do
    home=$(ls -d "$OUT"/emu/jobs/job-*/home 2>/dev/null | head -1)
    [ -n "$home" ] && [ "$(job_processes "$home" | wc -l)" -ge 2 ] && break
    sleep 0.1
done
parent=$(for p in $(job_processes "$home"); do
    [ "$(cat "/proc/$(parent_of "$p")/comm")" = regcount ] || echo "$p"; done | head -1)
kill -TERM "$parent"
wait $runner
assert_eq "SIGTERM: job failed" "failed" "$(json_get "$JOB_JSON" 'j["state"]')"
assert_match "SIGTERM: reported" "stopped by signal 15" "$(json_get "$home/job_error.json" 'j["error"]["message"]')"
assert_eq "SIGTERM: no worker left, no zombie" "" "$(job_processes "$home")"
assert_eq "SIGTERM: nothing uploaded" 0 "$(log_query 'len([e for e in L if e["route"] == "/file/new"])')"
JOB_ENV=""

# A full disk: the job's home is a small tmpfs, filled up while the BAM
# downloads; the error is reported through the space reserved at start.
if [ "$(id -u)" -eq 0 ]; then
    JOB_PRELUDE='
mkdir -p /tmp/keep.$$ && cp -a "$HOME/." /tmp/keep.$$/
mount -t tmpfs -o size=80m tmpfs "$HOME" && cp -a /tmp/keep.$$/. "$HOME/" && rm -rf /tmp/keep.$$
cd "$HOME"
( until [ -d in/mappings_sorted_bam ]; do sleep 0.05; done
  dd if=/dev/zero of=filler bs=1M 2>/dev/null ) &'
    emu_init
    bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
    run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai -i download_first=true --rate 2000000
    assert_eq "full disk: job failed" "1 failed" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
    assert_match "full disk: reported in job_error.json" "cannot write .*medium.bam: No space left on device" \
        "$(json_get "$JOB_HOME/job_error.json" 'j["error"]["message"]')"
    assert_eq "full disk: AppError, as when foreseen (the instance is the user's choice)" AppError \
        "$(json_get "$JOB_HOME/job_error.json" 'j["error"]["type"]')"
    assert_eq "full disk: nothing uploaded" 0 "$(log_query 'len([e for e in L if e["route"] == "/file/new"])')"
    umount "$JOB_HOME"
    JOB_PRELUDE=""
else
    fail "full disk" "needs root to mount a tmpfs"
fi
