#!/bin/sh
# Copies the shared libraries a binary needs, except the C library itself,
# into a directory beside it (the binary's rpath points there), so that it
# runs on a worker that has none of them installed.
# Usage: bundle-libs.sh BINARY LIBDIR
set -eu
bin=$1 libdir=$2
mkdir -p "$libdir"
rm -f "$libdir"/*.so*
# glibc's own libraries come with every Linux system and must match its
# loader, so they stay out.
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
    case $(basename "$lib") in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|ld-linux*) ;;
    *) cp -L "$lib" "$libdir/" ;;
    esac
done
