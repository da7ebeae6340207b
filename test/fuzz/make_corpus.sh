#!/bin/bash
# Writes the seed corpus of the fuzz targets into test/fuzz/corpus/<target>/.
# The seeds are committed; run this again only to change them. Needs
# samtools and python3 (the BAM seeds are written by samtools from SAM text,
# plus a few cut from test/bin/gen_bam output). Usage: test/fuzz/make_corpus.sh
set -eu
cd "$(dirname "$0")/../.."
C=test/fuzz/corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/regcount-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rm -rf "$C"
mkdir -p "$C/fuzz_job_input" "$C/fuzz_api_response" "$C/fuzz_countfile" "$C/fuzz_bam"

# ---- fuzz_job_input: job_input.json as the platform writes it -------------
J=$C/fuzz_job_input
F=file-0123456789ABCDEFGHIJKLMN F2=file-B0123456789ABCDEFGHIJKL P=project-Gf5k0Qj0pB8v2x3Q9Z8yJ4vK
cat > "$J/bam_only.json" <<EOF
{"mappings_sorted_bam": {"\$dnanexus_link": "$F"}}
EOF
cat > "$J/bam_and_bai.json" <<EOF
{
    "mappings_sorted_bam": {"\$dnanexus_link": "$F"},
    "mappings_sorted_bai": {"\$dnanexus_link": "$F2"}
}
EOF
cat > "$J/project_links.json" <<EOF
{"mappings_sorted_bam": {"\$dnanexus_link": {"project": "$P", "id": "$F"}},
 "mappings_sorted_bai": {"\$dnanexus_link": {"project": "container-Gf5k0Qj0pB8v2x3Q9Z8yJ4vK", "id": "$F2"}}}
EOF
cat > "$J/all_inputs.json" <<EOF
{"mappings_sorted_bam": {"\$dnanexus_link": "$F"}, "mappings_sorted_bai": {"\$dnanexus_link": "$F2"},
 "count_method": "index", "download_first": true, "subjobs": 4}
EOF
cat > "$J/scan_defaults.json" <<EOF
{"mappings_sorted_bam": {"\$dnanexus_link": "$F"}, "count_method": "scan", "download_first": false, "subjobs": 1000}
EOF
cat > "$J/bad_values.json" <<EOF
{"mappings_sorted_bam": {"\$dnanexus_link": "record-0123456789ABCDEFGHIJKLMN"}, "count_method": "Index",
 "download_first": "yes", "subjobs": 0, "extra": [1, 2.5, null, {"a": "../../etc/passwd"}]}
EOF
cat > "$J/bad_project.json" <<EOF
{"mappings_sorted_bam": {"\$dnanexus_link": {"project": "project-short", "id": "$F"}}, "subjobs": 1001}
EOF
printf '{"mappings_sorted_bam": {"$dnanexus_link": "%s"}, "name": ".hidden/ file\\u00e9\\t\\u0000x"}\n' "$F" > "$J/odd_strings.json"
printf '[1, 2]\n' > "$J/not_object.json"
printf '{"a": 1, "a": 2}\n' > "$J/duplicate_keys.json"

# ---- fuzz_api_response: answers shaped as the platform gives them (P9-P12) --
A=$C/fuzz_api_response
cat > "$A/describe.json" <<EOF
{"id": "$F", "project": "$P", "class": "file", "name": "mappings.bam", "folder": "/",
 "state": "closed", "size": 12582912, "media": "application/octet-stream", "archivalState": "live",
 "parts": {"1": {"md5": "0123456789ABCDEF0123456789abcdef", "size": 10485760, "state": "complete"},
           "2": {"md5": "d41d8cd98f00b204e9800998ecf8427e", "size": 2097152, "state": "complete"}}}
EOF
cat > "$A/describe_noparts.json" <<EOF
{"id": "$F", "name": "linked.bam", "state": "closed", "size": 1000, "drive": "drive-PUBLISHED",
 "md5": "d41d8cd98f00b204e9800998ecf8427e"}
EOF
cat > "$A/describe_open.json" <<EOF
{"id": "$F", "name": "x.bam", "state": "open", "size": 0, "parts": {}}
EOF
cat > "$A/download.json" <<EOF
{"url": "http://127.0.0.1:8124/D/0123abcd/mappings.bam", "headers": {"x-dnanexus-signature": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}, "expires": 1700000000000}
EOF
cat > "$A/download_preauth.json" <<EOF
{"url": "https://dl.dnanex.us/F/D/abc/mappings.bam?sig=x", "headers": {}, "expires": 1.7e12}
EOF
cat > "$A/upload.json" <<EOF
{"url": "https://upload.example/U/42", "expires": 1700000000000,
 "headers": {"content-length": "83", "content-md5": "1B2M2Y8AsgTpgAmY7PhCfg==", "x-dnanexus-signature": "ab"}}
EOF
cat > "$A/upload_params_aws.json" <<EOF
{"id": "container-Gf5k0Qj0pB8v2x3Q9Z8yJ4vK", "fileUploadParameters": {"minimumPartSize": 5242880,
 "maximumPartSize": 5368709120, "maximumNumParts": 10000, "maximumFileSize": 5497558138880,
 "emptyLastPartAllowed": true}}
EOF
cat > "$A/upload_params_azure.json" <<EOF
{"fileUploadParameters": {"minimumPartSize": 1, "maximumPartSize": 4194304, "maximumNumParts": 50000,
 "maximumFileSize": 209715200000, "emptyLastPartAllowed": false}}
