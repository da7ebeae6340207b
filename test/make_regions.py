#!/usr/bin/env python3
"""BED files of hard cases for a BAM, deterministically.

  make_regions.py BAM OUT.bed [--random N] [--seed S] [--split J ...]

Per reference sequence: regions at its start ([0, 1), [0, 100)), at its
end ([len-1, len), [len-100, len)), running past it ([len-50, len+500))
and wholly past it ([len, len+1000)). From the records (one samtools view
pass): 1-base regions at read starts, regions across a read's start and
end, regions inside the deletions and N-skips of long reads, regions at
the positions of placed unmapped reads and of the records without a
position. With --split J: regions that begin just after each split point
of `regcount plan -j J` (reads of the part before reach into them).
Overlapping, nested and repeated regions; an empty one (start = end);
names on some lines (one with a space), none on others; and N random
intervals of 100 to 300 bp. The lines come shuffled: regions come in any
order.
"""
import argparse
import random
import re
import subprocess
import sys

CIGAR = re.compile(r"(\d+)([MIDNSHP=X])")


def refs(bam):
    out = []
    for line in subprocess.run(["samtools", "view", "-H", bam], check=True, capture_output=True,
                               text=True).stdout.splitlines():
        f = line.split("\t")
        if f[0] == "@SQ":
            tags = dict(x.split(":", 1) for x in f[1:] if ":" in x)
            out.append((tags["SN"], int(tags["LN"])))
    return out


def interesting_records(bam, rng):
    """(chrom, pos0, end0, kind) for a sample of records and every hard case."""
    picked = []
    p = subprocess.Popen(["samtools", "view", bam], stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        f = line.split("\t", 7)
        if f[2] == "*":
            continue
        flag, pos = int(f[1]), int(f[3]) - 1
        ops = CIGAR.findall(f[5]) if f[5] != "*" else []
        rlen = sum(int(n) for n, op in ops if op in "MDN=X") if not flag & 4 else 0
        end = pos + (rlen or 1)
        if pos < 0:
            picked.append((f[2], pos, end, "unpositioned"))
        elif flag & 4:
            if rng.random() < 0.2:
                picked.append((f[2], pos, end, "unmapped"))
        elif any(op in "DN" and int(n) >= 1000 for n, op in ops):
            at = pos
            for n, op in ops:
                n = int(n)
                if op in "DN" and n >= 1000:
                    picked.append((f[2], at + n // 3, at + n // 3 + 10, "gap"))
                if op in "MDN=X":
                    at += n
        elif rng.random() < 0.002:
            picked.append((f[2], pos, end, "read"))
    p.wait()
    return picked


def split_points(bam, jobs, regcount):
    points = []
    for j in jobs:
        out = subprocess.run([regcount, "plan", "-j", str(j), bam], capture_output=True,
                             text=True).stdout
        for m in re.finditer(r"from position (\d+) of (.+) \(\d+ bytes\)", out):
            points.append((m.group(2), int(m.group(1)) - 1))
    return points


def main():
    a = argparse.ArgumentParser()
    a.add_argument("bam")
    a.add_argument("out")
    a.add_argument("--random", type=int, default=0)
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--split", type=int, nargs="*", default=[])
    a.add_argument("--regcount", default="resources/usr/bin/regcount")
    o = a.parse_args()
    rng = random.Random(o.seed)
    lines = []

    def add(chrom, beg, end, name=None):
        beg, end = max(0, beg), max(0, end)
        if end < beg:
            beg, end = end, beg
        lines.append([chrom, str(beg), str(end)] + ([name] if name is not None else []))

    sequences = refs(o.bam)
    for chrom, n in sequences:
        add(chrom, 0, 1)
        add(chrom, 0, 100, "start of %s" % chrom)
        add(chrom, n - 1, n)
        add(chrom, n - 100, n)
        add(chrom, n - 50, n + 500)
        add(chrom, n, n + 1000)
    for chrom, beg, end, kind in interesting_records(o.bam, rng):
        if kind == "gap":
            add(chrom, beg, end, "inside a gap")
            continue
        add(chrom, beg, beg + 1)             # 1 base at its start
        add(chrom, beg - 5, beg + 5)         # across its start
        add(chrom, end - 1, end)             # its last base
        add(chrom, end, end + 10)            # just past it: not met
        add(chrom, beg, end, "%s %d" % (kind, beg))  # exactly its span
        add(chrom, beg - 20, end + 20)       # around it
        add(chrom, beg + 1, beg + 1)         # empty
    for chrom, pos in split_points(o.bam, o.split, o.regcount):
        add(chrom, pos, pos + 1)
        add(chrom, pos + 1, pos + 200, "after a split")
        add(chrom, pos - 100, pos)
    for _ in range(o.random):
        chrom, n = rng.choice(sequences)
        if n < 2:
            continue
        beg = rng.randrange(n)
        add(chrom, beg, beg + rng.randint(100, 300))
    # Repeated, nested and overlapping regions.
    for line in rng.sample(lines, min(len(lines), 30)):
        lines.append(list(line))
        beg, end = int(line[1]), int(line[2])
        add(line[0], beg + (end - beg) // 4, end - (end - beg) // 4)
        add(line[0], (beg + end) // 2, end + 50)
    rng.shuffle(lines)
    with open(o.out, "w") as f:
        f.write("# hard-case regions of %s\ntrack name=regcount\n" % o.bam)
        for line in lines:
            f.write("\t".join(line) + "\n")


if __name__ == "__main__":
    sys.exit(main())
