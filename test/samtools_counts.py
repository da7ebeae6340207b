#!/usr/bin/env python3
"""The reference counts for a BAM, from samtools: what `samtools view -c
[filters] BAM REGION` prints for every region.

One `samtools view [filters] BAM` pass decodes every record; each record's
span [pos, bam_endpos) is counted into every region it meets, by the rule
samtools' region iterator applies (an unmapped record, or one with no
reference-consuming CIGAR operation, covers one base). Then a sample of the
regions (the first and last, those that hold the records with no position,
and some at random; --all: every one) is counted again with one
`samtools view -c` each, and any difference is an error: the one pass
stands in for thousands of samtools processes only where samtools agrees.
An empty region (start = end) counts nothing.

Regions: the @SQ lines of the header (the default, each whole, in header
order), a BED file (--regions; a fourth column names the region), or bins
of N bases tiling every @SQ (--bin N).

Output: the count file ("Region <label>: <count>" lines, "Total reads:
<sum>"), or with --tsv the table "#chrom start end name count".

A CRAM is read the same way, decoding the fields that counting looks at
(flag, reference, position, MAPQ, CIGAR: required_fields=0x3e, which
samtools 1.17 and later set by themselves for view -c; htslib 1.16 cannot
rebuild the sequence of a read that runs past the end of a short reference,
with or without the reference); with -T FASTA, with its reference.

Usage: samtools_counts.py FILE [INDEX] [--regions BED | --bin N] [-T FASTA]
           [-q INT] [-f FLAG] [-F FLAG] [-G FLAG] [--tsv] [--sample N] [--all]
"""
import argparse
import bisect
import gzip
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

REF_OPS = set("MDN=X")
HTS_POS_MAX = (1 << 63) - 1


# Options for reading the file (-T FASTA for a CRAM with a reference).
READ_OPTS = []


def samtools(*args):
    return subprocess.run(["samtools", *args], check=True, capture_output=True,
                          text=True).stdout


def parse_flag(text):
    """A FLAG as samtools reads it (decimal, 0x-hex or names), by samtools."""
    if text is None:
        return 0
    return int(samtools("flags", text).split("\t")[1])


def references(bam):
    refs = []
    for line in samtools("view", "-H", bam).splitlines():
        f = line.split("\t")
        if f[0] == "@SQ":
            tags = dict(x.split(":", 1) for x in f[1:] if ":" in x)
            refs.append((tags["SN"], int(tags["LN"])))
    return refs


def label(chrom, beg, end):
    """samtools' notation for a region, braces around a name with a colon."""
    name = "{%s}" % chrom if ":" in chrom else chrom
    return "%s:%d-%d" % (name, beg + 1, end)


def bed_regions(path):
    opener = gzip.open if path.endswith(".gz") else open
    regions = []
    with opener(path, "rt") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line or line.startswith(("#", "track", "browser")):
                continue
            f = line.split("\t")
            beg, end = int(f[1]), int(f[2])
            name = f[3] if len(f) > 3 and f[3] else label(f[0], beg, end)
            regions.append((f[0], beg, end, name))
    return regions


def bin_regions(refs, size):
    return [(name, b, min(b + size, length), label(name, b, min(b + size, length)))
            for name, length in refs for b in range(0, length, size)]


def passes(flag, mapq, a):
    return (mapq >= a.q and flag & a.f == a.f and not flag & a.F
            and not (a.G and flag & a.G == a.G))


def records(bam, a):
    """(rname, beg, end, flag) of every record with a reference name."""
    p = subprocess.Popen(["samtools", "view", *READ_OPTS, bam], stdout=subprocess.PIPE,
                         text=True, bufsize=1 << 20)
    for line in p.stdout:
        f = line.split("\t", 6)
        if f[2] == "*":
            continue
        flag, mapq = int(f[1]), int(f[4])
        if not passes(flag, mapq, a):
            continue
        beg, rlen = int(f[3]) - 1, 0
        if not flag & 4 and f[5] != "*":
            n = 0
            for c in f[5]:
                if c.isdigit():
                    n = n * 10 + ord(c) - 48
                else:
                    if c in REF_OPS:
                        rlen += n
                    n = 0
        yield f[2], beg, beg + (rlen or 1), flag
    if p.wait() != 0:
        sys.exit("samtools view %s failed" % bam)


