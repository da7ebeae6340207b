#!/bin/bash
# Bad input to the job: job_error.json with type AppError and a message
# naming the input and the problem, a failed job, and no output file
# created, left open or linked.
. "$(dirname "$0")/lib.sh"
test/make_data.sh small medium

# job_fails NAME TYPE REGEX DXEMU_RUN_ARGS...
job_fails() {
    local name=$1 type=$2 regex=$3
    shift 3
    run_job "$@"
    assert_eq "$name: job failed" "1 failed" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
    assert_eq "$name: error type" "$type" "$(json_get "$JOB_HOME/job_error.json" 'j["error"]["type"]')"
    local msg=$(json_get "$JOB_HOME/job_error.json" 'j["error"]["message"]')
    [ -z "${SHOW_MESSAGES:-}" ] || echo "MESSAGE $name: $msg"
    assert_match "$name: message" "$regex" "$msg"
    assert_eq "$name: platform failure reason" "$type" "$(json_get "$JOB_JSON" 'j["failureReason"]')"
    assert_absent "$name: no job_output.json" "$JOB_HOME/job_output.json"
    assert_eq "$name: no file created" 0 "$(log_query 'len([e for e in L if e["route"] == "/file/new"])')"
    assert_no_token "$name: no token written"
}

# bad_bam NAME TYPE REGEX FILE [BAI]: upload FILE (and BAI) and run.
bad_bam() {
    local name=$1 type=$2 regex=$3 args
    emu_init
    args=(-i "mappings_sorted_bam=$(emu_upload "$4" --name "${6:-input.bam}")")
    [ -z "${5:-}" ] || args+=(-i "mappings_sorted_bai=$(emu_upload "$5" --name input.bam.bai)")
    job_fails "$name" "$type" "$regex" "${args[@]}"
}

small=$DATA/small.bam
samtools view -h "$small" > "$OUT/text.sam"
bad_bam "SAM text" AppError "in/mappings_sorted_bam/input.bam is not a BAM file" "$OUT/text.sam"
: > "$OUT/empty"
bad_bam "empty file" AppError "input.bam is empty" "$OUT/empty"
size=$(stat -c %s "$small")
head -c $((size / 2)) "$small" > "$OUT/trunc.bam"
bad_bam "truncated BAM" AppError "input.bam is truncated" "$OUT/trunc.bam"
python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[len(d) // 2] ^= 0x55
open(sys.argv[2], "wb").write(d)' "$DATA/medium.bam" "$OUT/corrupt.bam"
bad_bam "corrupt block" AppError "worker [0-9] \(part .*input.bam: truncated or corrupt BGZF block" \
    "$OUT/corrupt.bam" "$DATA/medium.bam.bai"
bad_bam "BAI of another BAM" AppError "input.bam.bai does not belong to .*input.bam" \
    "$DATA/medium.bam" "$small.bai"
bad_bam "BAI that is not an index" AppError "input.bam.bai is not a BAM index" "$small" "$OUT/text.sam"

# The job's input itself.
emu_init
bam=$(emu_upload "$small")
echo '{}' > "$OUT/in.json"
job_fails "missing input" AppError "input mappings_sorted_bam is missing" --raw-input "$OUT/in.json"
echo '{"mappings_sorted_bam": ' > "$OUT/in.json"
job_fails "malformed job_input.json" AppError "job_input.json cannot be read" --raw-input "$OUT/in.json"
echo '["x"]' > "$OUT/in.json"
job_fails "job_input.json not an object" AppError "job_input.json is not a JSON object" --raw-input "$OUT/in.json"
echo "{\"mappings_sorted_bam\": \"$bam\"}" > "$OUT/in.json"
job_fails "input of the wrong class" AppError "input mappings_sorted_bam must be a file link" --raw-input "$OUT/in.json"
echo "{\"mappings_sorted_bam\": {\"\$dnanexus_link\": \"$bam\"}, \"mappings_sorted_bai\": 7}" > "$OUT/in.json"
job_fails "optional input of the wrong class" AppError "input mappings_sorted_bai must be a file link" --raw-input "$OUT/in.json"
echo '{"mappings_sorted_bam": {"$dnanexus_link": "file-0000000000000000000000ZZ"}}' > "$OUT/in.json"
job_fails "file that does not exist" AppError "input mappings_sorted_bam: .*file-0000000000000000000000ZZ.*404" --raw-input "$OUT/in.json"
