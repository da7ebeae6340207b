#!/bin/bash
# Security: TLS certificates are checked whenever the protocol is https,
# and the platform's answers are treated as untrusted: oversized or
# malformed JSON, a Content-Length that lies, a huge BAM header and 100 000
# reference sequences are handled with bounded memory and a clear error
# where they are invalid. (The token: every job test calls assert_no_token.)
. "$(dirname "$0")/lib.sh"
test/make_data.sh small medium

# ---- TLS ----------------------------------------------------------------
# A TLS server with a self-signed certificate for 127.0.0.1; it records
# every HTTP request that gets through the handshake.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$OUT/key.pem" -out "$OUT/cert.pem" 2>/dev/null
python3 - "$OUT" <<'PY' &
import http.server, json, ssl, sys
out = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        open(out + "/tls_requests", "a").write(self.path + "\n")
        body = json.dumps({"error": {"type": "ResourceNotFound", "message": "no such file"}}).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(out + "/cert.pem", out + "/key.pem")
server.socket = ctx.wrap_socket(server.socket, server_side=True)
open(out + "/tls_port", "w").write(str(server.server_address[1]))
server.serve_forever()
PY
tls_server=$!
trap 'kill $tls_server 2>/dev/null; rm -rf "$OUT"' EXIT
for _ in $(seq 50); do [ -s "$OUT/tls_port" ] && break; sleep 0.1; done

# tls_job CA_CERT: run `regcount job main` against the TLS server.
tls_job() {
    rm -rf "$OUT/home" && mkdir -p "$OUT/home"
    echo '{"mappings_sorted_bam": {"$dnanexus_link": "file-0123456789ABCDEFGHIJKLMN"}}' > "$OUT/home/job_input.json"
    env -i PATH="$PATH" HOME="$OUT/home" DX_CA_CERT="$1" REGCOUNT_API_BUDGET=1 REGCOUNT_RETRY_WAIT=0.05 \
        DX_SECURITY_CONTEXT='{"auth_token_type":"Bearer","auth_token":"tls-test-token"}' \
        DX_APISERVER_PROTOCOL=https DX_APISERVER_HOST=127.0.0.1 DX_APISERVER_PORT="$(cat "$OUT/tls_port")" \
        DX_JOB_ID=job-0123456789ABCDEFGHIJKLMN DX_WORKSPACE_ID=container-0123456789ABCDEFGHIJKLMN \
        DX_PROJECT_CONTEXT_ID=project-0123456789ABCDEFGHIJKLMN "$REGCOUNT" job main 2> /dev/null
    json_get "$OUT/home/job_error.json" 'j["error"]["message"]'
}
assert_match "https: an unknown certificate is refused" "SSL|certificate" "$(tls_job "")"
assert_match "https: DX_CA_CERT=NOVERIFY does not turn the check off" "SSL|certificate" "$(tls_job NOVERIFY)"
assert_absent "https: no request got through an unchecked handshake" "$OUT/tls_requests"
assert_match "https: the certificate given in DX_CA_CERT is trusted" "HTTP 404 ResourceNotFound" "$(tls_job "$OUT/cert.pem")"
assert_eq "https: with the right CA the request got through" 1 "$(wc -l < "$OUT/tls_requests")"

# ---- untrusted answers from the API and storage ---------------------------
exp=$(expected_counts medium)
# answer_case NAME RULES WANT [TYPE REGEX]: WANT ok, or failed with TYPE/REGEX.
answer_case() {
    local name=$1
    emu_init
    printf '%s' "$2" > "$OUT/faults.json"
    bam=$(emu_upload "$DATA/medium.bam") bai=$(emu_upload "$DATA/medium.bam.bai")
    run_job --faults "$OUT/faults.json" -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai
    if [ "$3" = ok ]; then
        assert_eq "$name: job done" "0 done" "$JOB_STATUS $(json_get "$JOB_JSON" 'j["state"]')"
        uploaded_count_file > "$OUT/uploaded" 2>/dev/null
        assert_same_file "$name: counts equal samtools" "$exp" "$OUT/uploaded"
    else
        assert_eq "$name: job failed" "1 $4" "$JOB_STATUS $(json_get "$JOB_HOME/job_error.json" 'j["error"]["type"]')"
        assert_match "$name: message" "$5" "$(json_get "$JOB_HOME/job_error.json" 'j["error"]["message"]')"
    fi
}
big=$(python3 -c 'import json; print(json.dumps([{"server": "api", "route": "/file-*/describe", "status": 200,
    "body": "{\"pad\": \"" + "x" * (17 << 20) + "\"}"}]))')
