#!/bin/bash
# Makes the test cohort into test/data/cohort with gen_bam's cohort profile
# and samtools (the reference tool), each file made again when the
# generator is newer than it:
#
#   c01.bam   S1, XX          c02.bam   S2, XY
#   c03.bam   read groups of two samples (S3a, S3b): named by its file, c03
#   c04.bam   S4, XX          c05.bam   S1 again: the name S1_2
#   c06.cram  S6, XY, CRAM 3.0 without a reference, small containers
#   c07.cram  S7, XX, CRAM 3.1 without a reference, containers of several
#             references
#   bad/trunc.bam    c04 cut short (no end-of-file marker)
#   bad/corrupt.bam  c04 with a byte of a BGZF block in the middle changed
#                    (found only when that block is read)
#   bad/text.bam     not a BAM at all
#   many/m001.bam ... many/mNNN.bam  (with --many N) tiny samples, for
#                    hundreds of files in one job
#
# A CRAM cannot hold a mapped record without a position (make_cram.sh), so
# the CRAMs leave those out. Prints nothing.
# Usage: make_cohort.sh [--many N]
set -eu
cd "$(dirname "$0")/.."
GEN=test/bin/gen_bam
D=test/data/cohort
mkdir -p "$D/bad" "$D/many"

# fresh FILE: FILE exists and is newer than the generator.
fresh() { [ -s "$1" ] && [ "$1" -nt "$GEN" ]; }

# bam NAME SEED SEX SAMPLES [gen_bam options]
bam() {
    local out=$D/$1.bam
    fresh "$out" && return 0
    "$GEN" cohort "$out.tmp" --seed "$2" --sex "$3" --sample "$4" "${@:5}" 2>/dev/null
    mv "$out.tmp" "$out"
    samtools index "$out"
}

# cram NAME SEED SEX SAMPLE VERSION OPTIONS
cram() {
    local out=$D/$1.cram
    fresh "$out" && return 0
    "$GEN" cohort "$out.bam" --seed "$2" --sex "$3" --sample "$4" 2>/dev/null
    samtools view --output-fmt "cram,version=$5,no_ref=1,$6" -e 'pos > 0 || flag & 4' \
        -o "$out.tmp" "$out.bam"
    rm -f "$out.bam"
    mv "$out.tmp" "$out"
    samtools index "$out"
}

bam c01 101 XX S1
bam c02 102 XY S2
bam c03 103 XX S3a,S3b
bam c04 104 XX S4
bam c05 105 XX S1
cram c06 106 XY S6 3.0 seqs_per_slice=200,slices_per_container=2
cram c07 107 XX S7 3.1 seqs_per_slice=100,multi_seq_per_slice=1

if ! fresh "$D/bad/trunc.bam"; then
    head -c 100000 "$D/c04.bam" > "$D/bad/trunc.bam"
fi
if ! fresh "$D/bad/corrupt.bam"; then
    cp "$D/c04.bam" "$D/bad/corrupt.bam.tmp"
    # A byte inside the deflate data of a block in the middle: its CRC32
    # no longer matches when the block is read.
    size=$(stat -c %s "$D/c04.bam")
    printf '\x55' | dd of="$D/bad/corrupt.bam.tmp" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
    mv "$D/bad/corrupt.bam.tmp" "$D/bad/corrupt.bam"
    cp "$D/c04.bam.bai" "$D/bad/corrupt.bam.bai"
fi
[ -s "$D/bad/text.bam" ] || echo "not a BAM file" > "$D/bad/text.bam"

many=0
[ "${1:-}" = --many ] && many=$2
for i in $(seq 1 "$many"); do
    name=$(printf 'm%03d' "$i")
    out=$D/many/$name.bam
    fresh "$out" && continue
    "$GEN" cohort "$out.tmp" --seed $((1000 + i)) --sex $([ $((i % 2)) = 0 ] && echo XY || echo XX) \
        --sample "M$i" --tiny --threads 0 2>/dev/null
    mv "$out.tmp" "$out"
    samtools index "$out"
done
