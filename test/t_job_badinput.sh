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

# bad_bam NAME TYPE REGEX FILE [BAI [NAME [RUN_ARGS...]]]: upload FILE as
# NAME (input.bam) and BAI (if not "") and run.
bad_bam() {
    local name=$1 type=$2 regex=$3 file=$4 bai=${5:-} as=${6:-input.bam} args
    shift 6 2>/dev/null || shift $#
    emu_init
    args=(-i "mappings_sorted_bam=$(emu_upload "$file" --name "$as")")
    [ -z "$bai" ] || args+=(-i "mappings_sorted_bai=$(emu_upload "$bai" --name input.bam.bai)")
    job_fails "$name" "$type" "$regex" "${args[@]}" "$@"
}

small=$DATA/small.bam
medium=$DATA/medium.bam
samtools view -h "$small" > "$OUT/text.sam"
bad_bam "SAM text" AppError "in/mappings_sorted_bam/input.bam is not a BAM or CRAM file" "$OUT/text.sam"
gzip -c "$OUT/text.sam" > "$OUT/plain.gz"
bad_bam "gzip but not BGZF" AppError "input.bam is not BGZF-compressed BAM|input.bam is not a BAM or CRAM file" "$OUT/plain.gz"
: > "$OUT/empty"
bad_bam "empty file" AppError "input.bam is empty" "$OUT/empty"

# Truncated inside the header, inside a record, just before the EOF block.
size=$(stat -c %s "$medium")
head -c 200 "$medium" > "$OUT/trunc_header.bam"
head -c $((size / 2)) "$medium" > "$OUT/trunc_record.bam"
head -c $((size - 28)) "$medium" > "$OUT/trunc_eof.bam"
for t in header record eof; do
    bad_bam "truncated ($t)" AppError "input.bam is truncated: the BGZF end-of-file marker is missing" \
        "$OUT/trunc_$t.bam" "$medium.bai"
done

# A corrupt block in the middle: a bad CRC, and bad deflate data.
corrupt_block() { # WHAT OUT: flip a byte of the middle BGZF block
    python3 - "$medium" "$2" "$1" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
blocks, at = [], 0
while at < len(data):
    size = data[at + 16] + (data[at + 17] << 8) + 1
    blocks.append((at, size))
    at += size
start, size = blocks[len(blocks) // 2]
data[start + size - 8 if sys.argv[3] == "crc" else start + 30] ^= 0x55
open(sys.argv[2], "wb").write(data)
PY
}
corrupt_block crc "$OUT/bad_crc.bam"
bad_bam "corrupt block (bad CRC)" AppError "worker [0-9] \(part .*input.bam: truncated or corrupt BGZF block near byte" \
    "$OUT/bad_crc.bam" "$medium.bai"
assert_match "corrupt block (bad CRC): the part was read again first" "reading the part again" "$(cat "$OUT/job.log")"
corrupt_block deflate "$OUT/bad_deflate.bam"
bad_bam "corrupt block (bad deflate data)" AppError "worker [0-9] \(part .*input.bam: truncated or corrupt BGZF block near byte" \
    "$OUT/bad_deflate.bam" "$medium.bai"
bad_bam "corrupt block, downloaded first" AppError "worker [0-9] \(part .*input.bam: truncated or corrupt BGZF block" \
    "$OUT/bad_crc.bam" "$medium.bai" input.bam -i download_first=true

# Unsorted, with the index of the sorted file; an index of another BAM; a
# file that is no index.
bad_bam "unsorted BAM" AppError "input.bam: no record can be read at byte [0-9]+, where the index says one starts|input.bam is not sorted by coordinate" \
    "$DATA/unsorted.bam" "$medium.bai"
bad_bam "BAI of another BAM" AppError "input.bam.bai does not belong to .*input.bam" "$medium" "$small.bai"
bad_bam "BAI that is not an index" AppError "input.bam.bai is not a BAM index" "$small" "$OUT/text.sam"
bad_bam "index method without a BAI" AppError "count_method index needs input mappings_sorted_bai" \
    "$small" "" input.bam -i count_method=index

# The job's input itself.
emu_init
bam=$(emu_upload "$small")
echo '{}' > "$OUT/in.json"
job_fails "missing input" AppError "no input to count: give mappings_sorted_bam" --raw-input "$OUT/in.json"
echo '{"subjobs": 3}' > "$OUT/in.json"
job_fails "missing input, subjobs 3" AppError "no input to count: give mappings_sorted_bam" --raw-input "$OUT/in.json"
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

# A setting that is not a number in range fails the job, naming it.
JOB_ENV="REGCOUNT_WORKERS=4x"
emu_init
bam=$(emu_upload "$small")
job_fails "a bad REGCOUNT_WORKERS" AppInternalError "REGCOUNT_WORKERS takes a whole number from 1 to 1024, not '4x'" \
    -i mappings_sorted_bam=$bam
JOB_ENV=""

# A file name with path separators, "..", spaces, quotes and non-ASCII
# characters stays inside the job's directory and gives a safe output name.
emu_init
evil='../../x y'"'"'"z/..\проба.bam'
bam=$(emu_upload "$DATA/small.bam" --name "$evil") bai=$(emu_upload "$DATA/small.bam.bai" --name "$evil.bai")
run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai
assert_eq "odd file name: job done" "0 done" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
uploaded_count_file > "$OUT/odd.uploaded"
assert_same_file "odd file name: counts equal samtools" "$(expected_counts small)" "$OUT/odd.uploaded"
name=$($EMU describe "$OUT/emu" "$(json_get "$JOB_JSON" 'j["output"]["count_file"]["$dnanexus_link"]')" | json_get /dev/stdin 'j["name"]')
assert_match "odd file name: a safe output name" '^[A-Za-z0-9_+-][A-Za-z0-9._+-]*_count\.txt$' "$name"
assert_eq "odd file name: the inputs stay in in/<input>/" "1 1" \
    "$(ls -A "$JOB_HOME/in/mappings_sorted_bam" | wc -l) $(ls -A "$JOB_HOME/in/mappings_sorted_bai" | wc -l)"
assert_eq "odd file name: nothing written outside the job's home" "" \
    "$(find "$OUT/emu/jobs" "$OUT" -maxdepth 3 -newer "$OUT/emu/emulator.json" \( -name '*x y*' -o -name '*проба*' \) -not -path "$JOB_HOME/*")"
