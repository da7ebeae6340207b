#!/bin/bash
# A CRAM and its CRAI as the job's inputs, through the emulator: streamed
# (the workers read their containers from the download URL), downloaded
# first, with the index method (the container headers fetched with small
# Range requests), with subjobs, with regions and with reference_fasta;
# the count file equals samtools. A cut-short CRAM, a CRAI of another file
# and a corrupt block are AppError naming the file, with no file created.
. "$(dirname "$0")/lib.sh"
test/make_cram.sh > /dev/null || exit 1
CD=$DATA/cram

# run_counts NAME EXPECTED CRAM RUN_ARGS...: the job on CRAM (uploaded with
# its CRAI) gives the count file EXPECTED.
run_counts() {
    local name=$1 exp=$2 cram=$3
    shift 3
    emu_init
    run_job -i "mappings_sorted_bam=$(emu_upload "$cram")" \
        -i "mappings_sorted_bai=$(emu_upload "$cram.crai")" "$@"
    assert_eq "$name: job done" "0 done" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
    uploaded_count_file > "$OUT/got.txt" 2>/dev/null
    assert_same_file "$name: the count file equals samtools" "$exp" "$OUT/got.txt"
}

for name in medium-3.1-ref-slices medium-3.0-noref-multi; do
    cram=$CD/$name.cram
    samtools_counts "$cram" > "$OUT/$name.txt"
    run_counts "$name streamed" "$OUT/$name.txt" "$cram"
    assert_match "$name streamed: the workers stream" "streaming from the download URL" "$(cat "$OUT/job.log")"
    assert_eq "$name streamed: the outputs' names" "${name}_count.txt" \
        "$($EMU describe "$OUT/emu" "$(json_get "$JOB_JSON" "j['output']['count_file']['\$dnanexus_link']")" | json_get /dev/stdin 'j["name"]')"
    run_counts "$name, count_method index" "$OUT/$name.txt" "$cram" -i count_method=index
    assert_match "$name, count_method index: the container headers read" \
        "index: [0-9]+ container headers read" "$(cat "$OUT/job.log")"
    run_counts "$name, subjobs 3" "$OUT/$name.txt" "$cram" -i subjobs=3
    assert_eq "$name, subjobs 3: three count_part jobs" 3 \
        "$(grep -l '"function": "count_part"' "$OUT"/emu/jobs/*/home/dnanexus-job.json | wc -l)"
    run_counts "$name, download_first" "$OUT/$name.txt" "$cram" -i download_first=true
done
assert_no_token "CRAM jobs: no token written"

# The index method reads a small part of the CRAM.
cram=$CD/medium-3.1-ref-slices.cram
run_counts "index method on one reference per container" "$OUT/medium-3.1-ref-slices.txt" "$cram" \
    -i count_method=index
served=$(log_query 'sum(e.get("bytes", 0) for e in L if e["route"].startswith("/storage"))')
assert_eq "index method: under a fifth of the CRAM fetched ($served of $(stat -c %s "$cram") bytes)" 1 \
    "$(( served * 5 < $(stat -c %s "$cram") ))"

