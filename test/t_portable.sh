#!/bin/bash
# The built binary runs where none of its libraries are installed: in a
# chroot holding only glibc's own files, resources/ and a BAM.
. "$(dirname "$0")/lib.sh"
test/make_data.sh small

if [ "$(id -u)" -ne 0 ]; then
    fail "portable: chroot" "needs root"
    exit 0
fi
root=$OUT/root
mkdir -p "$root/data"
cp -a "$ROOT/resources/." "$root/"
# Only the C library's files, which every worker has (bundle-libs.sh leaves
# exactly these out).
for lib in $(ldd "$REGCOUNT" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/lib/ {print $1}'); do
    case $lib in
    */lib/regcount/*) ;;
    *) mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib" ;;
    esac
done
cp "$DATA/small.bam" "$DATA/small.bam.bai" "$root/data/"
found=$(find "$root" -name 'libhts*' -o -name 'libjansson*' -o -name 'libcurl*' | grep -v '/usr/lib/regcount/' | wc -l)
assert_eq "chroot has no system htslib, jansson or curl" 0 "$found"
# The loader finds $ORIGIN through /proc/self/exe, as on every worker.
mkdir -p "$root/proc"
if ! mount -t proc proc "$root/proc"; then
    fail "portable: chroot" "cannot mount /proc in the chroot"
    exit 0
fi
trap 'umount "$root/proc"; rm -rf "$OUT"' EXIT

assert_eq "no LD_LIBRARY_PATH" "" "${LD_LIBRARY_PATH:-}"
env -i "$(command -v chroot)" "$root" /usr/bin/regcount count --quiet -j 2 /data/small.bam /data/small.bam.bai > "$OUT/chroot.txt" 2> "$OUT/chroot.err"
assert_eq "regcount runs in the chroot" 0 $?
assert_same_file "chroot counts equal samtools" "$(expected_counts small)" "$OUT/chroot.txt"
# The job side (libcurl, jansson) works there too: a job whose platform
# cannot be reached retries, then reports it through job_error.json.
mkdir -p "$root/home"
echo '{"mappings_sorted_bam": {"$dnanexus_link": "file-0123456789ABCDEFGHIJKLMN"}}' > "$root/home/job_input.json"
env -i HOME=/home DX_SECURITY_CONTEXT='{"auth_token_type":"Bearer","auth_token":"x"}' \
    DX_APISERVER_PROTOCOL=http DX_APISERVER_HOST=127.0.0.1 DX_APISERVER_PORT=9 \
    REGCOUNT_API_BUDGET=1 REGCOUNT_RETRY_WAIT=0.05 "$(command -v chroot)" "$root" /usr/bin/regcount job main 2> /dev/null
assert_match "regcount job runs in the chroot and reports the unreachable API" \
    '"type": "AppInternalError".*POST /file-0123456789ABCDEFGHIJKLMN/describe: no answer: Couldn.t connect' \
    "$(tr -d '\n' < "$root/home/job_error.json")"
env -i "$(command -v chroot)" "$root" /usr/bin/regcount job --help > /dev/null
assert_eq "regcount job --help runs in the chroot" 0 $?
