#!/bin/bash
# The fault matrix, part 1: faults from the platform, injected by the
# emulator. For each, the job either succeeds with counts equal to
# samtools', or fails with job_error.json of the right type, a non-zero
# exit, and no output file created or linked. FAULT_N (default 2; make
# stress: 10) is how many calls in a row are throttled.
. "$(dirname "$0")/lib.sh"
test/make_data.sh medium
exp=$(expected_counts medium)
N=${FAULT_N:-2}

# run_with NAME RULES_JSON [RUN_ARGS...]: a job on medium.bam (and its BAI)
# with those fault rules.
run_with() {
    local name=$1 rules=$2
    shift 2
    emu_init
    echo "$rules" > "$OUT/faults.json"
    bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
    run_job --faults "$OUT/faults.json" -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai "$@"
    assert_eq "$name: a fault was injected" True "$(log_query 'any(e.get("fault") for e in L)')"
}

# ok_case NAME RULES [RUN_ARGS...]: the job survives the fault.
ok_case() {
    local name=$1
    run_with "$@"
    assert_eq "$name: job done" "0 done" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
    uploaded_count_file > "$OUT/uploaded" 2>/dev/null
    assert_same_file "$name: counts equal samtools" "$exp" "$OUT/uploaded"
}

# fail_case NAME RULES TYPE REGEX [RUN_ARGS...]: the job fails cleanly.
fail_case() {
    local name=$1 rules=$2 type=$3 regex=$4
    shift 4
    run_with "$name" "$rules" "$@"
    assert_eq "$name: job failed" "1 failed" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
    assert_eq "$name: error type" "$type" "$(json_get "$JOB_HOME/job_error.json" 'j["error"]["type"]')"
    assert_match "$name: message" "$regex" "$(json_get "$JOB_HOME/job_error.json" 'j["error"]["message"]')"
    assert_absent "$name: no job_output.json" "$JOB_HOME/job_output.json"
    assert_eq "$name: no output linked" None "$(json_get "$JOB_JSON" 'j.get("output")')"
}

# waited ROUTE_KEY SECONDS: every throttled call was followed by the next
# call of the same route no sooner than SECONDS later.
waited() {
    log_query "all(min([b['time'] for b in L if b.get('route') == a.get('route') and b['time'] > a['time']] or [1e18]) - a['time'] >= $2 * 0.95
        for a in L if a.get('route') == '$1' and a['status'] in (429, 503))"
}

# ---- throttling: 503 and 429 with Retry-After on every route the job uses
# (all routes in one run; make stress runs them one route at a time). The
# wait is proven on one API route and on storage downloads (Retry-After: 1);
# the other routes ask for Retry-After: 0, except under make stress.
ROUTES=("/file-*/describe" "/file-*/download" "/container-*/describe" "/file/new" "/file-*/upload"
        "/file-*/close")
WAIT_ROUTES=" /file-*/describe download "
retry_after() { # ROUTE: the Retry-After this run asks for on it
    if [ -n "${FAULT_STRESS:-}" ] || [[ "$WAIT_ROUTES" == *" $1 "* ]]; then echo 1; else echo 0; fi
}
throttle_rules() { # STATUS ROUTE...
    local status=$1 sep="" r
    shift
    printf '['
    for r in "$@"; do
        printf '%s{"server": "api", "route": "%s", "status": %s, "retry_after": %s, "count": %s}' \
            "$sep" "$r" "$status" "$(retry_after "$r")" "$N"
        sep=", "
    done
    for r in download upload; do
        printf ', {"server": "storage", "op": "%s", "status": %s, "retry_after": %s, "count": %s}' \
            "$r" "$status" "$(retry_after $r)" "$N"
    done
    printf ']'
}
if [ -n "${FAULT_STRESS:-}" ]; then
    for route in "${ROUTES[@]}"; do
        for status in 503 429; do
            ok_case "$status x$N on $route" "$(throttle_rules $status "$route")"
        done
    done
