#!/bin/sh
# Installs the Debian packages a make target needs, only those missing.
# Usage: test/deps.sh build|run|test|bench|fuzz ...
set -e
pkgs=""
for group in "$@"; do
    case $group in
    build) pkgs="$pkgs gcc make libc6-dev libhts-dev libcurl4-gnutls-dev libjansson-dev zlib1g-dev" ;;
    run)   pkgs="$pkgs python3" ;;
    test)  pkgs="$pkgs samtools python3 gzip openssl strace multiqc chromium python3-pil" ;;
    bench) pkgs="$pkgs samtools python3 libdeflate-dev parallel time bedtools mosdepth subread" ;;
    fuzz)  pkgs="$pkgs clang libclang-rt-14-dev" ;;
    *) echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
    esac
done
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing Debian packages:$missing (run as root, or install them)" >&2
    exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once if the install fails.
apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; }