def one_pass(bam, regions, a):
    """Per region, the records whose span meets it, and the names of the
    references that hold records with no position."""
    by_ref = {}
    for i, (chrom, beg, end, _) in enumerate(regions):
        by_ref.setdefault(chrom, []).append((beg, end, i))
    index = {}
    for chrom, rs in by_ref.items():
        rs.sort()
        # The longest region so far, for the search back from a record's end.
        longest = max(e - b for b, e, _ in rs)
        index[chrom] = ([b for b, _, _ in rs], rs, longest)
    counts = [0] * len(regions)
    unpositioned = set()
    for chrom, beg, end, _ in records(bam, a):
        if beg < 0:
            unpositioned.add(chrom)
        if chrom not in index:
            continue
        begs, rs, longest = index[chrom]
        # Regions that start before the record's end, and may still reach it.
        hi = bisect.bisect_left(begs, end)
        lo = bisect.bisect_left(begs, beg - longest) if longest < HTS_POS_MAX else 0
        for k in range(lo, hi):
            b, e, i = rs[k]
            if e > beg and e > b:  # an empty region counts nothing, as for samtools
                counts[i] += 1
    return counts, unpositioned


def samtools_count(bam, bai, region, a):
    chrom, beg, end, _ = region
    where = "{%s}" % chrom if end >= HTS_POS_MAX else "{%s}:%d-%d" % (chrom, beg + 1, end)
    cmd = ["view", *READ_OPTS, "-c", "-q", str(a.q), "-f", str(a.f), "-F", str(a.F)]
    if a.G:
        cmd += ["-G", str(a.G)]
    cmd += ["-X", bam, bai, where] if bai else [bam, where]
    return int(samtools(*cmd))


def check(bam, bai, regions, counts, unpositioned, a):
    """Count a sample of the regions with samtools view -c; exit on a
    difference."""
    picks = set(range(min(3, len(regions)))) | set(range(max(0, len(regions) - 3), len(regions)))
    picks |= {i for i, r in enumerate(regions) if r[0] in unpositioned and r[1] < 1000}
    rng = random.Random(len(regions))
    picks |= set(rng.sample(range(len(regions)), min(a.sample, len(regions))))
    if a.all:
        picks = set(range(len(regions)))
    # An empty region counts nothing: samtools calls chrom:B+1-B an invalid
    # region and prints 0, except at the start, where chrom:1-0 reads as the
    # whole sequence; that one is left out of the check.
    picks = sorted(i for i in picks if not regions[i][1] == regions[i][2] == 0)
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda i: samtools_count(bam, bai, regions[i], a), picks))
    for i, n in zip(picks, got):
        if n != counts[i]:
            sys.exit("samtools_counts.py: %s, region %s: one pass counts %d, samtools view -c %d"
                     % (bam, regions[i][3], counts[i], n))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bam")
    p.add_argument("bai", nargs="?")
    p.add_argument("--regions")
    p.add_argument("--bin", type=int)
    p.add_argument("-q", type=int, default=0)
    p.add_argument("-f")
    p.add_argument("-F")
    p.add_argument("-G")
    p.add_argument("--tsv", action="store_true")
    p.add_argument("--sample", type=int, default=30)
    p.add_argument("--all", action="store_true")
    p.add_argument("-T", dest="reference")
    a = p.parse_args()
    with open(a.bam, "rb") as f:
        if f.read(4) == b"CRAM":
            READ_OPTS.extend(["--input-fmt-option", "required_fields=0x3e"])
    if a.reference:
        READ_OPTS.extend(["-T", a.reference])
    a.f, a.F, a.G = parse_flag(a.f), parse_flag(a.F), parse_flag(a.G)
    refs = references(a.bam)
    if a.regions:
        regions = bed_regions(a.regions)
    elif a.bin:
        regions = bin_regions(refs, a.bin)
    else:
        regions = [(name, 0, HTS_POS_MAX, name) for name, _ in refs]
    counts, unpositioned = one_pass(a.bam, regions, a)
    check(a.bam, a.bai, regions, counts, unpositioned, a)
    out = sys.stdout
    if a.tsv:
        out.write("#chrom\tstart\tend\tname\tcount\n")
        lengths = dict(refs)
        for (chrom, beg, end, name), n in zip(regions, counts):
            end = lengths[chrom] if end >= HTS_POS_MAX else end
            out.write("%s\t%d\t%d\t%s\t%d\n" % (chrom, beg, end, name, n))
    else:
        for r, n in zip(regions, counts):
            out.write("Region %s: %d\n" % (r[3], n))
        out.write("Total reads: %d\n" % sum(counts))


if __name__ == "__main__":
    main()
