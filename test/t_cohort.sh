#!/bin/bash
# regcount count on a cohort (test/make_cohort.sh): several BAMs and CRAMs
# on one reference. The matrix equals samtools per sample (whole
# sequences, bins with filters, BED regions; the index method too), every
# count file and idxstats equals samtools', names follow the SM (or the
# file name) and are made unique; a file on another reference, a truncated,
# a corrupt or a non-BAM file among good ones fails the run, names every
# such file, and nothing is written. MultiQC reads the files, and the
# report renders in a browser.
. "$(dirname "$0")/lib.sh"
"$ROOT/test/make_cohort.sh"
test/make_data.sh small > /dev/null
C=$DATA/cohort
FILES=("$C/c01.bam" "$C/c02.bam" "$C/c03.bam" "$C/c04.bam" "$C/c05.bam" "$C/c06.cram" "$C/c07.cram")
NAMES=S1,S2,c03,S4,S1_2,S6,S7

expected_matrix() { python3 "$ROOT/test/cohort_expected.py" --names "$NAMES" "$@" "${FILES[@]}"; }

# ---- whole reference sequences ------------------------------------------------
"$REGCOUNT" count --quiet -j 3 --outdir "$OUT/d" --matrix "$OUT/m.tsv" --report "$OUT/r.html" \
    "${FILES[@]}" > "$OUT/stdout" 2> "$OUT/stderr"
assert_eq "cohort: exit status" 0 $?
assert_eq "cohort: nothing on standard output" "" "$(cat "$OUT/stdout")"
expected_matrix > "$OUT/m.expected"
assert_same_file "cohort: the matrix equals samtools per sample" "$OUT/m.expected" "$OUT/m.tsv"
assert_eq "cohort: sample names (SM; file name for two SMs; S1 twice made unique)" \
    "#chrom start end name S1 S2 c03 S4 S1_2 S6 S7" "$(head -1 "$OUT/m.tsv" | tr '\t' ' ')"
names=(S1 S2 c03 S4 S1_2 S6 S7)
for i in 0 1 2 5; do
    f=${FILES[$i]} s=${names[$i]}
    samtools_counts "$f" --sample 5 > "$OUT/$s.expected"
    assert_same_file "cohort: $s's count file equals samtools" "$OUT/$s.expected" "$OUT/d/${s}_count.txt"
done
for i in 0 1 2 3 4 5 6; do
    assert_same_file "cohort: ${names[$i]}.idxstats equals samtools idxstats" \
        <(samtools idxstats "${FILES[$i]}") "$OUT/d/${names[$i]}.idxstats"
done
assert_eq "cohort: the output directory holds the count files, idxstats and the MultiQC table" \
    "15 0" "$(ls "$OUT/d" | wc -l) $(ls -a "$OUT/d" | grep -c '^\.regcount')"
# Dosage: XY samples (S2, S6) have about half the chrX reads per base of XX ones.
dosage=$(awk -F'\t' '!/^#/ && $1 != "Sample" { printf "%s:%s:%s ", $1, ($3 < 0.7 ? "XY" : "XX"), ($4 > 0.3 ? "Y" : "-") }' "$OUT/d/regcount_mqc.tsv")
assert_eq "cohort: MultiQC table: chrX and chrY dosage tell XY from XX" \
    "S1:XX:- S2:XY:Y c03:XX:- S4:XX:- S1_2:XX:- S6:XY:Y S7:XX:- " "$dosage"
reads=$(awk -F'\t' '$1 == "S2" { print $2 }' "$OUT/d/regcount_mqc.tsv")
assert_eq "cohort: MultiQC table: S2's reads are its count file's total" \
    "$(sed -n 's/^Total reads: //p' "$OUT/d/S2_count.txt")" "$reads"

"$REGCOUNT" count --quiet -j 1 --outdir "$OUT/d1" --matrix "$OUT/m1.tsv" "${FILES[@]}"
assert_same_file "cohort: -j 1 equals -j 3" "$OUT/m.tsv" "$OUT/m1.tsv"
"$REGCOUNT" count --quiet -m index --outdir "$OUT/di" --matrix "$OUT/mi.tsv" "${FILES[@]}"
assert_same_file "cohort: the index method's matrix equals the scan's" "$OUT/m.tsv" "$OUT/mi.tsv"
assert_same_file "cohort: the index method's idxstats (BAM) equals samtools" \
    <(samtools idxstats "${FILES[1]}") "$OUT/di/S2.idxstats"
assert_absent "cohort: no idxstats for a CRAM counted from its container headers" "$OUT/di/S6.idxstats"

# ---- bins with filters, and BED regions -------------------------------------
"$REGCOUNT" count --quiet --bin 5000 -q 20 -F 0x904 --outdir "$OUT/db" --matrix "$OUT/mb.tsv" \
    --report "$OUT/rb.html" "${FILES[@]}"
expected_matrix --bin 5000 -q 20 -F 0x904 > "$OUT/mb.expected"
assert_same_file "cohort: bins of 5000 with -q 20 -F 0x904 equal samtools per sample" \
    "$OUT/mb.expected" "$OUT/mb.tsv"
