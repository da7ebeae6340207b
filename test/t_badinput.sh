#!/bin/bash
# Bad input: a one-line error naming the file and the problem, exit status
# 3, and no count file.
. "$(dirname "$0")/lib.sh"
test/make_data.sh small medium unsorted

# bad_case NAME REGEX ARGS...: regcount count -o OUT ARGS must fail with
# status 3, one line on stderr matching REGEX, and no OUT.
bad_case() {
    local name=$1 regex=$2 status
    shift 2
    rm -f "$OUT/out.txt"
    "$REGCOUNT" count --quiet -j 2 -o "$OUT/out.txt" "$@" 2> "$OUT/err.txt"
    status=$?
    assert_eq "$name: exit status" 3 "$status"
    assert_match "$name: message" "$regex" "$(cat "$OUT/err.txt")"
    assert_eq "$name: one line" 1 "$(wc -l < "$OUT/err.txt")"
    assert_absent "$name: no count file" "$OUT/out.txt"
}

small=$DATA/small.bam
samtools view -h "$small" > "$OUT/text.sam"
bad_case "SAM text" "text.sam is not a BAM or CRAM file" "$OUT/text.sam"
gzip -c "$OUT/text.sam" > "$OUT/plain.bam"
bad_case "gzip but not BGZF" "plain.bam is not BGZF-compressed BAM|plain.bam is not a BAM" "$OUT/plain.bam"
: > "$OUT/empty.bam"
bad_case "empty file" "empty.bam is empty" "$OUT/empty.bam"
head -c 5000 /dev/urandom > "$OUT/random.bam"
bad_case "random bytes" "random.bam is not a BAM or CRAM file" "$OUT/random.bam"
bad_case "unreadable path" "cannot open BAM .*missing.bam: No such file" "$OUT/missing.bam"
mkdir -p "$OUT/dir.bam"
bad_case "a directory" "dir.bam is not a regular file" "$OUT/dir.bam"

# Truncated: inside the header, inside a record, and just before the
# end-of-file marker (the last 28 bytes).
size=$(stat -c %s "$small")
head -c 100 "$small" > "$OUT/trunc_header.bam"
head -c $((size / 2)) "$small" > "$OUT/trunc_record.bam"
head -c $((size - 28)) "$small" > "$OUT/trunc_eof.bam"
for t in header record eof; do
    bad_case "truncated ($t)" "trunc_$t.bam is truncated: the BGZF end-of-file marker is missing" \
        "$OUT/trunc_$t.bam"
done

# A corrupt block in the middle (one byte flipped in compressed data).
python3 - "$DATA/medium.bam" "$OUT/corrupt.bam" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0x55
open(sys.argv[2], "wb").write(data)
PY
bad_case "corrupt block" "worker [0-9]+ \(part [0-9]+ of [0-9]+: bytes [0-9]+-[0-9]+.*corrupt.bam: truncated or corrupt BGZF block near byte" \
    "$OUT/corrupt.bam" "$DATA/medium.bam.bai"

# Unsorted, counted with an index (medium's: same references and records).
# With one part the worker reads on to the records out of order; with more,
# the split points miss record starts.
bad_case "unsorted BAM, one part" "unsorted.bam is not sorted by coordinate: record near byte" \
    -j 1 "$DATA/unsorted.bam" "$DATA/medium.bam.bai"
# Split in two, both workers find the BAM unsorted, each in its own words;
# the parent reports whichever fails first, so either message is right.
bad_case "unsorted BAM, split" "unsorted.bam: no record can be read at byte [0-9]+, where the index says one starts: the index does not belong to this BAM, or the BAM is not sorted|unsorted.bam is not sorted by coordinate: record near byte" \
    "$DATA/unsorted.bam" "$DATA/medium.bam.bai"
samtools view -H "$small" | sed 's/SO:coordinate/SO:queryname/' > "$OUT/qn.sam"
samtools view "$small" >> "$OUT/qn.sam" 2> /dev/null
samtools view -b -o "$OUT/qn.bam" "$OUT/qn.sam" 2> /dev/null
bad_case "header says queryname" "qn.bam is not sorted by coordinate \(its header says SO:queryname\)" \
    "$OUT/qn.bam" "$small.bai"

# An index from another BAM, and a file that is no index at all.
bad_case "index of another BAM" "small.bam.bai does not belong to .*medium.bam" \
    "$DATA/medium.bam" "$DATA/small.bam.bai"
bad_case "not an index" "text.sam is not a BAM index" "$small" "$OUT/text.sam"
bad_case "missing index" "cannot open index .*nothere.bai" "$small" "$OUT/nothere.bai"
