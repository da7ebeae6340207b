#!/bin/bash
# Tests of the local platform emulator (test/emulator): its strictness through
# real HTTP (tokens, error shapes, describe fields, download and upload URLs,
# close rules, nonces), every fault type, the request log, jobs, subjobs,
# JBORs, failure propagation and a two-stage workflow.
# One line per test case: "PASS emulator.<test>" or "FAIL emulator.<test>: <why>".
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

python3 "$ROOT/test/emulator/test_dxemu.py" 2>"$OUT/stderr" | tee "$OUT/lines"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$OUT/lines"; then
    fail emulator.runner "exited with status $rc: $(head -3 "$OUT/stderr" | tr '\n' '|')"
fi
exit 0
