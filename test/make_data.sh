#!/bin/bash
# Generates the test BAMs into test/data and indexes them with samtools, the
# reference tool. A BAM is made again when the generator (test/bin/gen_bam,
# which make rebuilds from test/gen_bam.c) is newer than it, as make would.
# Usage: make_data.sh [PROFILE...]
set -eu
cd "$(dirname "$0")/.."
mkdir -p test/data
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(small medium manyrefs trap empty nosq unplaced unsorted)
for p in "${profiles[@]}"; do
    bam=test/data/$p.bam
    [ -s "$bam" ] && [ "$bam" -nt test/bin/gen_bam ] && continue
    # small and medium also get the reference their reads come from, for
    # reference-based CRAMs (make_cram.sh).
    fasta=()
    case $p in small | medium) fasta=(--fasta "test/data/$p.fa") ;; esac
    test/bin/gen_bam "$p" "$bam.tmp" "${fasta[@]}" 2>/dev/null
    [ ${#fasta[@]} -eq 0 ] || samtools faidx "test/data/$p.fa"
    mv "$bam.tmp" "$bam"
    # An unsorted BAM cannot be indexed; its tests borrow medium's index.
    [ "$p" = unsorted ] || samtools index "$bam"
done
