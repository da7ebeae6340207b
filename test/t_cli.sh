#!/bin/bash
# The command line: help lists every option with its default; misuse is
# an error with status 1.
. "$(dirname "$0")/lib.sh"

help=$("$REGCOUNT" --help)
for cmd in count plan job; do
    assert_match "regcount --help lists $cmd" "  $cmd " "$help"
done
help=$("$REGCOUNT" count --help)
for opt in "-o, --output FILE.*\[standard output\]" "-j, --jobs N.*\[online cores: [0-9]+\]" \
    "-t, --timeout SECS.*\[0: no limit\]" "--quiet" "-h, --help" "-b, --regions FILE" "--bin SIZE" \
    "-q, --min-MQ INT.*\[0\]" "-f, --require-flags FLAG" "-F, --excl-flags FLAG" "-G FLAG" "--tsv FILE"; do
    assert_match "count --help: $opt" "$opt" "$help"
done
"$REGCOUNT" count > /dev/null 2>&1
assert_eq "count without a BAM is a usage error" 1 $?
"$REGCOUNT" count -j 0 x.bam > /dev/null 2>&1
assert_eq "count -j 0 is a usage error" 1 $?
"$REGCOUNT" frobnicate > /dev/null 2>&1
assert_eq "unknown command is a usage error" 1 $?
assert_match "--version" "^regcount [0-9]+\.[0-9]+\.[0-9]+$" "$("$REGCOUNT" --version)"

# Numbers are read one way: all of the text, in range, or a clear error.
for args in "-j 4x" "-j 0" "-j 1025" "-t 3s" "-t -1"; do
    msg=$("$REGCOUNT" count $args x.bam 2>&1 > /dev/null)
    status=$?
    assert_eq "count $args: a usage error" 1 "$status"
    assert_match "count $args: says what the option takes" \
        "^regcount count: (-j takes a whole number from 1 to 1024|--timeout takes a number of seconds).*, not '" "$msg"
done
msg=$("$REGCOUNT" plan -j 4x x.bam 2>&1 > /dev/null)
assert_eq "plan -j 4x: a usage error" "1 regcount plan: -j takes a whole number from 1 to 100000, not '4x'" "$? $msg"

# A machine without the libraries' headers: make says which packages to install.
msg=$(sh "$ROOT/src/check-build-deps.sh" "cc -nostdinc" 2>&1)
assert_eq "build without headers: refused" 1 $?
assert_match "build without headers: names the packages" \
    "missing htslib/sam.h curl/curl.h jansson.h zlib.h \(Debian/Ubuntu packages: libhts-dev libcurl4-gnutls-dev libjansson-dev zlib1g-dev\).*apt-get install libhts-dev libcurl4-gnutls-dev libjansson-dev zlib1g-dev" \
    "$(echo "$msg" | tr '\n' ' ')"
