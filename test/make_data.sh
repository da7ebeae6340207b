#!/bin/bash
# Generates the test BAMs into test/data (once; they are deterministic) and
# indexes them with samtools, the reference tool. Usage: make_data.sh [PROFILE...]
set -eu
cd "$(dirname "$0")/.."
mkdir -p test/data
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(small medium manyrefs trap empty nosq unplaced unsorted)
for p in "${profiles[@]}"; do
    bam=test/data/$p.bam
    [ -s "$bam" ] && continue
    test/bin/gen_bam "$p" "$bam.tmp" 2>/dev/null
    mv "$bam.tmp" "$bam"
    # An unsorted BAM cannot be indexed; its tests borrow medium's index.
    [ "$p" = unsorted ] || samtools index "$bam"
done