answer_case "an answer of 17 MiB" "$big" failed AppInternalError \
    "POST /file-[0-9A-Za-z]+/describe: the answer is larger than 16777216 bytes"
answer_case "malformed JSON, twice" \
    '[{"server": "api", "route": "/file-*/describe", "status": 200, "body": "{not json", "count": 2}]' ok
JOB_ENV="REGCOUNT_API_BUDGET=4" # no need to wait out the full back-off
answer_case "malformed JSON, always" \
    '[{"server": "api", "route": "/file-*/describe", "status": 200, "body": "{not json", "count": "all"}]' \
    failed AppInternalError "POST /file-[0-9A-Za-z]+/describe: HTTP 200 with an answer that is not a JSON object"
JOB_ENV=""
answer_case "describe answer of the wrong shape" \
    '[{"server": "api", "route": "/file-*/describe", "status": 200, "body": {"name": 7}, "count": "all"}]' \
    failed AppInternalError "describe file-[0-9A-Za-z]+: the answer lacks name, state or size"
answer_case "a download URL that is not http" \
    '[{"server": "api", "route": "/file-*/download", "status": 200, "body": {"url": "file:///etc/passwd", "headers": {}}, "count": "all"}]' \
    failed AppInternalError "/download for file-[0-9A-Za-z]+: the answer has no http\(s\) url"
answer_case "API Content-Length longer than the answer" \
    '[{"server": "api", "route": "/file-*/describe", "content_length": 100000, "count": 2}]' ok
answer_case "API Content-Length shorter than the answer" \
    '[{"server": "api", "route": "/file-*/describe", "content_length": 10, "count": 2}]' ok
answer_case "storage Content-Length longer than the data" \
    '[{"server": "storage", "op": "download", "content_length": 99999999, "count": 3}]' ok
answer_case "storage Content-Length shorter than the data" \
    '[{"server": "storage", "op": "download", "content_length": 5000, "count": 3}]' ok

# ---- a huge header, and 100 000 reference sequences -------------------------
# job_equals_samtools NAME BAM EXPECTED: the job's count file is EXPECTED.
job_equals_samtools() {
    emu_init
    bam=$(emu_upload "$2") bai=$(emu_upload "$2.bai")
    run_job -i mappings_sorted_bam=$bam -i mappings_sorted_bai=$bai
    uploaded_count_file > "$OUT/uploaded" 2>/dev/null
    assert_same_file "$1: counts equal samtools" "$3" "$OUT/uploaded"
}
# A 40 MB header (comment lines) before the reads of small.bam.
{ samtools view -H "$DATA/small.bam"
  python3 -c 'import sys
for i in range(400000): sys.stdout.write("@CO\tpadding %08d %s\n" % (i, "x" * 80))'
} > "$OUT/big_header.sam"
samtools reheader "$OUT/big_header.sam" "$DATA/small.bam" > "$OUT/big_header.bam" && samtools index "$OUT/big_header.bam"
job_equals_samtools "a 40 MB header" "$OUT/big_header.bam" "$(expected_counts small)"

# 100 000 reference sequences, reads on one in a thousand.
python3 - "$OUT/many.sam" <<'PY'
import sys
n = 100000
with open(sys.argv[1], "w") as f:
    f.write("@HD\tVN:1.6\tSO:coordinate\n")
    for i in range(n):
        f.write("@SQ\tSN:ctg%06d\tLN:5000\n" % i)
    for i in range(0, n, 1000):
        for k in range(5):
            f.write("r%d_%d\t0\tctg%06d\t%d\t60\t50M\t*\t0\t0\t%s\t%s\n" % (i, k, i, 100 + k * 10, "A" * 50, "I" * 50))
PY
samtools view -b -o "$OUT/many.bam" "$OUT/many.sam" && samtools index "$OUT/many.bam"
# The reference: samtools view -c for every sequence that holds records
# (samtools idxstats lists them); a sequence with no record counts 0.
samtools idxstats "$OUT/many.bam" | awk '$1 != "*" {print $1, $3 + $4}' > "$OUT/many.idx"
while read -r name n; do
    [ "$n" -eq 0 ] && echo "Region $name: 0" || echo "Region $name: $(samtools view -c "$OUT/many.bam" "{$name}")"
done < "$OUT/many.idx" > "$OUT/many.expected"
echo "Total reads: $(awk -F': ' '{s += $2} END {print s}' "$OUT/many.expected")" >> "$OUT/many.expected"
job_equals_samtools "100 000 reference sequences" "$OUT/many.bam" "$OUT/many.expected"
