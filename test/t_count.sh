#!/bin/bash
# Counts equal samtools' on every generated BAM, with any number of
# workers, with and without the index.
. "$(dirname "$0")/lib.sh"
test/make_data.sh small medium manyrefs trap empty nosq unplaced

for p in small medium manyrefs trap empty nosq unplaced; do
    bam=$DATA/$p.bam
    exp=$(expected_counts "$p")
    for j in 1 3 8; do
        "$REGCOUNT" count -q -j $j -o "$OUT/$p.j$j.txt" "$bam" "$bam.bai"
        assert_same_file "count $p -j $j equals samtools" "$exp" "$OUT/$p.j$j.txt"
    done
    # Without an index: one multi-threaded pass, same counts.
    mkdir -p "$OUT/noindex"
    ln -sf "$bam" "$OUT/noindex/$p.bam"
    "$REGCOUNT" count -q -j 2 "$OUT/noindex/$p.bam" > "$OUT/$p.noindex.txt"
    assert_same_file "count $p without index equals samtools" "$exp" "$OUT/$p.noindex.txt"
done

# The index is found next to the BAM when not given.
"$REGCOUNT" count -q -j 2 "$DATA/small.bam" > "$OUT/found.txt"
assert_same_file "index BAM.bai found next to the BAM" "$(expected_counts small)" "$OUT/found.txt"

# The medium BAM is large enough for -j 8 to split reference sequences.
parts=$("$REGCOUNT" plan -j 8 "$DATA/medium.bam" | grep -c '^part')
[ "$parts" -eq 8 ] && pass "medium splits into 8 parts" || fail "medium splits into 8 parts" "got $parts"

# Empty BAM and no @SQ: a count file with zeros / just the total.
assert_eq "nosq gives only the total" "Total reads: 0" "$(cat "$OUT/nosq.j1.txt")"
assert_eq "empty BAM lists every region at 0" \
    "$(samtools view -H "$DATA/empty.bam" | grep -c '^@SQ')" "$(grep -c ': 0$' "$OUT/empty.j1.txt" | awk '{print $1-1}')"
