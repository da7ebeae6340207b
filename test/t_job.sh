#!/bin/bash
# regcount as a platform job, end to end through the emulator: the count
# file it uploads equals samtools' counts and `regcount count`; the output
# has the right shape; the token appears nowhere the job wrote.
. "$(dirname "$0")/lib.sh"
test/make_data.sh small medium manyrefs trap empty nosq

for p in small medium manyrefs trap empty nosq; do
    emu_init
    bam=$(emu_upload "$DATA/$p.bam") bai=$(emu_upload "$DATA/$p.bam.bai")
    run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai
    assert_eq "job $p: done" "0 done" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
    uploaded_count_file > "$OUT/$p.uploaded"
    assert_same_file "job $p: uploaded count file equals samtools" "$(expected_counts "$p")" "$OUT/$p.uploaded"
    "$REGCOUNT" count --quiet "$DATA/$p.bam" > "$OUT/$p.local"
    assert_same_file "job $p: uploaded count file equals regcount count" "$OUT/$p.local" "$OUT/$p.uploaded"
    total=$(sed -n 's/^Total reads: //p' "$OUT/$p.uploaded")
    $EMU cat "$OUT/emu" "$(json_get "$JOB_JSON" 'j["output"]["counts_tsv"]["$dnanexus_link"]')" > "$OUT/$p.tsv"
    shape=$(json_get "$JOB_HOME/job_output.json" \
        'sorted(j) == ["count_file", "count_files", "counts_matrix", "counts_tsv", "multiqc", "report", "total_reads"] and all(list(j[f]) == ["$dnanexus_link"] and j[f]["$dnanexus_link"].startswith("file-") for f in ("count_file", "counts_tsv", "counts_matrix", "report")) and j["count_files"] == [j["count_file"]] and len(j["multiqc"]) == 2 and type(j["total_reads"]) is int and j["total_reads"]')
    assert_eq "job $p: job_output.json shape and total" "$total" "$shape"
    # One file is a cohort of one: its idxstats is samtools', its matrix the table.
    $EMU cat "$OUT/emu" "$(json_get "$JOB_JSON" 'j["output"]["multiqc"][0]["$dnanexus_link"]')" > "$OUT/$p.idxstats"
    assert_same_file "job $p: idxstats equals samtools idxstats" <(samtools idxstats "$DATA/$p.bam") "$OUT/$p.idxstats"
    $EMU cat "$OUT/emu" "$(json_get "$JOB_JSON" 'j["output"]["counts_matrix"]["$dnanexus_link"]')" | cut -f 1-4 > "$OUT/$p.matrix"
    assert_same_file "job $p: the matrix has the table's regions" <(cut -f 1-4 "$OUT/$p.tsv") "$OUT/$p.matrix"
    assert_eq "job $p: uploaded name" "${p}_count.txt" \
        "$($EMU describe "$OUT/emu" "$(json_get "$JOB_JSON" 'j["output"]["count_file"]["$dnanexus_link"]')" | json_get /dev/stdin 'j["name"]')"
    samtools_counts "$DATA/$p.bam" --tsv --sample 5 > "$OUT/$p.expected.tsv"
    assert_same_file "job $p: the table equals samtools" "$OUT/$p.expected.tsv" "$OUT/$p.tsv"
    assert_absent "job $p: no job_error.json" "$JOB_HOME/job_error.json"
    assert_no_token "job $p: the token appears in nothing the job wrote"
done

# Without the optional BAI: one multi-threaded pass, same counts.
emu_init
bam=$(emu_upload "$DATA/medium.bam")
run_job -i mappings_sorted_bam=$bam
uploaded_count_file > "$OUT/noindex.uploaded"
assert_same_file "job without BAI equals samtools" "$(expected_counts medium)" "$OUT/noindex.uploaded"

