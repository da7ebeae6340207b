#!/bin/bash
# The job survives the platform's transient faults (through the emulator's
# fault injection) and still uploads counts equal to samtools'.
. "$(dirname "$0")/lib.sh"
test/make_data.sh medium
exp=$(expected_counts medium)

# fault_run NAME RULES_JSON [RUN_ARGS...]: a job on medium.bam with those
# fault rules; checks that it succeeded with the right counts.
fault_run() {
    local name=$1 rules=$2
    shift 2
    emu_init
    echo "$rules" > "$OUT/faults.json"
    bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
    local start=$(date +%s.%N)
    run_job --faults "$OUT/faults.json" -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai "$@"
    ELAPSED=$(echo "$(date +%s.%N) - $start" | bc)
    assert_eq "$name: job done" "0" "$JOB_STATUS"
    uploaded_count_file > "$OUT/uploaded" 2>/dev/null
    assert_same_file "$name: counts equal samtools" "$exp" "$OUT/uploaded"
    assert_eq "$name: a fault was injected" True "$(log_query 'any(e.get("fault") for e in L)')"
}

for route in "/file-*/describe" "/file-*/download" "/file-*/upload"; do
    fault_run "503 Retry-After on $route" \
        "[{\"server\": \"api\", \"route\": \"$route\", \"status\": 503, \"retry_after\": 1, \"count\": 2}]"
    assert_eq "503 on $route: retried after the wait" True \
        "$(log_query "len([e for e in L if e['status'] == 503]) == 2 and all(
            min([b['time'] for b in L if b['route'] == a['route'] and b['time'] > a['time']] or [0]) - a['time'] >= 1
            for a in L if a['status'] == 503)")"
done

fault_run "429 on /file/new, nonce reused" \
    '[{"server": "api", "route": "/file/new", "status": 429, "retry_after": 1, "count": 2}]'
assert_eq "429 on /file/new: one nonce across the retries" 1 \
    "$(log_query 'len({e["body"]["nonce"] for e in L if e["route"] == "/file/new"})')"
assert_eq "429 on /file/new: three calls" 3 "$(log_query 'len([e for e in L if e["route"] == "/file/new"])')"

fault_run "download-first, dropped after 1 MB three times" \
    '[{"server": "storage", "op": "download", "file": "medium.bam", "drop_after_bytes": 1000000, "count": 3}]' \
    -i download_first=true
size=$(stat -c %s "$DATA/medium.bam")
assert_eq "download-first, dropped: resumed with Range requests, nothing fetched twice" \
    "bytes=0-$((size - 1)) bytes=1000000-$((size - 1)) bytes=2000000-$((size - 1)) bytes=3000000-$((size - 1)) $size" \
    "$(log_query "' '.join([e['range'] for e in L if e.get('route') == 'download' and e['path'].endswith('medium.bam')] + [str(sum(e['bytes_sent'] for e in L if e.get('route') == 'download' and e['path'].endswith('medium.bam')))])")"

for fault in '"status": 400' '"status": 500' '"drop": "before"'; do
    fault_run "PUT failure ($fault)" "[{\"server\": \"storage\", \"op\": \"upload\", $fault}]"
    assert_eq "PUT failure ($fault): a fresh /upload URL for the second PUT" "2 2 2" \
        "$(log_query "' '.join(map(str, [len([e for e in L if e['route'] == '/file-xxxx/upload']),
            len({e['path'] for e in L if e.get('route') == 'upload'}),
            len([e for e in L if e.get('route') == 'upload'])]))")"
done

# Streaming: each worker's connection resumes exactly where it broke.
fault_run "streaming, dropped after 300 kB three times" \
    '[{"server": "storage", "op": "download", "file": "medium.bam", "drop_after_bytes": 300000, "skip": 2, "count": 3}]'
broken="[(int(a['range'][6:].split('-')[0]), int(a['range'].split('-')[1]), a) for a in L
    if a.get('route') == 'download' and a.get('fault') and a['bytes_sent'] < 300000 + 1
    and int(a['range'].split('-')[1]) + 1 - int(a['range'][6:].split('-')[0]) > a['bytes_sent']]"
assert_eq "streaming, dropped: three ranges broke" 3 "$(log_query "len($broken)")"
assert_eq "streaming, dropped: each broken range resumed from its last byte" True "$(log_query "all(
    any(b.get('range') == 'bytes=%d-%d' % (beg + a['bytes_sent'], end) and b['time'] > a['time']
        for b in L if b.get('route') == 'download')
    for beg, end, a in $broken)")"
