#!/bin/sh
# Before the first compile: are the libraries' headers there? If not, say
# which Debian/Ubuntu packages hold them and how to get them, rather than
# let the compiler stop on htslib/sam.h. (dx build --remote installs them
# from runSpec.buildDepends in dxapp.json.)
# Usage: check-build-deps.sh CC
set -u
cc=${1:-cc}
if ! command -v "${cc%% *}" > /dev/null 2>&1; then
    echo "regcount: cannot build: no C compiler ($cc): apt-get install gcc make libc6-dev" >&2
    exit 1
fi
missing="" pkgs=""
for pair in htslib/sam.h:libhts-dev curl/curl.h:libcurl4-gnutls-dev jansson.h:libjansson-dev zlib.h:zlib1g-dev; do
    header=${pair%%:*} pkg=${pair#*:}
    if ! printf '#include <%s>\n' "$header" | $cc -E -x c - > /dev/null 2>&1; then
        missing="$missing $header" pkgs="$pkgs $pkg"
    fi
done
if [ -n "$missing" ]; then
    echo "regcount: cannot build: missing$missing (Debian/Ubuntu packages:$pkgs)." >&2
    echo "regcount: install them with: apt-get install$pkgs   (or, as root: make deps)" >&2
    exit 1
fi
exit 0
