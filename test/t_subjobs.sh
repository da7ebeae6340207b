#!/bin/bash
# Scatter and gather over subjobs: any number of subjobs gives the count
# file samtools gives; no subjob reads outside its part; main never reads
# the BAM; a failing count_part fails the job with its message.
. "$(dirname "$0")/lib.sh"
test/make_data.sh small medium manyrefs trap

# job_reads FUNCTION: "beg-end" byte ranges of the BAM read by the jobs
# running FUNCTION, one job per line: "<part beg> <part end> <ranges...>".
job_reads() {
    python3 - "$OUT/emu" "$1" "$2" <<'PY'
import glob, json, sys
root, function, bam = sys.argv[1:]
log = [json.loads(l) for l in open(root + "/requests.jsonl")]
for path in glob.glob(root + "/jobs/*/home/dnanexus-job.json"):
    job = json.load(open(path))
    if job["function"] != function:
        continue
    part = job["input"].get("part", {"beg": 0, "end": -1})
    ranges = [e["range"][6:] for e in log if e.get("route") == "download"
              and e.get("job") == job["id"] and e.get("file") == bam]
    print(part["beg"] >> 16, part["end"] >> 16 if part["end"] >= 0 else -1, " ".join(ranges))
PY
}

for p in small medium manyrefs trap; do
    for n in 1 2 3 7; do
        emu_init
        bam=$(emu_upload "$DATA/$p.bam") bai=$(emu_upload "$DATA/$p.bam.bai")
        run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai -i subjobs=$n
        uploaded_count_file > "$OUT/$p.$n.uploaded" 2>/dev/null
        assert_same_file "$p with subjobs=$n equals samtools" "$(expected_counts "$p")" "$OUT/$p.$n.uploaded"
        [ $n -gt 1 ] || continue
        size=$(stat -c %s "$DATA/$p.bam")
        # main: the header (from byte 0) and the end-of-file marker only (a
        # file no larger than the first fetch of the start, 256 KiB: in one).
        main_reads=$(job_reads main "$bam" | cut -d' ' -f3-)
        whole="^0-$((size - 1))$"
        [ "$size" -le 262144 ] || whole="^0-[0-9]+ $((size - 28))-$((size - 1))$"
        assert_match "$p subjobs=$n: main reads only the header and the EOF marker" "$whole" "$main_reads"
        # count_part: its part, plus the header and a block past its end.
        outside=$(job_reads count_part "$bam" | python3 -c '
import sys
for line in sys.stdin:
    f = line.split()
    beg, end = int(f[0]), int(f[1])
    for r in f[2:]:
        a, b = map(int, r.split("-"))
        if not (a == 0 and b < 1 << 20) and not (a >= beg and (end < 0 or b < end + 65536)):
            print(line.strip(), "reads", r)')
        assert_eq "$p subjobs=$n: no count_part reads outside its part" "" "$outside"
        assert_eq "$p subjobs=$n: one nonce per /job/new" \
            "$(log_query 'len([e for e in L if e["route"] == "/job/new"])')" \
            "$(log_query 'len({e["body"]["nonce"] for e in L if e["route"] == "/job/new"})')"
    done
done

# Without a BAI, main downloads the BAM once, indexes it, uploads the
# index and passes it on.
emu_init
bam=$(emu_upload "$DATA/medium.bam")
run_job -i mappings_sorted_bam=$bam -i subjobs=3
uploaded_count_file > "$OUT/noindex.uploaded" 2>/dev/null
assert_same_file "subjobs=3 without a BAI equals samtools" "$(expected_counts medium)" "$OUT/noindex.uploaded"
assert_match "main says it builds the index" "building the index of medium.bam" "$(cat "$OUT/job.log")"
assert_eq "the index is uploaded once" 1 "$(log_query 'len([e for e in L if e["route"] == "/file/new" and e["body"]["name"].endswith(".bai")])')"

# A count_part that fails fails the whole job with its message.
python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[len(d) * 2 // 3] ^= 0x55
open(sys.argv[2], "wb").write(d)' "$DATA/medium.bam" "$OUT/corrupt.bam"
emu_init
bam=$(emu_upload "$OUT/corrupt.bam" --name medium.bam) bai=$(emu_upload "$DATA/medium.bam.bai")
run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai -i subjobs=3
assert_eq "failing count_part: the job failed" "1 failed" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
assert_eq "failing count_part: AppError" AppError "$(json_get "$JOB_JSON" 'j["failureReason"]')"
assert_match "failing count_part: its message" "worker [0-9] \(part .*truncated or corrupt BGZF block" \
    "$(json_get "$JOB_JSON" 'j["failureMessage"]')"
failed_from=$(json_get "$JOB_JSON" 'j["failureFrom"]["id"] if isinstance(j["failureFrom"], dict) else j["failureFrom"]')
assert_eq "failing count_part: failureFrom is a count_part" count_part \
    "$($EMU describe "$OUT/emu" "$failed_from" | json_get /dev/stdin 'j["function"]')"
assert_eq "failing count_part: nothing uploaded" 0 "$(log_query 'len([e for e in L if e["route"] == "/file/new"])')"
assert_no_token "subjobs: no token written"

# /job/new throttled, and an answer lost: retried with the same nonce, so
# no job is started twice.
emu_init
echo '[{"server": "api", "route": "/job/new", "status": 503, "retry_after": 0, "count": 2},
       {"server": "api", "route": "/job/new", "drop": "after", "skip": 2, "count": 1}]' > "$OUT/faults.json"
bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
run_job --faults "$OUT/faults.json" -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai -i subjobs=3
uploaded_count_file > "$OUT/throttled.uploaded" 2>/dev/null
assert_same_file "/job/new throttled and lost: counts equal samtools" "$(expected_counts medium)" "$OUT/throttled.uploaded"
assert_eq "/job/new throttled and lost: 3 count_part and 1 gather, each started once" "3 1" \
    "$(ls "$OUT"/emu/jobs/*/home/dnanexus-job.json | xargs -n1 python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["function"])' | sort | uniq -c | awk '$2 != "main" {printf "%s%s", s, $1; s=" "}')"
assert_eq "/job/new throttled and lost: 4 nonces for 7 calls" "4 7" \
    "$(log_query 'str(len({e["body"]["nonce"] for e in L if e["route"] == "/job/new"})) + " " + str(len([e for e in L if e["route"] == "/job/new"]))')"
