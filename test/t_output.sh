#!/bin/bash
# Where the outputs go. A regular file is replaced atomically; a device, a
# pipe or one of the process's own descriptors (/dev/null, a FIFO,
# /dev/stdout, /dev/fd/N) is written through once the whole text is there,
# and is never replaced by a plain file nor removed when a later output fails.
. "$(dirname "$0")/lib.sh"
test/make_data.sh small

small=$DATA/small.bam
exp=$(expected_counts small)

# is_char_device NAME: /dev/null is still the device after the case NAME.
is_char_device() {
    if [ -c /dev/null ]; then pass "$1: /dev/null is still a character device"
    else fail "$1: /dev/null is still a character device" "$(ls -l /dev/null)"; fi
    assert_eq "$1: no temporary file left in /dev" "" "$(ls /dev | grep -F 'null.tmp.' || true)"
}

"$REGCOUNT" count --quiet -o /dev/null --tsv /dev/null "$small"
assert_eq "-o /dev/null: exit status" 0 $?
is_char_device "-o /dev/null"

# A FIFO: the reader gets the whole count file; the FIFO stays a FIFO.
mkfifo "$OUT/fifo"
# (timeout: a FIFO replaced by a file would leave the reader waiting.)
timeout 20 cat "$OUT/fifo" > "$OUT/from-fifo.txt" &
reader=$!
"$REGCOUNT" count --quiet -o "$OUT/fifo" "$small"
assert_eq "-o FIFO: exit status" 0 $?
wait $reader
assert_same_file "-o FIFO: the reader gets what samtools counts" "$exp" "$OUT/from-fifo.txt"
[ -p "$OUT/fifo" ] && pass "-o FIFO: still a FIFO" || fail "-o FIFO: still a FIFO" "$(ls -l "$OUT/fifo")"

# /dev/stdout opened by the shell for appending: what was there stays.
echo "before" > "$OUT/appended.txt"
"$REGCOUNT" count --quiet -o /dev/stdout "$small" >> "$OUT/appended.txt"
{ echo "before"; cat "$exp"; } > "$OUT/appended.expected"
assert_same_file "-o /dev/stdout >> FILE: appended after what was there" \
    "$OUT/appended.expected" "$OUT/appended.txt"

# "-" is standard output, as in samtools, for every output.
(cd "$OUT" && "$REGCOUNT" count --quiet -o - "$small" > "$OUT/dash.txt")
assert_same_file "-o -: standard output, what samtools counts" "$exp" "$OUT/dash.txt"
assert_absent "-o -: no file named -" "$OUT/-"

# --tsv to a descriptor the shell opened equals --tsv to a file.
"$REGCOUNT" count --quiet -o "$OUT/c.txt" --tsv "$OUT/t.tsv" "$small"
"$REGCOUNT" count --quiet -o /dev/null --tsv /dev/fd/3 "$small" 3> "$OUT/fd3.tsv"
assert_same_file "--tsv /dev/fd/3: the same table as to a file" "$OUT/t.tsv" "$OUT/fd3.tsv"
(cd "$OUT" && "$REGCOUNT" count --quiet -o /dev/null --tsv - "$small" > "$OUT/dash.tsv")
assert_same_file "--tsv -: the same table on standard output" "$OUT/t.tsv" "$OUT/dash.tsv"
"$REGCOUNT" count --quiet -o /dev/fd/9 "$small" 2> "$OUT/err.txt"
assert_eq "-o /dev/fd/9, not open: exit status" 3 $?
assert_match "-o /dev/fd/9, not open: message" "cannot write /dev/fd/9: descriptor 9 is not open" \
    "$(cat "$OUT/err.txt")"

# A symbolic link stays; the file it leads to gets the count file.
echo "old" > "$OUT/target.txt"
ln -s "$OUT/target.txt" "$OUT/link.txt"
"$REGCOUNT" count --quiet -o "$OUT/link.txt" "$small"
[ -L "$OUT/link.txt" ] && pass "-o LINK: still a link" || fail "-o LINK: still a link" "$(ls -l "$OUT/link.txt")"
assert_same_file "-o LINK: the file it leads to holds the counts" "$exp" "$OUT/target.txt"

# A directory is refused before anything is counted.
mkdir "$OUT/dir"
"$REGCOUNT" count --quiet -o "$OUT/dir" "$small" 2> "$OUT/err.txt"
assert_eq "-o DIR: exit status" 3 $?
assert_match "-o DIR: message" "cannot write .*/dir: it is a directory" "$(cat "$OUT/err.txt")"

# When a later output fails, the ones already written are taken back, but
# never the device they went to.
"$REGCOUNT" count --quiet --tsv /dev/null -o "$OUT/nowhere/c.txt" "$small" 2> /dev/null
assert_eq "--tsv /dev/null, -o in a missing directory: exit status" 4 $?
is_char_device "--tsv /dev/null, then -o fails"
ln -s "$small" "$OUT/copy.bam"
ln -s "$small.bai" "$OUT/copy.bam.bai"
"$REGCOUNT" count --quiet --matrix /dev/null --report "$OUT/nowhere/r.html" \
    "$small" "$OUT/copy.bam" > /dev/null 2>&1
assert_eq "--matrix /dev/null, --report in a missing directory: exit status" 4 $?
is_char_device "--matrix /dev/null, then --report fails"
"$REGCOUNT" count --quiet --tsv "$OUT/taken-back.tsv" -o "$OUT/nowhere/c.txt" "$small" 2> /dev/null
assert_absent "--tsv FILE, then -o fails: FILE is taken back" "$OUT/taken-back.tsv"