printf 'chr1\t0\t1000\tstart\nchrX\t100\t50000\nchr2\t5000\t5001\tone_base\nchr1\t500\t20000\tover\nchrM\t0\t16569\tmito\n' > "$OUT/r.bed"
"$REGCOUNT" count --quiet -b "$OUT/r.bed" --outdir "$OUT/dr" --matrix "$OUT/mr.tsv" "${FILES[@]}"
expected_matrix --regions "$OUT/r.bed" > "$OUT/mr.expected"
assert_same_file "cohort: BED regions (in the file's order) equal samtools per sample" \
    "$OUT/mr.expected" "$OUT/mr.tsv"

# ---- one file: as before, plus the matrix -----------------------------------
"$REGCOUNT" count --quiet --matrix "$OUT/one.tsv" --tsv "$OUT/one.counts" "${FILES[1]}" > "$OUT/one.txt"
assert_eq "one file: the matrix is the table with the sample's name" \
    "$(sed '1s/count$/S2/' "$OUT/one.counts")" "$(cat "$OUT/one.tsv")"
assert_same_file "one file: the count file on standard output" "$OUT/d/S2_count.txt" "$OUT/one.txt"
"$REGCOUNT" count --quiet "${FILES[1]}" "${FILES[1]}.bai" > "$OUT/one-bai.txt"
assert_same_file "one file and its index: as before" "$OUT/d/S2_count.txt" "$OUT/one-bai.txt"

# ---- bad files among good ones ------------------------------------------------
# bad_cohort NAME PATTERN... -- FILES: exit 3, each pattern in stderr, nothing written.
bad_cohort() {
    local name=$1 pats=() d=$OUT/bad-$RANDOM
    shift
    while [ "$1" != -- ]; do pats+=("$1"); shift; done
    shift
    "$REGCOUNT" count --quiet --outdir "$d" --matrix "$d.tsv" --report "$d.html" "$@" 2> "$OUT/err"
    assert_eq "$name: exit status" 3 $?
    local p
    for p in "${pats[@]}"; do assert_match "$name: names $p" "$p" "$(cat "$OUT/err")"; done
    assert_match "$name: says nothing was written" "files could not be counted; nothing was written" "$(tail -1 "$OUT/err")"
    assert_eq "$name: no file written" "0 absent absent" \
        "$(ls -A "$d" | wc -l) $([ -e "$d.tsv" ] && echo present || echo absent) $([ -e "$d.html" ] && echo present || echo absent)"
}
bad_cohort "another reference among good files" "small.bam is not on the reference of .*c01.bam" \
    -- "$C/c01.bam" "$DATA/small.bam" "$C/c02.bam"
bad_cohort "truncated, corrupt and non-BAM files among good ones" \
    "trunc.bam is truncated" "corrupt.bam: .*corrupt BGZF block" "text.bam is not a BAM or CRAM" \
    "3 of 5 files" -- "$C/c01.bam" "$C/bad/trunc.bam" "$C/bad/corrupt.bam" "$C/bad/text.bam" "$C/c02.bam"
"$REGCOUNT" count --quiet -o "$OUT/x" "$C/c01.bam" "$C/c02.bam" 2> "$OUT/err"
assert_eq "-o with several files: a usage error" "1" "$?"
assert_match "-o with several files: says where the count files go" "output directory" "$(cat "$OUT/err")"

# ---- MultiQC reads the files ---------------------------------------------------
if command -v multiqc > /dev/null; then
    (cd "$OUT" && multiqc --quiet --no-ansi -o mqc d > mqc.log 2>&1)
    stats=$OUT/mqc/multiqc_data/multiqc_samtools_idxstats.txt
    general=$OUT/mqc/multiqc_data/multiqc_general_stats.txt
    for s in "${names[@]}"; do
        assert_eq "MultiQC: $s in the samtools idxstats section" 1 "$(cut -f1 "$stats" 2>/dev/null | grep -cx "$s")"
        assert_match "MultiQC: $s in the general statistics with its reads and dosage" \
            "^$s	[0-9.]+	[0-9.]+	[0-9.]+	[0-9.]+$" "$(grep "^$s	" "$general" 2>/dev/null)"
    done
else
    fail "MultiQC" "multiqc is not installed (test/deps.sh test)"
fi

# ---- the report ----------------------------------------------------------------
for r in r rb; do
    assert_eq "report $r: nothing fetched from the network, no script" "0" \
        "$(grep -ciE '<script|https?://|@import|url\(' "$OUT/$r.html")"
done
assert_match "report: every sample in the table" \
    "<td>S1</td>.*<td>S2</td>.*<td>c03</td>.*<td>S4</td>.*<td>S1_2</td>.*<td>S6</td>.*<td>S7</td>" \
    "$(tr -d '\n' < "$OUT/r.html")"
assert_match "report with bins: a profile per sample" "(<path class=\"profile\".*){7}" \
    "$(tr -d '\n' < "$OUT/rb.html")"
# A thousand samples and three million bins (test/unit/test_report.c):
# summarised, so the page stays small.
"$TBIN/unit/test_report" "$OUT/big.html" > /dev/null
assert_match "report of 1000 samples and 3 million bins: under 1.5 MB" "^[0-9]+$" \
    "$(size=$(stat -c %s "$OUT/big.html"); [ "$size" -lt 1500000 ] && echo "$size")"
for r in rb big; do
    python3 "$ROOT/test/render.py" "$OUT/$r.html" "$OUT/$r.png" > "$OUT/render.log" 2>&1
    assert_match "report $r: renders in headless Chromium, not blank" "^rendered .*: ink [0-9.]+%, [0-9]+ colours$" \
        "$(tail -1 "$OUT/render.log")"
done
