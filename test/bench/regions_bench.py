"""make bench, the rows of regions, bins and filters (issue 11), and the
peers that count reads in intervals: bench.py imports this.

The intervals: EXOME_INTERVALS exome-like intervals of 100 to 300 bp on
the benchmark BAM's chromosomes, grouped in genes (5 to 20 exons 200 bp to
5 kb apart), about 1 in 10 overlapping the one before, in shuffled order:
test/out/bench/exome.bed (and exome.saf, exome.sorted.bed for the peers
that need them sorted or in SAF).

Each peer runs with the options that come closest to regcount's count (a
read counts in every interval its span meets, no read left out):
  samtools bedcov -c -g UNMAP,SECONDARY,QCFAIL,DUP   counts reads in the
      pileup of each interval, so a read whose deletion or N-skip spans it
      is not counted; it still drops unmapped reads (-g cannot put them back)
  bedtools multicov -D -F -q 0 -split                 leaves out unmapped
      and, with -split, counts a spliced read only where its blocks meet
  mosdepth -n -x -F 0 --by                            mean depth per interval,
      not a count (users ask for counts: mosdepth issues 23 and 148); -x
      (fast mode) takes a read's span from its start to its end
  featureCounts -F SAF -p -O -M                       counts each read once per
      interval it overlaps (-O), secondary alignments included (-M); leaves
      out unmapped reads; -p (paired data, which it refuses without it) with no
      --countReadPairs counts reads, not fragments
"""
import random
import subprocess
import sys

EXOME_INTERVALS = 200_000
AUTOSOMES = ["chr%d" % i for i in range(1, 23)] + ["chrX", "chrY"]


def write_exome(bam, out, out_sorted, out_saf, n=EXOME_INTERVALS, seed=11):
    lengths = {}
    for line in subprocess.run(["samtools", "view", "-H", str(bam)], check=True,
                               capture_output=True, text=True).stdout.splitlines():
        f = line.split("\t")
        if f[0] == "@SQ":
            tags = dict(x.split(":", 1) for x in f[1:] if ":" in x)
            lengths[tags["SN"]] = int(tags["LN"])
    chroms = [c for c in AUTOSOMES if c in lengths]
    total = sum(lengths[c] for c in chroms)
    rng = random.Random(seed)
    rows = []
    while len(rows) < n:
        # A gene: a chromosome by its length, then its exons.
        x = rng.randrange(total)
        for chrom in chroms:
            if x < lengths[chrom]:
                break
            x -= lengths[chrom]
        at = x
        for k in range(rng.randint(5, 20)):
            size = rng.randint(100, 300)
            beg = at if rng.random() > 0.1 or not rows else max(0, at - rng.randint(10, 90))
            if beg + size > lengths[chrom]:
                break
            rows.append((chrom, beg, beg + size, "exon%d" % len(rows)))
            at = beg + size + rng.randint(200, 5000)
    rows = rows[:n]
    rng.shuffle(rows)
    with open(out, "w") as f:
        f.writelines("%s\t%d\t%d\t%s\n" % r for r in rows)
    order = {c: i for i, c in enumerate(lengths)}
    rows.sort(key=lambda r: (order[r[0]], r[1], r[2]))
    with open(out_sorted, "w") as f:
        f.writelines("%s\t%d\t%d\t%s\n" % r for r in rows)
    with open(out_saf, "w") as f:
        f.write("GeneID\tChr\tStart\tEnd\tStrand\n")
        f.writelines("%s\t%s\t%d\t%d\t+\n" % (r[3], r[0], r[1] + 1, r[2]) for r in rows)


def region_methods(cfg, bam, bai, scratch, regcount, measure, Method):
    """The rows: regcount with bins, intervals and filters, then the peers
    on the same intervals."""
    n = cfg.cores
    counts = scratch / "counts"
    bed, sorted_bed, saf = scratch / "exome.bed", scratch / "exome.sorted.bed", scratch / "exome.saf"
    write_exome(bam, bed, sorted_bed, saf)

    def regcount_run(args, name):
        return lambda sample: measure([regcount, "count", "--quiet", "-j", n, *args, "-o",
                                       counts / name, bam, bai], sample)

    def to_file(cmd, path):
        def run(sample):
            with open(path, "w") as out:
                return measure(cmd, sample, stdout=out)
        return run

    mosdepth_prefix = scratch / "mosdepth"
    return [
        Method("bins", "regcount --bin 1000", "regcount count -j N --bin 1000 -o F BAM BAI",
               regcount_run(["--bin", "1000"], "bins.txt")),
        Method("exome", f"regcount -b exome ({EXOME_INTERVALS} intervals)",
               "regcount count -j N -b exome.bed -o F BAM BAI",
               regcount_run(["-b", bed], "exome.txt")),
        Method("filtered", "regcount -q 20 -F 0x904", "regcount count -j N -q 20 -F 0x904 -o F BAM BAI",
               regcount_run(["-q", "20", "-F", "0x904"], "filtered.txt")),
        Method("bedcov", "samtools bedcov -c (exome)",
               "samtools bedcov -c -g UNMAP,SECONDARY,QCFAIL,DUP exome.bed BAM",
               to_file(["samtools", "bedcov", "-c", "-g", "UNMAP,SECONDARY,QCFAIL,DUP", bed, bam],
                       counts / "bedcov.txt")),
        Method("multicov", "bedtools multicov (exome)",
               "bedtools multicov -D -F -q 0 -split -bams BAM -bed exome.sorted.bed",
               to_file(["bedtools", "multicov", "-D", "-F", "-q", "0", "-split", "-bams", bam,
                        "-bed", sorted_bed], counts / "multicov.txt")),
        Method("mosdepth", "mosdepth --by (exome; depth)",
               "mosdepth -t N -n -x -F 0 --by exome.bed PREFIX BAM",
               lambda sample: measure(["mosdepth", "-t", n, "-n", "-x", "-F", "0", "--by", bed,
                                       mosdepth_prefix, bam], sample)),
        Method("featurecounts", "featureCounts -p -O -M (exome)",
               "featureCounts -T N -F SAF -a exome.saf -p -O -M -o F BAM",
               lambda sample: measure(["featureCounts", "-T", n, "-F", "SAF", "-a", saf, "-p", "-O", "-M",
                                       "-o", counts / "featurecounts.txt", bam], sample,
                                      stderr=subprocess.DEVNULL)),
    ]


def region_target_lines(by, target):
    bound = by["bound"].median("wall")
    lines = []
    for key, limit in [k for k in (("bins", 1.15), ("exome", 1.10), ("filtered", 1.05)) if k[0] in by]:
        t = by[key].median("wall")
        lines.append(target(t <= limit * bound,
                            f"{by[key].label} {t:.2f} s <= {limit:.2f} x bound {bound:.2f} s = "
                            f"{limit * bound:.2f} s (ratio {t / bound:.3f})"))
    if "exome" not in by:
        return lines
    exome = by["exome"].median("wall")
    for key in [k for k in ("bedcov", "multicov", "mosdepth", "featurecounts") if k in by]:
        t = by[key].median("wall")
        lines.append(target(exome < t, f"regcount -b exome {exome:.2f} s < {by[key].label} "
                            f"{t:.2f} s (ratio {exome / t:.3f})"))
    return lines


if __name__ == "__main__":
    write_exome(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4])
