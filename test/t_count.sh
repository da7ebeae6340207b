#!/bin/bash
# Counts equal samtools' on every generated BAM, with any number of
# workers, with and without the index.
. "$(dirname "$0")/lib.sh"
test/make_data.sh small medium manyrefs trap empty nosq unplaced

for p in small medium manyrefs trap empty nosq unplaced; do
    bam=$DATA/$p.bam
    exp=$(expected_counts "$p")
    for j in 1 3 8; do
        "$REGCOUNT" count --quiet -j $j -o "$OUT/$p.j$j.txt" "$bam" "$bam.bai"
        assert_same_file "count $p -j $j equals samtools" "$exp" "$OUT/$p.j$j.txt"
    done
    # Without an index: one multi-threaded pass, same counts.
    mkdir -p "$OUT/noindex"
    ln -sf "$bam" "$OUT/noindex/$p.bam"
    "$REGCOUNT" count --quiet -j 2 "$OUT/noindex/$p.bam" > "$OUT/$p.noindex.txt"
    assert_same_file "count $p without index equals samtools" "$exp" "$OUT/$p.noindex.txt"
done

# The index is found next to the BAM when not given.
"$REGCOUNT" count --quiet -j 2 "$DATA/small.bam" > "$OUT/found.txt"
assert_same_file "index BAM.bai found next to the BAM" "$(expected_counts small)" "$OUT/found.txt"

# The medium BAM is large enough for -j 8 to split reference sequences.
parts=$("$REGCOUNT" plan -j 8 "$DATA/medium.bam" | grep -c '^part')
[ "$parts" -eq 8 ] && pass "medium splits into 8 parts" || fail "medium splits into 8 parts" "got $parts"

# Empty BAM and no @SQ: a count file with zeros / just the total.
assert_eq "nosq gives only the total" "Total reads: 0" "$(cat "$OUT/nosq.j1.txt")"
assert_eq "empty BAM lists every region at 0" \
    "$(samtools view -H "$DATA/empty.bam" | grep -c '^@SQ')" "$(grep -c ': 0$' "$OUT/empty.j1.txt" | awk '{print $1-1}')"

# The index method gives the same counts on every file, hard cases included.
for p in small medium manyrefs trap empty nosq unplaced; do
    "$REGCOUNT" count --quiet --method index -o "$OUT/$p.index.txt" "$DATA/$p.bam" "$DATA/$p.bam.bai"
    assert_same_file "count $p --method index equals samtools" "$(expected_counts "$p")" "$OUT/$p.index.txt"
done

# An index without per-reference counts (samtools always writes them; other
# tools may not): the index method refuses, suggesting scan; scan still works.
python3 - "$DATA/medium.bam.bai" "$OUT/nostats.bai" <<'PY'
import struct, sys
data, out = open(sys.argv[1], "rb").read(), bytearray()
assert data[:4] == b"BAI\1"
n_ref, at = struct.unpack_from("<i", data, 4)[0], 8
out += data[:8]
for _ in range(n_ref):
    n_bin = struct.unpack_from("<i", data, at)[0]; at += 4
    bins = []
    for _ in range(n_bin):
        b, n_chunk = struct.unpack_from("<Ii", data, at)
        size = 8 + 16 * n_chunk
        if b != 37450:  # the pseudo-bin that holds the counts
            bins.append(data[at:at + size])
        at += size
    out += struct.pack("<i", len(bins)) + b"".join(bins)
    n_intv = struct.unpack_from("<i", data, at)[0]
    out += data[at:at + 4 + 8 * n_intv]; at += 4 + 8 * n_intv
open(sys.argv[2], "wb").write(out)  # and no count of unplaced reads
PY
"$REGCOUNT" count --quiet --method index "$DATA/medium.bam" "$OUT/nostats.bai" > /dev/null 2> "$OUT/nostats.err"
assert_eq "index without counts: --method index fails" 3 $?
assert_match "index without counts: says why and suggests scan" \
    "nostats.bai holds no per-reference read counts .*: count with the scan method instead" "$(cat "$OUT/nostats.err")"
"$REGCOUNT" count --quiet -j 3 "$DATA/medium.bam" "$OUT/nostats.bai" > "$OUT/nostats.txt"
assert_same_file "index without counts: scan still counts" "$(expected_counts medium)" "$OUT/nostats.txt"
