#!/usr/bin/env python3
"""The reference count file for a BAM, built from samtools alone.

For each @SQ name in header order, runs `samtools view -c BAM '{name}'`
(braces so that a name with a colon is taken whole), several at a time, and
prints 'Region <name>: <count>' lines and 'Total reads: <sum>'.

Usage: samtools_counts.py BAM [BAI]
"""
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def names(bam):
    header = subprocess.run(["samtools", "view", "-H", bam], check=True,
                            capture_output=True, text=True).stdout
    for line in header.splitlines():
        fields = line.split("\t")
        if fields[0] == "@SQ":
            yield next(f[3:] for f in fields[1:] if f.startswith("SN:"))


def count(bam, bai, name):
    cmd = ["samtools", "view", "-c", bam, "{%s}" % name]
    if bai:
        cmd[3:3] = ["-X"]
        cmd.insert(5, bai)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return int(out)


def main():
    bam = sys.argv[1]
    bai = sys.argv[2] if len(sys.argv) > 2 else None
    regions = list(names(bam))
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(lambda n: count(bam, bai, n), regions))
    for name, n in zip(regions, counts):
        print("Region %s: %d" % (name, n))
    print("Total reads: %d" % sum(counts))


if __name__ == "__main__":
    main()
