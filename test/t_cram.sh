#!/bin/bash
# CRAM: every count equals what samtools view -c prints on the same CRAM
# (test/samtools_counts.py, with -T where the CRAM has a reference), with
# -j 1, -j 3 and the index method, on CRAM 2.1, 3.0 and 3.1, with and
# without a reference, with small slices and containers, several slices per
# container and containers of several references (test/make_cram.sh);
# regions, bins and filters too. No reference is needed and none is ever
# fetched. Bad CRAMs and CRAIs get one line naming the file, exit 3 and no
# count file.
. "$(dirname "$0")/lib.sh"
CRAMS=$(test/make_cram.sh 2> "$OUT/make_cram.err") || { cat "$OUT/make_cram.err"; exit 1; }
CD=$DATA/cram

# same_as NAME EXPECTED ARGS...: regcount count ARGS gives EXPECTED with
# -j 1 and -j 3.
same_as() {
    local name=$1 exp=$2 j
    shift 2
    for j in 1 3; do
        "$REGCOUNT" count --quiet -j $j -o "$OUT/got.txt" "$@" 2> "$OUT/err.txt"
        assert_same_file "$name, -j $j" "$exp" "$OUT/got.txt"
    done
}

# ---- whole reference sequences: scan and the index method, every CRAM
while read -r name fasta; do
    cram=$CD/$name.cram
    ref=()
    [ -z "$fasta" ] || ref=(-T "$fasta")
    # Every region checked with samtools view -c but on manyrefs, where 300
    # of its 5000 are (each is one samtools process).
    samtools_counts "$cram" "${ref[@]}" --sample 300 > "$OUT/$name.expected" ||
        fail "$name: the reference counts" "samtools_counts.py failed"
    same_as "$name: whole sequences equal samtools" "$OUT/$name.expected" "$cram"
    "$REGCOUNT" count -m index -o "$OUT/got.txt" "$cram" 2> "$OUT/err.txt"
    assert_same_file "$name: the index method equals samtools" "$OUT/$name.expected" "$OUT/got.txt"
done <<< "$CRAMS"

# The index method reads the container headers and decodes only what it
# must: on a CRAM of one reference per container, a few containers.
"$REGCOUNT" count -m index -o /dev/null "$CD/medium-3.1-ref-slices.cram" 2> "$OUT/err.txt"
assert_match "index method: every container header read, few containers decoded" \
    "index: 72 container headers read \([0-9.]+ kB\), [1-9] containers decoded" "$(cat "$OUT/err.txt")"

