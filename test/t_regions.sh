#!/bin/bash
# BED regions, bins and samtools' read filters: every count equals what
# `samtools view -c [filters] BAM '{chrom}:beg-end'` prints (test/
# samtools_counts.py; --all asks samtools for every region), with any
# number of workers; the table equals the count file; bad regions, bins and
# filters are refused with one line naming the file and the line, exit 3
# and no output at all.
. "$(dirname "$0")/lib.sh"
test/make_data.sh small medium trap manyrefs unplaced empty nosq

# same_as_samtools NAME EXPECTED ARGS...: regcount count ARGS with -j 1, 3
# and 8 each give EXPECTED.
same_as_samtools() {
    local name=$1 exp=$2 j
    shift 2
    for j in 1 3 8; do
        "$REGCOUNT" count --quiet -j $j -o "$OUT/got.txt" "$@" 2> "$OUT/err.txt"
        assert_same_file "$name, -j $j" "$exp" "$OUT/got.txt"
    done
}

# ---- BED regions of every hard case: starts and ends of sequences and past
# them, 1-base and empty regions, overlapping, nested and repeated ones,
# reads across borders, regions inside deletions and N-skips, regions just
# after the split points of -j 3 and -j 8, placed unmapped reads and
# records without a position, names with colons; in shuffled order.
for p in small medium trap manyrefs unplaced; do
    bam=$DATA/$p.bam
    python3 test/make_regions.py "$bam" "$OUT/$p.bed" --split 3 8 --random 200 --regcount "$REGCOUNT"
    check=(--all)
    [ "$p" = medium ] && check=(--sample 800)
    [ "$p" = manyrefs ] && check=(--sample 400)
    samtools_counts "$bam" --regions "$OUT/$p.bed" "${check[@]}" > "$OUT/$p.bed.expected" ||
        fail "regions $p: the reference counts" "samtools_counts.py failed"
    same_as_samtools "regions $p ($(grep -vc '^[#t]' "$OUT/$p.bed") lines) equal samtools" \
        "$OUT/$p.bed.expected" -b "$OUT/$p.bed" "$bam"
done

# The filters, on regions and on whole sequences.
for filter in "-q 20" "-F 0x904" "-f 0x1 -G 0x40" "-F UNMAP,SECONDARY,DUP -q 1" "-f PAIRED,PROPER_PAIR"; do
    for p in trap medium; do
        check=(--all)
        [ "$p" = medium ] && check=(--sample 300)
        samtools_counts "$DATA/$p.bam" --regions "$OUT/$p.bed" "${check[@]}" $filter > "$OUT/f.expected"
        same_as_samtools "regions $p with $filter equal samtools" "$OUT/f.expected" $filter \
            -b "$OUT/$p.bed" "$DATA/$p.bam"
    done
    for p in small manyrefs empty nosq; do
        samtools_counts "$DATA/$p.bam" $filter > "$OUT/f.expected"
        same_as_samtools "whole sequences of $p with $filter equal samtools" "$OUT/f.expected" \
            $filter "$DATA/$p.bam"
    done
done

# ---- bins: sizes that divide nothing, smaller and larger than sequences.
for p in small medium trap; do
    for bin in 1000 37 100000; do
        [ "$p" = medium ] && [ "$bin" = 37 ] && continue # 300 000 bins: checked at 1000
        samtools_counts "$DATA/$p.bam" --bin $bin --sample 300 > "$OUT/bin.expected"
        same_as_samtools "bins of $bin on $p equal samtools" "$OUT/bin.expected" --bin $bin "$DATA/$p.bam"
    done
done
samtools_counts "$DATA/medium.bam" --bin 5000 --sample 200 -q 30 -F 0x400 > "$OUT/bin.expected"
same_as_samtools "bins of 5000 on medium with -q 30 -F 0x400 equal samtools" "$OUT/bin.expected" \
    --bin 5000 -q 30 -F 0x400 "$DATA/medium.bam"

# ---- the table, the labels, the file's forms
"$REGCOUNT" count --quiet -b "$OUT/trap.bed" --tsv "$OUT/trap.tsv" -o "$OUT/trap.txt" "$DATA/trap.bam"
samtools_counts "$DATA/trap.bam" --regions "$OUT/trap.bed" --tsv --sample 20 > "$OUT/trap.tsv.expected"
assert_same_file "--tsv: the table equals samtools" "$OUT/trap.tsv.expected" "$OUT/trap.tsv"
assert_eq "--tsv: the same counts as the count file, in the same order" \
    "$(sed -n 's/^Region .*: //p' "$OUT/trap.txt")" "$(tail -n +2 "$OUT/trap.tsv" | cut -f5)"
assert_eq "the total is the sum of the lines" \
    "$(sed -n 's/^Region .*: //p' "$OUT/trap.txt" | awk '{s += $1} END {print s}')" \
    "$(sed -n 's/^Total reads: //p' "$OUT/trap.txt")"
printf 'chr1:100\t0\t10\nchr1:100\t0\t10\tnamed\tmore columns\n' > "$OUT/labels.bed"
"$REGCOUNT" count --quiet -b "$OUT/labels.bed" "$DATA/small.bam" > "$OUT/labels.txt"
assert_match "labels: samtools' notation with braces, or the name" \
    "^Region \{chr1:100\}:1-10: [0-9]+.Region named: [0-9]+" "$(tr '\n' '.' < "$OUT/labels.txt")"