# Both link shapes, in a hand-written job_input.json.
emu_init
bam=$(emu_upload "$DATA/small.bam") bai=$(emu_upload "$DATA/small.bam.bai")
project=$(json_get "$OUT/emu/emulator.json" 'j["project"]' 2>/dev/null || true)
[ -n "$project" ] || project=$($EMU describe "$OUT/emu" "$bam" | json_get /dev/stdin 'j["project"]')
cat > "$OUT/input.json" <<JSON
{"mappings_sorted_bam": {"\$dnanexus_link": {"project": "$project", "id": "$bam"}},
 "mappings_sorted_bai": {"\$dnanexus_link": "$bai"}}
JSON
run_job --raw-input "$OUT/input.json"
uploaded_count_file > "$OUT/shapes.uploaded"
assert_same_file "job with both link shapes equals samtools" "$(expected_counts small)" "$OUT/shapes.uploaded"
assert_no_token "job with both link shapes: no token written"

# The three ways to count give the same file: streaming (the default),
# download first (md5 checked), and the index method.
for p in medium manyrefs trap; do
    for mode in "download_first=true" "count_method=index"; do
        emu_init
        bam=$(emu_upload "$DATA/$p.bam") bai=$(emu_upload "$DATA/$p.bam.bai")
        run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai -i $mode
        uploaded_count_file > "$OUT/$p.mode.uploaded"
        assert_same_file "job $p with $mode equals samtools" "$(expected_counts "$p")" "$OUT/$p.mode.uploaded"
    done
done

# Streaming reads no more than the BAM once (plus a block at each edge and
# the header), keeps nothing of it on disk, and skips the unplaced reads.
emu_init
bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai
size=$(stat -c %s "$DATA/medium.bam")
fetched=$(log_query 'sum(e["bytes_sent"] for e in L if e.get("route") == "download" and e["path"].endswith("medium.bam"))')
[ "$fetched" -le $((size + 400000)) ] && pass "streaming fetched $fetched bytes of $size" ||
    fail "streaming fetched little more than the BAM" "$fetched bytes of $size"
# ... and at least every byte of the placed reads (bytes A-B of the one part).
placed=$("$REGCOUNT" plan -j 1 "$DATA/medium.bam" | sed -n 's/^part 1 of 1: bytes \([0-9]*\)-\([0-9]*\).*/\2/p')
[ -n "$placed" ] && [ "$fetched" -ge "$placed" ] && pass "streaming fetched every placed byte ($placed)" ||
    fail "streaming fetched every placed byte" "$fetched bytes, the placed reads end at ${placed:-?}"
disk=$(du -k "$JOB_HOME/in/mappings_sorted_bam/medium.bam" | cut -f1)
[ "$disk" -lt $((size / 1024 / 10)) ] && pass "streaming keeps the BAM off the disk (${disk} kB)" ||
    fail "streaming keeps the BAM off the disk" "${disk} kB on disk"

# The index method reads only the header, the end-of-file marker and a
# block or two per reference sequence with reads.
emu_init
bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai -i count_method=index
fetched=$(log_query 'sum(e["bytes_sent"] for e in L if e.get("route") == "download" and e["path"].endswith("medium.bam"))')
[ "$fetched" -lt $((size / 5)) ] && pass "index method fetched $fetched bytes of $size" ||
    fail "index method fetched a small part of the BAM" "$fetched bytes of $size"
# ... and no less than the header, the end-of-file marker and a block for
# each reference sequence with reads.
header=$("$REGCOUNT" plan -j 1 "$DATA/medium.bam" | sed -n 's/^part 1 of 1: bytes \([0-9]*\)-.*/\1/p')
with_reads=$(samtools idxstats "$DATA/medium.bam" | awk '$1 != "*" && $3 + $4 > 0' | wc -l)
[ "$fetched" -ge $((header + 28 + with_reads * 1000)) ] &&
    pass "index method fetched the header and a block per reference ($with_reads)" ||
    fail "index method fetched the header and a block per reference" "$fetched bytes, header $header, $with_reads references with reads"
