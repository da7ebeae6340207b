#!/bin/bash
# Many files in one job, through the emulator: inputs mappings and indexes
# (matched by name, given in another order), counted on one machine and
# spread over count_samples subjobs; the matrix equals samtools per sample,
# the count files and idxstats equal the command's; bad files among good
# ones fail the job naming every one, with nothing uploaded; hundreds of
# files with subjobs.
. "$(dirname "$0")/lib.sh"
"$ROOT/test/make_cohort.sh" --many 200
C=$DATA/cohort
FILES=("$C/c01.bam" "$C/c02.bam" "$C/c03.bam" "$C/c04.bam" "$C/c05.bam" "$C/c06.cram" "$C/c07.cram")
NAMES=(S1 S2 c03 S4 S1_2 S6 S7)

# upload_cohort FILE...: upload each file and its index; sets ARGS to the
# -i mappings=... in the order given and -i indexes=... in reverse order.
upload_cohort() {
    local f i indexes=()
    for ((i = $# ; i >= 1; i--)); do
        for f in "${!i}.bai" "${!i}.crai"; do [ -e "$f" ] && indexes+=("$f"); done
    done
    ARGS=()
    for f in $(emu_upload "$@"); do ARGS+=(-i "mappings=$f"); done
    for f in $(emu_upload "${indexes[@]}"); do ARGS+=(-i "indexes=$f"); done
}

# output_file FIELD [INDEX]: the bytes of an output file.
output_file() {
    local expr="j[\"output\"][\"$1\"]${2:+[$2]}[\"\$dnanexus_link\"]"
    $EMU cat "$OUT/emu" "$(json_get "$JOB_JSON" "$expr")"
}
output_name() {
    local expr="j[\"output\"][\"$1\"]${2:+[$2]}[\"\$dnanexus_link\"]"
    $EMU describe "$OUT/emu" "$(json_get "$JOB_JSON" "$expr")" | json_get /dev/stdin 'j["name"]'
}

"$REGCOUNT" count --quiet --outdir "$OUT/local" --matrix "$OUT/local.tsv" "${FILES[@]}"
python3 "$ROOT/test/cohort_expected.py" --names "$(IFS=,; echo "${NAMES[*]}")" "${FILES[@]}" > "$OUT/expected.tsv"

for n in 1 3; do
    emu_init
    upload_cohort "${FILES[@]}"
    run_job "${ARGS[@]}" -i subjobs=$n
    what="cohort, subjobs=$n"
    assert_eq "$what: done" "0 done" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
    assert_eq "$what: the outputs" "count_files counts_matrix multiqc report" \
        "$(json_get "$JOB_JSON" '" ".join(sorted(j["output"]))')"
    output_file counts_matrix > "$OUT/m$n.tsv"
    assert_same_file "$what: the matrix equals samtools per sample" "$OUT/expected.tsv" "$OUT/m$n.tsv"
    for i in 0 1 2 3 4 5 6; do
        s=${NAMES[$i]}
        assert_eq "$what: count file $((i + 1)) is ${s}_count.txt" "${s}_count.txt" "$(output_name count_files $i)"
        output_file count_files $i > "$OUT/c.txt"
        assert_same_file "$what: ${s}_count.txt equals the command's" "$OUT/local/${s}_count.txt" "$OUT/c.txt"
        assert_eq "$what: MultiQC file $((i + 1)) is $s.idxstats" "$s.idxstats" "$(output_name multiqc $i)"
        output_file multiqc $i > "$OUT/i.txt"
        assert_same_file "$what: $s.idxstats equals samtools idxstats" <(samtools idxstats "${FILES[$i]}") "$OUT/i.txt"
    done
    assert_eq "$what: the last MultiQC file is the table" "regcount_mqc.tsv" "$(output_name multiqc 7)"
    output_file multiqc 7 > "$OUT/mqc.tsv"
    assert_same_file "$what: the MultiQC table equals the command's" "$OUT/local/regcount_mqc.tsv" "$OUT/mqc.tsv"
    assert_eq "$what: the report" "regcount_report.html <!DOCTYPE html>" \
        "$(output_name report) $(output_file report | head -1)"
    assert_eq "$what: count_samples subjobs" "$([ $n = 1 ] && echo 0 || echo 3)" \
        "$(log_query 'len([e for e in L if e["route"] == "/job/new" and e["body"]["function"] == "count_samples"])')"
    assert_no_token "$what: no token written"
done
# main spread the files: it read their headers, never the data.
main_bytes=$(log_query 'sum(int(e["range"][6:].split("-")[1]) - int(e["range"][6:].split("-")[0]) + 1 for e in L if e.get("route") == "download" and e.get("job") == "'"$(json_get "$JOB_JSON" 'j["id"]')"'")')
assert_match "cohort, subjobs=3: main read only headers and end-of-file markers ($main_bytes bytes)" \
    "^[0-9]+$" "$([ "$main_bytes" -le $((7 * 262144 + 7 * 38)) ] && echo "$main_bytes")"

# Bins and a filter, over subjobs.
emu_init
upload_cohort "${FILES[@]}"
run_job "${ARGS[@]}" -i subjobs=2 -i bin_size=10000 -i min_mapq=20 -i exclude_flags=0x904
output_file counts_matrix > "$OUT/mb.tsv"
python3 "$ROOT/test/cohort_expected.py" --names "$(IFS=,; echo "${NAMES[*]}")" --bin 10000 -q 20 -F 0x904 \
    --check 2 "${FILES[@]}" > "$OUT/mb.expected"
assert_same_file "cohort, bins of 10000, -q 20 -F 0x904, subjobs=2: the matrix equals samtools" \
    "$OUT/mb.expected" "$OUT/mb.tsv"

# ---- bad input ------------------------------------------------------------------
# cohort_fails NAME REGEX RUN_ARGS...: AppError, and no file uploaded at all.
cohort_fails() {
    local name=$1 regex=$2
    shift 2
    run_job "$@"
    assert_eq "$name: the job failed with AppError" "1 failed AppError" \
        "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]') $(json_get "$JOB_JSON" 'j["failureReason"]')"
    assert_match "$name: message" "$regex" "$(json_get "$JOB_JSON" 'j["failureMessage"]')"
    assert_eq "$name: no file uploaded" 0 \
        "$(log_query 'len([e for e in L if e["route"] == "/file/new" and not e["body"].get("name", "").endswith(".tally")])')"
}
emu_init
upload_cohort "$C/c01.bam" "$C/bad/trunc.bam" "$C/c02.bam" "$C/bad/text.bam"
cohort_fails "truncated and non-BAM files among good ones" \
    "2 of 4 files could not be counted.*trunc.bam is truncated.*text.bam is not a BAM or CRAM" "${ARGS[@]}"
emu_init
upload_cohort "$C/c01.bam" "$C/bad/trunc.bam" "$C/c02.bam" "$C/bad/text.bam"
cohort_fails "truncated and non-BAM files, subjobs=2: found before any subjob" \
    "2 of 4 files could not be counted.*trunc.bam is truncated.*text.bam is not a BAM or CRAM" \
    "${ARGS[@]}" -i subjobs=2
assert_eq "truncated and non-BAM files, subjobs=2: no subjob started" 0 \
    "$(log_query 'len([e for e in L if e["route"] == "/job/new"])')"
emu_init
upload_cohort "$C/c01.bam" "$C/bad/corrupt.bam" "$C/c02.bam" "$C/c03.bam"
cohort_fails "a corrupt file, found by a subjob: gather names it" \
    "1 of 4 files could not be counted.*corrupt.bam: .*corrupt BGZF block" "${ARGS[@]}" -i subjobs=2
emu_init
upload_cohort "$C/c01.bam" "$DATA/small.bam" "$C/c02.bam"
cohort_fails "a file on another reference" "small.bam is not on the reference of c01.bam" "${ARGS[@]}"
emu_init
upload_cohort "$C/c01.bam" "$C/c02.bam"
extra=$(emu_upload "$C/c04.bam.bai" --name c09.bam.bai)
cohort_fails "an index of none of the files" "indexes\[2\] \(c09.bam.bai\) is the index of none of the mappings" \
    "${ARGS[@]}" -i "indexes=$extra"
emu_init
upload_cohort "$C/c01.bam"
extra=$(emu_upload "$C/c02.bam")
cohort_fails "mappings and mappings_sorted_bam together" "give one file as mappings_sorted_bam, or many as mappings" \
    "${ARGS[@]}" -i "mappings_sorted_bam=$extra"

# ---- hundreds of files, spread over subjobs ----------------------------------
emu_init
many=("$C"/many/m*.bam)
upload_cohort "${many[@]}"
run_job "${ARGS[@]}" -i subjobs=8
assert_eq "${#many[@]} files, subjobs=8: done" "0 done" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
output_file counts_matrix > "$OUT/many.tsv"
names=$(for i in $(seq 1 ${#many[@]}); do printf 'M%d,' "$i"; done)
python3 "$ROOT/test/cohort_expected.py" --names "${names%,}" --check 3 "${many[@]}" > "$OUT/many.expected"
assert_same_file "${#many[@]} files, subjobs=8: the matrix equals samtools per sample" "$OUT/many.expected" "$OUT/many.tsv"
assert_eq "${#many[@]} files, subjobs=8: a count file and idxstats each, and the table" \
    "${#many[@]} $((${#many[@]} + 1))" \
    "$(json_get "$JOB_JSON" 'len(j["output"]["count_files"])') $(json_get "$JOB_JSON" 'len(j["output"]["multiqc"])')"
assert_eq "${#many[@]} files, subjobs=8: 8 count_samples subjobs" 8 \
    "$(log_query 'len([e for e in L if e["route"] == "/job/new" and e["body"]["function"] == "count_samples"])')"