gzip -c "$OUT/small.bed" > "$OUT/small.bed.gz"
"$REGCOUNT" count --quiet -b "$OUT/small.bed.gz" "$DATA/small.bam" > "$OUT/gz.txt"
assert_same_file "a gzip-compressed BED" "$OUT/small.bed.expected" "$OUT/gz.txt"
sed 's/$/\r/' "$OUT/small.bed" > "$OUT/crlf.bed"
"$REGCOUNT" count --quiet -b "$OUT/crlf.bed" "$DATA/small.bam" > "$OUT/crlf.txt"
assert_same_file "a BED with Windows line ends" "$OUT/small.bed.expected" "$OUT/crlf.txt"
mkdir -p "$OUT/noindex" && ln -sf "$DATA/medium.bam" "$OUT/noindex/medium.bam"
"$REGCOUNT" count --quiet -b "$OUT/medium.bed" "$OUT/noindex/medium.bam" > "$OUT/noindex.txt"
assert_same_file "regions without an index: one pass, the same counts" "$OUT/medium.bed.expected" \
    "$OUT/noindex.txt"
"$REGCOUNT" count --quiet --bin 1000 "$OUT/noindex/medium.bam" > "$OUT/noindex.txt"
"$REGCOUNT" count --quiet --bin 1000 "$DATA/medium.bam" > "$OUT/index.txt"
assert_same_file "bins without an index: the same counts" "$OUT/index.txt" "$OUT/noindex.txt"

# ---- bad input: one line naming the file (and line), exit 3, no output.
# bad NAME REGEX ARGS...
bad() {
    local name=$1 regex=$2 status
    shift 2
    rm -f "$OUT/out.txt" "$OUT/out.tsv"
    "$REGCOUNT" count --quiet -o "$OUT/out.txt" --tsv "$OUT/out.tsv" "$@" 2> "$OUT/err.txt"
    status=$?
    assert_eq "$name: exit status 3" 3 "$status"
    assert_match "$name: message" "$regex" "$(cat "$OUT/err.txt")"
    assert_eq "$name: one line" 1 "$(wc -l < "$OUT/err.txt")"
    assert_absent "$name: no count file" "$OUT/out.txt"
    assert_absent "$name: no table" "$OUT/out.tsv"
}
small=$DATA/small.bam
bed() { printf '%b' "$2" > "$OUT/$1.bed"; echo "$OUT/$1.bed"; }
bad "a reference not in the header" "nochr.bed:2: reference sequence 'chrZ' is not in the BAM's header" \
    -b "$(bed nochr 'chr1\t1\t10\nchrZ\t1\t10\n')" "$small"
bad "start greater than end" "backwards.bed:3: start 50 is greater than end 40" \
    -b "$(bed backwards '# c\nchr1\t1\t2\nchr1\t50\t40\n')" "$small"
bad "a negative coordinate" "negative.bed:1: the start '-5' is not a whole number from 0" \
    -b "$(bed negative 'chr1\t-5\t10\n')" "$small"
bad "a coordinate that is not a number" "text.bed:1: the end '1e3' is not a whole number from 0" \
    -b "$(bed text 'chr1\t1\t1e3\n')" "$small"
bad "fewer than 3 columns" "two.bed:2: fewer than 3 tab-separated columns" \
    -b "$(bed two 'chr1\t1\t5\nchr1 1 5\n')" "$small"
bad "no regions" "none.bed: no regions" -b "$(bed none '# only a comment\ntrack x\n\n')" "$small"
bad "an empty file" "emptyfile.bed: no regions" -b "$(bed emptyfile '')" "$small"
head -c 2000 /dev/urandom > "$OUT/random.bed"
bad "a binary file" "random.bed is not a BED file: it is binary, not text|random.bed:[0-9]+: not text" \
    -b "$OUT/random.bed" "$small"
bad "a BAM given as the BED" "small.bam is not a BED file \(it looks like BAM" -b "$small" "$small"
bad "a BED that does not exist" "cannot open BED file .*nothere.bed: No such file" -b "$OUT/nothere.bed" "$small"
for v in 0 -5 x 4x; do
    bad "--bin $v" "^regcount: (--bin: a bin size must be at least 1 base|--bin takes a whole number)" --bin "$v" "$small"
done
printf '@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:big\tLN:200000000\n' | samtools view -b -o "$OUT/big.bam" -
bad "--bin too small for the genome" "bins of 1 bases make more than 100000000 regions" --bin 1 "$OUT/big.bam"
for opt in "-q x" "-q 256" "-q -1" "-F bogus" "-f 4x" "-G UNMAP,,DUP" "-F 65536"; do
    bad "filter $opt" "is not a (MAPQ|FLAG)" $opt "$small"
done
for what in "-b $OUT/small.bed" "--bin 1000" "-q 1" "-F 0x4"; do
    bad "--method index with $what" "the index method counts whole reference sequences with no filter" \
        -m index $what "$small"
done
"$REGCOUNT" count --quiet -b "$OUT/small.bed" --bin 10 "$small" > /dev/null 2> "$OUT/err.txt"
assert_eq "-b and --bin together: a usage error" "1 regcount count: -b and --bin: count a BED file's regions or bins, not both" \
    "$? $(cat "$OUT/err.txt")"
