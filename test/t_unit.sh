#!/bin/bash
# The unit tests in C (test/unit/test_*.c, built by make test-bins): the
# planner's split points and balance, the workers' framing and failures,
# the retry schedule, the upload's part sizes, job_input.json values, the
# tally's serialised form, base64, and the parsing of numbers.
. "$(dirname "$0")/lib.sh"
test/make_data.sh small medium manyrefs trap empty
export REGCOUNT_TEST_DATA=$DATA
for t in "$ROOT"/test/unit/test_*.c; do
    bin=$TBIN/unit/$(basename "$t" .c)
    if [ ! -x "$bin" ]; then
        fail "$(basename "$t" .c)" "not built (make test-bins)"
        continue
    fi
    "$bin" || fail "$(basename "$t" .c)" "exited with status $?"
done