EOF
cat > "$A/error_invalid_input.json" <<EOF
{"error": {"type": "InvalidInput", "message": "Cannot make download URL for watermarkable file without projectId"}}
EOF
cat > "$A/error_not_found.json" <<EOF
{"error": {"type": "ResourceNotFound", "message": "\"$F\" could not be found", "details": {}}}
EOF
printf '<html><body>502 Bad Gateway\r\n</body></html>' > "$A/error_html.txt"

# ---- fuzz_countfile: <L><count bytes><name>, regions separated by NUL -----
K=$C/fuzz_countfile
python3 - "$K" <<'EOF'
import struct, sys
d = sys.argv[1]
def region(count, name, width=8):
    return bytes([width]) + count.to_bytes(8, "big")[8 - width:] + name
def write(fn, regions):
    open(f"{d}/{fn}", "wb").write(b"\0".join(regions))
write("chromosomes", [region(1200, b"chr1"), region(0, b"chr2"), region(77, b"chrM"),
                      region(5, b"HLA-DRB1*15:01:01:01"), region(3, b"chr1:100-200")])
write("one", [region(1, b"x", 1)])
write("overflow", [region(2**64 - 1, b"a"), region(1, b"b")])
write("bad_names", [region(1, b"ok"), region(2, b"line\nbreak"), region(3, b"")])
write("tab", [region(9, b"a\tb")])
write("many", [region(i * 1000003, b"ref%d" % i, 4) for i in range(300)])
EOF

# ---- fuzz_bam: small BAMs --------------------------------------------------
B=$C/fuzz_bam
# SAM text covering the hard cases: placed unmapped, pos -1 with a tid (the
# trap), past the end, secondary/supplementary/dup/QC-fail, unplaced, a
# deletion-only span, an N span, empty references, odd names.
cat > "$tmp/cases.sam" <<'EOF'
@HD	VN:1.6	SO:coordinate
@SQ	SN:chr1	LN:1000
@SQ	SN:chr1:100-200	LN:500
@SQ	SN:empty	LN:100
@SQ	SN:HLA-DRB1*15:01:01:01	LN:300
r1	0	chr1	1	60	4M	=	50	53	ACGT	IIII
r2	256	chr1	10	60	2M1D2M	*	0	0	ACGT	IIII
r3	2048	chr1	20	60	2S2M	*	0	0	ACGT	IIII
r4	1024	chr1	30	60	4M	*	0	0	ACGT	IIII
r5	512	chr1	40	60	2M100N2M	*	0	0	ACGT	IIII
r6	73	chr1	50	60	4M	=	50	0	ACGT	IIII
r6	133	chr1	50	0	*	=	50	0	ACGT	IIII
r7	0	chr1	998	60	4M	*	0	0	ACGT	IIII
r8	0	chr1	1200	60	4M	*	0	0	ACGT	IIII
s1	16	chr1:100-200	5	60	4M	*	0	0	ACGT	IIII
s2	0	HLA-DRB1*15:01:01:01	299	60	1M3I	*	0	0	ACGT	IIII
u1	4	*	0	0	*	*	0	0	ACGT	IIII
u2	4	*	0	0	*	*	0	0	*	*
EOF
cat > "$tmp/tiny.sam" <<'EOF'
@SQ	SN:a	LN:100
@SQ	SN:b	LN:100
x	0	a	1	60	2M	*	0	0	AC	II
y	0	b	5	60	2M	*	0	0	AC	II
EOF
printf '@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:only\tLN:10\n' > "$tmp/empty.sam"
printf '@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:a\tLN:10\nx\t0\ta\t5\t60\t1M\t*\t0\t0\tA\tI\ny\t0\ta\t1\t60\t1M\t*\t0\t0\tA\tI\n' > "$tmp/unsorted.sam"
for s in cases tiny empty unsorted; do
    # Compressed, as a BAM file is.
    samtools view -b -o "$B/$s.bam" "$tmp/$s.sam"
    # The decompressed stream: the harness wraps it in BGZF blocks itself.
    samtools view -u "$tmp/$s.sam" | gzip -dc > "$B/$s.raw"
done
# Many small blocks: records straddle blocks (stored deflate, 300-byte blocks
# are what the harness makes of .raw seeds; this one is made by samtools).
samtools view -b --output-fmt-option level=0 -o "$B/cases_level0.bam" "$tmp/cases.sam"
# Records of the generated trap, nosq and unplaced BAMs (decompressed, in
# binary: a SAM round trip would turn the mapped pos -1 records into
# unmapped ones): the header, every record at pos -1, and the first few
# others of each reference, in file order (so still sorted), a few kB.
if [ -x test/bin/gen_bam ]; then
    for p in trap nosq unplaced; do
        test/bin/gen_bam "$p" "$tmp/$p.bam" 2>/dev/null
        python3 - "$tmp/$p.bam" "$B/gen_$p.raw" <<'PY'
import gzip, struct, sys
d = gzip.decompress(open(sys.argv[1], "rb").read())
l_text, = struct.unpack_from("<i", d, 4)
o = 8 + l_text
n_ref, = struct.unpack_from("<i", d, o)
o += 4
for _ in range(n_ref):
    l_name, = struct.unpack_from("<i", d, o)
    o += 4 + l_name + 4
out, per_tid = [d[:o]], {}
while o < len(d):
    bs, tid, pos = struct.unpack_from("<iii", d, o)
    rec = d[o:o + 4 + bs]
    o += 4 + bs
    if pos == -1 or per_tid.get(tid, 0) < 3:
        per_tid[tid] = per_tid.get(tid, 0) + 1
        out.append(rec)
    if sum(map(len, out)) > 6000:
        break
open(sys.argv[2], "wb").write(b"".join(out))
PY
    done
fi
du -sh "$C"
