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
    "-t, --timeout SECS.*\[0: no limit\]" "-q, --quiet" "-h, --help"; do
    assert_match "count --help: $opt" "$opt" "$help"
done
"$REGCOUNT" count > /dev/null 2>&1
assert_eq "count without a BAM is a usage error" 1 $?
"$REGCOUNT" count -j 0 x.bam > /dev/null 2>&1
assert_eq "count -j 0 is a usage error" 1 $?
"$REGCOUNT" frobnicate > /dev/null 2>&1
assert_eq "unknown command is a usage error" 1 $?
assert_match "--version" "^regcount [0-9]+\.[0-9]+\.[0-9]+$" "$("$REGCOUNT" --version)"
