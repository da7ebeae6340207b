#!/bin/bash
# Regions, bins and filters in the job, through the emulator: the count
# file and the table it uploads equal samtools, on one machine and with
# subjobs (a part's tally then travels as a file when it is large); bad
# values are AppError naming the input (and the file and line), with no
# file created.
. "$(dirname "$0")/lib.sh"
test/make_data.sh medium trap

# run_counts NAME EXPECTED_TXT EXPECTED_TSV RUN_ARGS...: the job on
# medium.bam gives those two files.
run_counts() {
    local name=$1 exp=$2 exp_tsv=$3
    shift 3
    run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai "$@"
    assert_eq "$name: job done" "0 done" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
    uploaded_count_file > "$OUT/got.txt" 2>/dev/null
    assert_same_file "$name: the count file equals samtools" "$exp" "$OUT/got.txt"
    $EMU cat "$OUT/emu" "$(json_get "$JOB_JSON" 'j["output"]["counts_tsv"]["$dnanexus_link"]')" \
        > "$OUT/got.tsv" 2>/dev/null
    assert_same_file "$name: the table equals samtools" "$exp_tsv" "$OUT/got.tsv"
    assert_eq "$name: total_reads is the count file's total" \
        "$(sed -n 's/^Total reads: //p' "$exp")" "$(json_get "$JOB_JSON" 'j["output"]["total_reads"]')"
}

python3 test/make_regions.py "$DATA/medium.bam" "$OUT/medium.bed" --split 3 --random 300 --regcount "$REGCOUNT"
gzip -c "$OUT/medium.bed" > "$OUT/targets.bed.gz"
filter=(-q 20 -F 0x904)
samtools_counts "$DATA/medium.bam" --regions "$OUT/medium.bed" "${filter[@]}" --sample 300 > "$OUT/regions.txt"
samtools_counts "$DATA/medium.bam" --regions "$OUT/medium.bed" "${filter[@]}" --sample 10 --tsv > "$OUT/regions.tsv"
emu_init
bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
regions=$(emu_upload "$OUT/targets.bed.gz")
run_counts "regions and a filter" "$OUT/regions.txt" "$OUT/regions.tsv" \
    -i regions=$regions -i min_mapq=20 -i exclude_flags=0x904
assert_match "regions and a filter: the log says what is counted" \
    "count: [0-9]+ regions of targets.bed.gz, reads passing -q 20 -F 0x904" "$(cat "$OUT/job.log")"
assert_eq "regions and a filter: the outputs' names" "medium_count.txt medium_counts.tsv" \
    "$(for f in count_file counts_tsv; do $EMU describe "$OUT/emu" "$(json_get "$JOB_JSON" "j['output']['$f']['\$dnanexus_link']")" | json_get /dev/stdin 'j["name"]'; done | tr '\n' ' ' | sed 's/ $//')"
assert_no_token "regions and a filter: no token written"

emu_init
bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
regions=$(emu_upload "$OUT/targets.bed.gz")
run_counts "regions and a filter, subjobs 3" "$OUT/regions.txt" "$OUT/regions.tsv" \
    -i regions=$regions -i min_mapq=20 -i exclude_flags=UNMAP,SECONDARY,SUPPLEMENTARY -i subjobs=3
assert_eq "subjobs 3: each count_part got the regions and the filter" 3 \
    "$(ls "$OUT"/emu/jobs/*/home/dnanexus-job.json | xargs -n1 python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["function"] == "count_part" and "regions" in j["input"] and j["input"].get("min_mapq") == 20)' | grep -c True)"

samtools_counts "$DATA/medium.bam" --bin 100000 -f 0x2 --sample 50 > "$OUT/bins.txt"
samtools_counts "$DATA/medium.bam" --bin 100000 -f 0x2 --sample 5 --tsv > "$OUT/bins.tsv"
for n in 1 2; do
    emu_init
    bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
    run_counts "bins, require_flags, subjobs $n" "$OUT/bins.txt" "$OUT/bins.tsv" \
        -i bin_size=100000 -i require_flags=PROPER_PAIR -i subjobs=$n
done
assert_eq "small tallies travel inside count_part's output" 0 \
    "$(log_query 'len([e for e in L if e["route"] == "/file/new" and e["body"]["name"].endswith(".tally")])')"

# 100-base bins: about 170 000 counts, over 256 kB per part: a file each.
samtools_counts "$DATA/medium.bam" --bin 100 --sample 100 > "$OUT/fine.txt"
samtools_counts "$DATA/medium.bam" --bin 100 --sample 5 --tsv > "$OUT/fine.tsv"
emu_init
bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
run_counts "100-base bins, subjobs 2" "$OUT/fine.txt" "$OUT/fine.tsv" -i bin_size=100 -i subjobs=2
assert_eq "100-base bins, subjobs 2: each part's tally travelled as a file" \
    "count_part_1.tally count_part_2.tally" \
    "$(log_query '" ".join(sorted(e["body"]["name"] for e in L if e["route"] == "/file/new" and e["body"]["name"].endswith(".tally")))')"

# ---- bad values: AppError naming the input, nothing created
# job_fails NAME REGEX [-i NAME=VALUE ...]: a VALUE @PATH is the file PATH,
# uploaded to the job's emulator.
job_fails() {
    local name=$1 regex=$2 arg args=()
    shift 2
    emu_init
    bam=$(emu_upload "$DATA/trap.bam") bai=$(emu_upload "$DATA/trap.bam.bai")
    for arg in "$@"; do
        [[ "$arg" == *=@* ]] && arg="${arg%%=@*}=$(emu_upload "${arg#*=@}")"
        args+=("$arg")
    done
    run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai "${args[@]}"
    assert_eq "$name: job failed" "1 failed" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
    assert_eq "$name: AppError" AppError "$(json_get "$JOB_HOME/job_error.json" 'j["error"]["type"]' 2>/dev/null)"
    assert_match "$name: message" "$regex" "$(json_get "$JOB_HOME/job_error.json" 'j["error"]["message"]' 2>/dev/null)"
    assert_eq "$name: no file created" 0 "$(log_query 'len([e for e in L if e["route"] == "/file/new"])')"
}
printf 'chr1\t10\t20\nchr1\t30\t25\n' > "$OUT/bad.bed"
for sub in 1 3; do
    job_fails "a bad BED line (subjobs $sub)" \
        "input regions: in/regions/bad.bed:2: start 30 is greater than end 25" \
        -i regions=@"$OUT/bad.bed" -i subjobs=$sub
done
printf 'chr1\t10\t20\n' > "$OUT/ok.bed"
job_fails "regions and bin_size together" "inputs regions and bin_size: count a BED file's regions or bins, not both" \
    -i regions=@"$OUT/ok.bed" -i bin_size=1000
job_fails "bin_size 0" "input bin_size must be an int from 1" -i bin_size=0
job_fails "min_mapq 300" "input min_mapq must be an int from 0 to 255" -i min_mapq=300
job_fails "exclude_flags that do not parse" "input exclude_flags: 'UNMAP,BOGUS' is not a FLAG" \
    -i exclude_flags=UNMAP,BOGUS
job_fails "count_method index with bins" "count_method index counts whole reference sequences with no filter" \
    -i count_method=index -i bin_size=1000
job_fails "count_method index with a filter" "count_method index counts whole reference sequences with no filter" \
    -i count_method=index -i min_mapq=1