fi
for status in 503 429; do
    ok_case "$status x$N on every route" "$(throttle_rules $status "${ROUTES[@]}")"
    for route in /file-xxxx/describe /file-xxxx/download /container-xxxx/describe /file/new \
        /file-xxxx/upload /file-xxxx/close download upload; do
        assert_eq "$status x$N: $route throttled $N times" "$N" \
            "$(log_query "len([e for e in L if e.get('route') == '$route' and e['status'] == $status])")"
    done
    for route in /file-xxxx/describe download; do
        assert_eq "$status x$N: $route waited Retry-After (1 s) each time" True "$(waited "$route" 1)"
    done
    assert_eq "$status x$N: one nonce per file for every /file/new call (the six outputs)" 6 \
        "$(log_query 'len({(e["body"]["name"], e["body"]["nonce"]) for e in L if e["route"] == "/file/new"})')"
done

# ---- connections dropped without a response
drop_rules() { # WHEN ROUTE...
    local when=$1 sep="" r
    shift
    printf '['
    for r in "$@"; do
        printf '%s{"server": "api", "route": "%s", "drop": "%s", "count": 2}' "$sep" "$r" "$when"
        sep=", "
    done
    printf ', {"server": "storage", "op": "download", "drop": "before", "count": 2}'
    printf ', {"server": "storage", "op": "upload", "drop": "%s", "count": 2}]' "$when"
}
for when in before after; do
    ok_case "connections dropped ($when answering) on every route" "$(drop_rules $when "${ROUTES[@]}")"
done
assert_eq "/file/new answers lost: one nonce and one file closed per output (six)" "6 6" \
    "$(log_query 'str(len({e["body"]["nonce"] for e in L if e["route"] == "/file/new"})) + " " + str(len({e["path"] for e in L if e["route"] == "/file-xxxx/close"}))')"
assert_eq "/file/new answers lost: no stray file made (BAM, BAI and the six outputs)" 8 \
    "$(ls "$OUT/emu/objects" | grep -c '^file-')"

# ---- downloads broken after K bytes, several times in a row
size=$(stat -c %s "$DATA/medium.bam")
ok_case "download-first, dropped after 1 MB three times" \
    '[{"server": "storage", "op": "download", "file": "medium.bam", "drop_after_bytes": 1000000, "count": 3}]' \
    -i download_first=true
assert_eq "download-first, dropped: resumed with Range requests, nothing fetched twice" \
    "bytes=0-$((size - 1)) bytes=1000000-$((size - 1)) bytes=2000000-$((size - 1)) bytes=3000000-$((size - 1)) $size" \
    "$(log_query "' '.join([e['range'] for e in L if e.get('route') == 'download' and e['path'].endswith('medium.bam')] + [str(sum(e['bytes_sent'] for e in L if e.get('route') == 'download' and e['path'].endswith('medium.bam')))])")"
assert_eq "download-first, dropped: the downloaded bytes are the BAM's" \
    "$(md5sum < "$DATA/medium.bam")" "$(md5sum < "$JOB_HOME/in/mappings_sorted_bam/medium.bam")"

ok_case "streaming, dropped after 300 kB three times" \
    '[{"server": "storage", "op": "download", "file": "medium.bam", "drop_after_bytes": 300000, "skip": 2, "count": 3}]'
broken="[(int(a['range'][6:].split('-')[0]), int(a['range'].split('-')[1]), a) for a in L
    if a.get('route') == 'download' and a.get('fault')
    and int(a['range'].split('-')[1]) + 1 - int(a['range'][6:].split('-')[0]) > a['bytes_sent']]"
assert_eq "streaming, dropped: three ranges broke" 3 "$(log_query "len($broken)")"
assert_eq "streaming, dropped: each broken range resumed from its last byte" True "$(log_query "all(
    any(b.get('range') == 'bytes=%d-%d' % (beg + a['bytes_sent'], end) and b['time'] > a['time']
        for b in L if b.get('route') == 'download')
    for beg, end, a in $broken)")"

# ---- bytes that do not match the part md5
ok_case "download-first, one range corrupted once" \
    '[{"server": "storage", "op": "download", "file": "medium.bam", "corrupt": true}]' -i download_first=true
