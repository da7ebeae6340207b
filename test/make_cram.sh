#!/bin/bash
# Makes the test CRAMs into test/data/cram from the generated BAMs, with
# samtools, and indexes them (CRAI): CRAM 3.0, 3.1 and 2.1, with the
# reference (the FASTA gen_bam wrote) and without (no_ref), and with small
# slices and containers so that many containers, several slices per
# container and containers of several references occur. Each is made again
# when its BAM is newer. Prints the names made, one per line, with
# NAME.fa when the CRAM needs a reference to be decoded by samtools.
#
# A CRAM cannot hold a mapped record without a position (the pos -1 trap
# with a CIGAR: htslib writes it, then refuses to read it back), so those
# are left out ('pos > 0 || flag & 4'); the unmapped ones stay. A
# reference-based CRAM also leaves out the records that start past the end
# of their reference (POS > LN, which the SAM specification does not allow):
# htslib 1.16 then writes a slice extent that does not cover them, and its
# region iterator, so samtools view -c REGION, misses them (README.md,
# "CRAM"); reads that run over the end stay.
#
# Usage: make_cram.sh
set -eu
cd "$(dirname "$0")/.."
test/make_data.sh small medium manyrefs trap empty nosq unplaced >/dev/null
mkdir -p test/data/cram
# name profile version reference options
VARIANTS="
small-3.0-ref-slices small 3.0 ref seqs_per_slice=100,slices_per_container=3
small-3.1-noref-multi small 3.1 noref seqs_per_slice=50,multi_seq_per_slice=1
medium-3.0-ref medium 3.0 ref -
medium-3.1-ref-slices medium 3.1 ref seqs_per_slice=1000,slices_per_container=2
medium-3.0-noref-multi medium 3.0 noref seqs_per_slice=300,multi_seq_per_slice=1
medium-2.1-noref medium 2.1 noref seqs_per_slice=2000
manyrefs-3.0-noref-multi manyrefs 3.0 noref seqs_per_slice=200,multi_seq_per_slice=1
trap-3.1-noref trap 3.1 noref seqs_per_slice=100
empty-3.0-noref empty 3.0 noref -
unplaced-3.1-noref unplaced 3.1 noref seqs_per_slice=100
"
echo "$VARIANTS" | while read -r name profile version ref opts; do
    [ -n "$name" ] || continue
    bam=test/data/$profile.bam cram=test/data/cram/$name.cram
    if ! [ -s "$cram" ] || [ "$bam" -nt "$cram" ]; then
        args=(--output-fmt "cram,version=$version")
        [ "$opts" = - ] || args=(--output-fmt "cram,version=$version,$opts")
        keep='(pos > 0 || flag & 4)'
        if [ "$ref" = ref ]; then
            args+=(-T "test/data/$profile.fa")
            keep="$keep && !($(samtools view -H "$bam" |
                awk -F'\t' '$1 == "@SQ" { for (i = 2; i <= NF; i++) { if ($i ~ /^SN:/) n = substr($i, 4); if ($i ~ /^LN:/) l = substr($i, 4) }
                             printf "%s(rname == \"%s\" && pos > %s)", sep, n, l; sep = " || " }'))"
        else
            args+=(--output-fmt-option no_ref=1)
        fi
        samtools view "${args[@]}" -e "$keep" -o "$cram.tmp" "$bam" 2> "$cram.err" ||
            { cat "$cram.err" >&2; exit 1; }
        rm -f "$cram.err"
        mv "$cram.tmp" "$cram"
        samtools index "$cram"
    fi
    if [ "$ref" = ref ]; then echo "$name test/data/$profile.fa"; else echo "$name"; fi
done