# Regions and bins, and the reference given.
python3 test/make_regions.py "$DATA/medium.bam" "$OUT/m.bed" --random 200 --regcount "$REGCOUNT"
samtools view -H "$cram" | awk -F'\t' 'FNR == NR { if ($1 == "@SQ") { sub("SN:", "", $2);
    sub("LN:", "", $3); len[$2] = $3 } next } /^[#t]/ || $2 + 0 < len[$1] + 0' - "$OUT/m.bed" > "$OUT/in.bed"
samtools_counts "$cram" --regions "$OUT/in.bed" --sample 100 > "$OUT/r.txt"
emu_init
bed=$(emu_upload "$OUT/in.bed")
run_job -i "mappings_sorted_bam=$(emu_upload "$cram")" -i "mappings_sorted_bai=$(emu_upload "$cram.crai")" \
    -i regions=$bed -i subjobs=2
assert_eq "regions, subjobs 2: job done" "0 done" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
uploaded_count_file > "$OUT/got.txt" 2>/dev/null
assert_same_file "regions, subjobs 2: the count file equals samtools" "$OUT/r.txt" "$OUT/got.txt"
samtools_counts "$cram" -T "$DATA/medium.fa" --bin 20000 --sample 50 > "$OUT/b.txt"
emu_init
run_job -i "mappings_sorted_bam=$(emu_upload "$cram")" -i "mappings_sorted_bai=$(emu_upload "$cram.crai")" \
    -i bin_size=20000 -i "reference_fasta=$(emu_upload "$DATA/medium.fa")" \
    -i "reference_fasta_index=$(emu_upload "$DATA/medium.fa.fai")"
assert_eq "reference_fasta: job done" "0 done" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
uploaded_count_file > "$OUT/got.txt" 2>/dev/null
assert_same_file "reference_fasta: the count file equals samtools" "$OUT/b.txt" "$OUT/got.txt"
emu_init
run_job -i "mappings_sorted_bam=$(emu_upload "$cram")" -i "mappings_sorted_bai=$(emu_upload "$cram.crai")" \
    -i bin_size=20000 -i "reference_fasta=$(emu_upload "$DATA/medium.fa" --name ref.fa)"
assert_eq "reference_fasta without its .fai (built): job done" "0 done" \
    "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"

# ---- bad input: AppError naming the file, no file created
# bad_job NAME REGEX CRAM CRAI [RUN_ARGS...]
bad_job() {
    local name=$1 regex=$2 cram=$3 crai=$4
    shift 4
    emu_init
    run_job -i "mappings_sorted_bam=$(emu_upload "$cram" --name input.cram)" \
        -i "mappings_sorted_bai=$(emu_upload "$crai" --name input.cram.crai)" "$@"
    assert_eq "$name: job failed" "1 failed" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
    # (With subjobs the failure is a count_part's; the platform passes it on.)
    assert_eq "$name: AppError" AppError "$(json_get "$JOB_JSON" 'j["failureReason"]')"
    assert_match "$name: message" "$regex" "$(json_get "$JOB_JSON" 'j["failureMessage"]')"
    assert_eq "$name: no file created" 0 "$(log_query 'len([e for e in L if e["route"] == "/file/new"])')"
}
src=$CD/medium-3.0-noref-multi.cram
size=$(stat -c %s "$src")
head -c $((size - 38)) "$src" > "$OUT/cut.cram"
bad_job "CRAM cut short" "input.cram is truncated: the CRAM end-of-file container is missing" \
    "$OUT/cut.cram" "$src.crai"
bad_job "CRAI of another CRAM" "does not belong to" "$src" "$CD/medium-3.1-ref-slices.cram.crai"
bad_job "CRAI of another CRAM, count_method index" "does not belong to" "$src" \
    "$CD/medium-3.1-ref-slices.cram.crai" -i count_method=index
python3 - "$src" "$OUT/blk.cram" <<'PY'
import gzip, sys
src, out = sys.argv[1:]
offsets = sorted({int(l.split("\t")[3]) for l in gzip.open(src + ".crai", "rt") if l.strip()})
beg, end = offsets[len(offsets) // 2], offsets[len(offsets) // 2 + 1]
data = bytearray(open(src, "rb").read())
data[beg + (end - beg) * 3 // 5] ^= 0x55
open(out, "wb").write(data)
PY
bad_job "a corrupt block, streamed" "input.cram: the container at byte [0-9]+: the CRC32 of block [0-9]+ does not match" \
    "$OUT/blk.cram" "$src.crai"
bad_job "a corrupt block, subjobs 2" "the CRC32 of block [0-9]+ does not match" "$OUT/blk.cram" "$src.crai" \
    -i subjobs=2
