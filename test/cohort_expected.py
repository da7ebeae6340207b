#!/usr/bin/env python3
"""The reference counts matrix of several BAM or CRAM files, from samtools:
for each file what samtools_counts.py gives (one `samtools view` pass,
cross-checked against `samtools view -c` on a sample of the regions), as
one table "#chrom start end name <names...>".

Usage: cohort_expected.py --names A,B,... [--regions BED | --bin N]
           [-q INT] [-F FLAG] [--check K] FILE...
--check K: cross-check only the first K files with samtools view -c (the
one pass is the same code for all; hundreds of files need not each be
checked).
"""
import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import samtools_counts as sc  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("files", nargs="+")
    p.add_argument("--names", required=True)
    p.add_argument("--regions")
    p.add_argument("--bin", type=int)
    p.add_argument("-q", type=int, default=0)
    p.add_argument("-F")
    p.add_argument("--check", type=int, default=1 << 30)
    a = p.parse_args()
    names = a.names.split(",")
    if len(names) != len(a.files):
        sys.exit("cohort_expected.py: %d names for %d files" % (len(names), len(a.files)))
    a.f, a.F, a.G = 0, sc.parse_flag(a.F), 0
    a.sample, a.all = 10, False
    refs = sc.references(a.files[0])
    lengths = dict(refs)
    if a.regions:
        regions = sc.bed_regions(a.regions)
    elif a.bin:
        regions = sc.bin_regions(refs, a.bin)
    else:
        regions = [(name, 0, sc.HTS_POS_MAX, name) for name, _ in refs]

    def count(i):
        path = a.files[i]
        opts = []
        with open(path, "rb") as f:
            if f.read(4) == b"CRAM":
                opts = ["--input-fmt-option", "required_fields=0x3e"]
        # samtools_counts reads READ_OPTS globally; the files here are all
        # read the same way but for CRAM's option, which is harmless on BAM.
        sc.READ_OPTS[:] = ["--input-fmt-option", "required_fields=0x3e"]
        counts, unpositioned = sc.one_pass(path, regions, a)
        if i < a.check:
            sc.check(path, None, regions, counts, unpositioned, a)
        return counts

    with ThreadPoolExecutor(max_workers=2) as pool:
        columns = list(pool.map(count, range(len(a.files))))
    out = sys.stdout
    out.write("#chrom\tstart\tend\tname\t%s\n" % "\t".join(names))
    for k, (chrom, beg, end, name) in enumerate(regions):
        end = lengths[chrom] if end >= sc.HTS_POS_MAX else end
        out.write("%s\t%d\t%d\t%s\t%s\n" % (chrom, beg, end, name,
                                            "\t".join(str(c[k]) for c in columns)))


if __name__ == "__main__":
    main()