# ---- regions, bins, filters (the CIGAR decoded), with and without the
# reference the CRAM was written with
for name in medium-3.1-ref-slices medium-3.0-noref-multi small-3.0-ref-slices trap-3.1-noref; do
    cram=$CD/$name.cram profile=${name%%-*}
    bed=$OUT/$profile.bed
    [ -s "$bed" ] || python3 test/make_regions.py "$DATA/$profile.bam" "$bed" --split 3 --random 100 \
        --regcount "$REGCOUNT"
    # In a CRAM with a reference, htslib 1.16 finds no slice for a region
    # that starts past the end of its reference sequence, and samtools counts
    # 0 there; regcount counts the reads that run into it, as samtools does
    # on the BAM (README.md, "CRAM"). Those regions are left out.
    if [[ $name == *-ref* ]]; then
        samtools view -H "$cram" | awk -F'\t' 'FNR == NR { if ($1 == "@SQ") { sub("SN:", "", $2);
            sub("LN:", "", $3); len[$2] = $3 } next } /^[#t]/ || $2 + 0 < len[$1] + 0' - "$bed" > "$OUT/in.bed"
    else
        cp "$bed" "$OUT/in.bed"
    fi
    samtools_counts "$cram" --regions "$OUT/in.bed" --sample 300 > "$OUT/r.expected"
    same_as "$name: BED regions equal samtools" "$OUT/r.expected" -b "$OUT/in.bed" "$cram"
    samtools_counts "$cram" --bin 10000 --sample 200 -q 20 -F 0x904 > "$OUT/b.expected"
    same_as "$name: bins with -q 20 -F 0x904 equal samtools" "$OUT/b.expected" \
        --bin 10000 -q 20 -F 0x904 "$cram"
done
fa=$DATA/medium.fa
samtools_counts "$CD/medium-3.0-ref.cram" -T "$fa" --bin 50000 --sample 100 > "$OUT/t.expected"
same_as "with -T (the reference given): the same counts" "$OUT/t.expected" -T "$fa" --bin 50000 \
    "$CD/medium-3.0-ref.cram"
samtools_counts "$CD/medium-3.0-noref-multi.cram" -f PAIRED -G 0x40 > "$OUT/f.expected"
same_as "whole sequences with -f PAIRED -G 0x40 equal samtools" "$OUT/f.expected" -f PAIRED -G 0x40 \
    "$CD/medium-3.0-noref-multi.cram"
mkdir -p "$OUT/noindex" && ln -sf "$CD/medium-3.1-ref-slices.cram" "$OUT/noindex/x.cram"
"$REGCOUNT" count --quiet -o "$OUT/got.txt" "$OUT/noindex/x.cram"
assert_same_file "without a CRAI: one pass, the same counts" "$OUT/medium-3.1-ref-slices.expected" \
    "$OUT/got.txt"
"$REGCOUNT" count --quiet -o "$OUT/got.txt" "$CD/medium-3.0-ref.cram" "$CD/medium-3.0-ref.cram.crai"
assert_same_file "the CRAI given" "$OUT/medium-3.0-ref.expected" "$OUT/got.txt"

# ---- no reference, and no network: a reference-based CRAM whose reference
# is nowhere on the machine, counted with REF_PATH and REF_CACHE unset (htslib
# 1.16 would then ask www.ebi.ac.uk): no connection is attempted.
mkdir -p "$OUT/gone"
cp "$fa" "$OUT/gone/ref.fa" && samtools faidx "$OUT/gone/ref.fa"
samtools view -T "$OUT/gone/ref.fa" -e 'pos > 0 || flag & 4' -C -o "$OUT/gone.cram" \
    "$DATA/medium.bam" && samtools index "$OUT/gone.cram"
rm -rf "$OUT/gone"
samtools_counts "$OUT/gone.cram" > "$OUT/gone.expected"
if command -v strace > /dev/null; then
    for what in "" "--bin 100000" "-m index"; do
        # (LeakSanitizer cannot run under ptrace: off here, in make test-asan.)
        env -u REF_PATH -u REF_CACHE ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
            strace -f -qq -e trace=connect -o "$OUT/strace.txt" \
            "$REGCOUNT" count --quiet $what -o "$OUT/got.txt" "$OUT/gone.cram" 2> "$OUT/err.txt"
        assert_eq "reference nowhere ${what:-(scan)}: counted" "0" "$?"
        assert_eq "reference nowhere ${what:-(scan)}: no connection attempted" "" \
            "$(grep -E 'AF_INET|AF_INET6' "$OUT/strace.txt" | head -3)"
        [ "$what" = "--bin 100000" ] ||
            assert_same_file "reference nowhere ${what:-(scan)}: equal samtools" \
                "$OUT/gone.expected" "$OUT/got.txt"
    done
else
    fail "no network" "strace is not installed (test/deps.sh installs it)"
fi

# ---- bad input: one line naming the file, exit 3, no count file
# bad NAME REGEX ARGS...
bad() {
    local name=$1 regex=$2 status
    shift 2
    rm -f "$OUT/out.txt"
    "$REGCOUNT" count --quiet -o "$OUT/out.txt" "$@" 2> "$OUT/err.txt"
    status=$?
    assert_eq "$name: exit status 3" 3 "$status"
    assert_match "$name: message" "$regex" "$(cat "$OUT/err.txt")"
    assert_eq "$name: one line" 1 "$(wc -l < "$OUT/err.txt")"
    assert_absent "$name: no count file" "$OUT/out.txt"
}
# bad_all NAME REGEX FILE INDEX: bad with -j 1, -j 3 and the index method.
bad_all() {
    local name=$1 regex=$2 how
    shift 2
    for how in "-j 1" "-j 3" "-m index"; do
        bad "$name ($how)" "$regex" $how "$@"
    done
}
src=$CD/medium-3.0-noref-multi.cram
size=$(stat -c %s "$src")
head -c $((size - 38)) "$src" > "$OUT/cut.cram"
bad_all "CRAM cut short" "cut.cram is truncated: the CRAM end-of-file container is missing" \
    "$OUT/cut.cram" "$src.crai"
head -c $((size / 2)) "$src" > "$OUT/half.cram"
bad_all "CRAM cut in half" "half.cram is truncated: the CRAM end-of-file container is missing" \
    "$OUT/half.cram" "$src.crai"

# flip FILE OUT WHERE: a copy of FILE with one byte changed, in the middle
# container (its CRAI says where it starts and the next one): in its header
# (WHERE=header) or deep in its blocks (WHERE=block).
flip() {
    python3 - "$1" "$2" "$3" <<'PY'
import gzip, sys
src, out, where = sys.argv[1:]
offsets = sorted({int(l.split("\t")[3]) for l in gzip.open(src + ".crai", "rt") if l.strip()})
mid = len(offsets) // 2
beg, end = offsets[mid], offsets[mid + 1]
at = beg + 6 if where == "header" else beg + (end - beg) * 3 // 5
data = bytearray(open(src, "rb").read())
data[at] ^= 0x55
open(out, "wb").write(data)
PY
}
flip "$src" "$OUT/hdr.cram" header
bad "container header CRC32 (scan)" "hdr.cram: the container at byte [0-9]+: the container header.s CRC32 does not match" -j 1 \
    "$OUT/hdr.cram" "$src.crai"
bad "container header CRC32 (index method)" "hdr.cram: the container at byte [0-9]+ .*CRC32 does not match" \
    -m index "$OUT/hdr.cram" "$src.crai"
for v in medium-3.0-noref-multi medium-3.1-ref-slices; do
    flip "$CD/$v.cram" "$OUT/blk.cram" block
    bad "$v: a block's CRC32 (scan)" "blk.cram: the container at byte [0-9]+: the CRC32 of block [0-9]+ does not match" \
        "$OUT/blk.cram" "$CD/$v.cram.crai"
done
bad "CRAI of another CRAM of the same reads" "does not belong to" "$src" \
    "$CD/medium-3.1-ref-slices.cram.crai"
bad "CRAI of another CRAM of the same reads (index method)" "does not belong to" -m index "$src" \
    "$CD/medium-3.1-ref-slices.cram.crai"
bad_all "CRAI of a CRAM of other reads" "does not belong to" "$src" "$CD/manyrefs-3.0-noref-multi.cram.crai"
head -c 3000 /dev/urandom | gzip -c > "$OUT/random.crai"
bad_all "CRAI that is gzip of random bytes" "random.crai:1: not a CRAM index line" "$src" "$OUT/random.crai"
zcat "$src.crai" | sed '3s/\t[0-9]*$/\tx/' | gzip -c > "$OUT/badline.crai"
bad_all "CRAI with a bad line" "badline.crai:3: not a CRAM index line" "$src" "$OUT/badline.crai"
bad_all "CRAM given with a BAI" "medium.bam.bai is a BAI \(a BAM's index\), not a CRAM index" "$src" \
    "$DATA/medium.bam.bai"
bad "BAM given with a CRAI" "is a CRAI \(a CRAM's index\), not a BAM index" "$DATA/medium.bam" "$src.crai"
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[4] = 4; open(sys.argv[2], "wb").write(d)' \
    "$src" "$OUT/v4.cram"
bad "CRAM version 4.0" "v4.cram is CRAM version 4.0, which htslib .* cannot read" "$OUT/v4.cram"