assert_match "download-first, corrupted once: detected and fetched again" "md5 .* expected .*fetching it again" \
    "$(cat "$OUT/job.log")"
fail_case "download-first, corrupted every time" \
    '[{"server": "storage", "op": "download", "file": "medium.bam", "corrupt": true, "count": "all"}]' \
    AppInternalError "download of file-[0-9A-Za-z]+ \(medium.bam\): part 1 does not match its md5 after 3 tries" \
    -i download_first=true
ok_case "streaming, one range corrupted once" \
    '[{"server": "storage", "op": "download", "file": "medium.bam", "corrupt": true, "skip": 2}]'
assert_match "streaming, corrupted once: the part is read again" "unreadable data near byte [0-9]+; reading the part again" \
    "$(cat "$OUT/job.log")"
fail_case "streaming, corrupted every time" \
    '[{"server": "storage", "op": "download", "file": "medium.bam", "corrupt": true, "skip": 2, "count": "all"}]' \
    AppInternalError "download of file-[0-9A-Za-z]+ \(medium.bam\): part 1 does not match its md5"

# ---- download URLs that expire during the transfer (403 from storage)
for mode in "download_first=true" "download_first=false"; do
    ok_case "URL expired ($mode)" \
        '[{"server": "storage", "op": "download", "file": "medium.bam", "expire": true, "count": 2}]' -i $mode
    assert_eq "URL expired ($mode): a new URL was asked for" True \
        "$(log_query 'len([e for e in L if e["route"] == "/file-xxxx/download"]) > len({e["path"] for e in L if e["route"] == "/file-xxxx/download"})')"
done

# ---- PUT failures: the part is sent again with a fresh upload URL
for fault in '"status": 400' '"status": 500' '"drop": "before"' '"drop": "after"'; do
    ok_case "PUT failure ($fault)" "[{\"server\": \"storage\", \"op\": \"upload\", $fault}]"
    # The first PUT fails: two /upload calls, URLs and PUTs for its file, one
    # each for the other five outputs (count file, idxstats, table, matrix,
    # MultiQC table, report).
    assert_eq "PUT failure ($fault): a fresh /upload URL for the second PUT" "7 7 7" \
        "$(log_query "' '.join(map(str, [len([e for e in L if e['route'] == '/file-xxxx/upload']),
            len({e['path'] for e in L if e.get('route') == 'upload'}),
            len([e for e in L if e.get('route') == 'upload'])]))")"
done

# ---- a slow close, and one that never completes
start=$SECONDS
ok_case "close stays closing for 2 s" '[{"server": "api", "route": "/file-*/close", "closing_seconds": 2}]'
[ $((SECONDS - start)) -ge 2 ] && pass "slow close: the job waited" || fail "slow close: the job waited" "$((SECONDS - start)) s"
JOB_ENV="REGCOUNT_CLOSE_WAIT=3"
start=$SECONDS
fail_case "close never completes" '[{"server": "api", "route": "/file-*/close", "never_close": true}]' \
    AppInternalError "file-[0-9A-Za-z]+ is still closing [0-9]+ s after /close"
[ $((SECONDS - start)) -lt 60 ] && pass "close never completes: a bounded wait" ||
    fail "close never completes: a bounded wait" "$((SECONDS - start)) s"

# ---- the API unreachable for longer than the retry budget
JOB_ENV="REGCOUNT_API_BUDGET=4"
start=$SECONDS
fail_case "API unreachable" '[{"server": "api", "route": "/file-*/describe", "drop": "before", "count": "all"}]' \
    AppInternalError "POST /file-[0-9A-Za-z]+/describe: no answer: .*\(after [0-9]+ attempts in [0-9]+ s\)"
[ $((SECONDS - start)) -lt 60 ] && pass "API unreachable: no hang" || fail "API unreachable: no hang" "$((SECONDS - start)) s"
fail_case "API throttling without end" \
    '[{"server": "api", "route": "/file-*/describe", "status": 503, "retry_after": 1, "count": "all"}]' \
    AppInternalError "POST /file-[0-9A-Za-z]+/describe: HTTP 503 .*\(request id [0-9a-f]+\)"
JOB_ENV=""
