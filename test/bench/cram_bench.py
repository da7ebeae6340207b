"""make bench, the rows of CRAM (issue 12): bench.py imports this.

The benchmark CRAM: the benchmark BAM written as CRAM 3.0 by samtools with
the reference its reads were drawn from (gen_bam bench --fasta), and its
CRAI, made once into test/data/bench/ and reused. A second one with small
containers (samtools' seqs_per_slice=300: tens of thousands of containers)
measures the index method against streaming in the job.

Rows:
  regcount scan (CRAM)        regcount count -j N CRAM CRAI
  careful htslib loop, N / 1  cram_loop N CRAM: one process, htslib's thread
                              pool with N threads (1: none), the same
                              required fields, sam_read1 (test/bench/cram_loop.c;
                              what samtools 1.17 and later do for view -c)
  samtools view -c -@N        samtools 1.16, which decodes every field
                              (with -T, the reference)
  regcount index (CRAM)       regcount count -m index CRAM CRAI; its log
                              says how many bytes it read
  job rows                    the applet in the emulator on the CRAM: streaming,
                              and count_method=index, on the benchmark CRAM and
                              on the one with small containers
Every regcount row's count file must equal regcount scan's on the BAM.
"""
import os
import re
import subprocess
from pathlib import Path

SMALL_CONTAINERS = 300  # seqs_per_slice of the CRAM with many containers


def make_cram(data, gen_bam, bam, mb, cores, seqs_per_slice=None):
    """data/bench-MB[-sSEQS].cram, its CRAI, and the reference FASTA (with
    .fai) they need, made once."""
    ref = data / f"bench-{mb}.fa"
    if not (ref.exists() and Path(f"{ref}.fai").exists()):
        print(f"writing {ref.name}, the reference of the benchmark reads", flush=True)
        tmp = data / f"bench-{mb}.tmp.fa"
        subprocess.run([str(gen_bam), "bench", "/dev/null", "--size-mb", str(mb), "--fasta",
                        str(tmp)], check=True, stderr=subprocess.DEVNULL)
        subprocess.run(["samtools", "faidx", str(tmp)], check=True)
        os.replace(f"{tmp}.fai", f"{ref}.fai")
        os.replace(tmp, ref)
    suffix = f"-s{seqs_per_slice}" if seqs_per_slice else ""
    cram = data / f"bench-{mb}{suffix}.cram"
    if not (cram.exists() and Path(f"{cram}.crai").exists()):
        print(f"writing {cram.name} with samtools", flush=True)
        tmp = data / f"bench-{mb}{suffix}.tmp.cram"
        fmt = "cram,version=3.0" + (f",seqs_per_slice={seqs_per_slice}" if seqs_per_slice else "")
        subprocess.run(["samtools", "view", "-@", str(cores), "--output-fmt", fmt, "-T", str(ref),
                        "-o", str(tmp), str(bam)], check=True)
        subprocess.run(["samtools", "index", str(tmp)], check=True)
        os.replace(f"{tmp}.crai", f"{cram}.crai")
        os.replace(tmp, cram)
    return cram, Path(f"{cram}.crai"), ref


def containers(crai):
    out = subprocess.run(["gzip", "-dc", str(crai)], check=True, capture_output=True,
                         text=True).stdout
    return len({line.split("\t")[3] for line in out.splitlines() if line.strip()})


def cram_methods(cfg, bam, data, scratch, tools, measure, Method, emu):
    n = cfg.cores
    counts = scratch / "counts"
    cram, crai, ref = make_cram(data, tools["gen_bam"], bam, cfg.mb, n)
    many, many_crai, _ = make_cram(data, tools["gen_bam"], bam, cfg.mb, n, SMALL_CONTAINERS)
    regcount, loop = tools["regcount"], tools["cram_loop"]
    index_log = scratch / "cram-index.log"

    def index(sample):
        with open(index_log, "w") as err:
            return measure([regcount, "count", "-m", "index", "-o", counts / "cram-index.txt", cram,
                            crai], sample, stderr=err)

    def job(name, what, inputs):
        return lambda sample: emu.run(what[0], what[1], inputs, counts / name, sample)

    return [
        Method("cram", "regcount scan (CRAM)", "regcount count -j N -o F CRAM CRAI",
               lambda sample: measure([regcount, "count", "--quiet", "-j", n, "-o",
                                       counts / "cram.txt", cram, crai], sample),
               counts / "cram.txt"),
        Method("cram_loop", "careful htslib loop, N threads", "cram_loop N CRAM",
               lambda sample: measure([loop, n, cram], sample)),
        Method("cram_loop1", "careful htslib loop, 1 thread", "cram_loop 1 CRAM",
               lambda sample: measure([loop, 1, cram], sample)),
        Method("cram_samtools", "samtools view -c -@N (CRAM)", "samtools view -c -@ N -T REF CRAM",
               lambda sample: measure(["samtools", "view", "-c", "-@", n, "-T", ref, cram], sample)),
        Method("cram_index", "regcount index (CRAM)", "regcount count -m index -o F CRAM CRAI",
               index, counts / "cram-index.txt"),
        Method("cram_stream", "job: streaming (CRAM)", f"dxemu run ... (CRAM) --rate {cfg.rate}",
               job("cram-stream.txt", (cram, crai), []), counts / "cram-stream.txt"),
        Method("cram_index_job", "job: count_method=index (CRAM)",
               f"dxemu run ... (CRAM) -i count_method=index --rate {cfg.rate}",
               job("cram-index-job.txt", (cram, crai), ["count_method=index"]),
               counts / "cram-index-job.txt"),
        Method("many_stream", f"job: streaming (CRAM, {containers(many_crai)} containers)",
               f"dxemu run ... (CRAM, seqs_per_slice={SMALL_CONTAINERS}) --rate {cfg.rate}",
               job("many-stream.txt", (many, many_crai), []), counts / "many-stream.txt"),
        Method("many_index_job", f"job: count_method=index (CRAM, {containers(many_crai)} containers)",
               f"dxemu run ... (CRAM, seqs_per_slice={SMALL_CONTAINERS}) -i count_method=index "
               f"--rate {cfg.rate}",
               job("many-index-job.txt", (many, many_crai), ["count_method=index"]),
               counts / "many-index-job.txt"),
    ], {"cram": cram, "many": many, "index_log": index_log}


def cram_target_lines(by, target, files):
    if "cram" not in by:
        return []
    scan = by["cram"].median("wall")
    lines = []
    if "cram_loop" in by:
        loop = by["cram_loop"].median("wall")
        lines.append(target(scan <= loop, f"regcount scan (CRAM) {scan:.2f} s <= careful htslib loop "
                            f"with N threads {loop:.2f} s (ratio {scan / loop:.3f}; aim 0.9)"))
    if "cram_samtools" in by:
        st = by["cram_samtools"].median("wall")
        lines.append(f"- regcount scan (CRAM) {scan:.2f} s vs samtools 1.16 view -c -@N {st:.2f} s "
                     f"(ratio {scan / st:.3f})")
    if "cram_index" in by:
        t = by["cram_index"].median("wall")
        size = files["cram"].stat().st_size
        text = files["index_log"].read_text() if files["index_log"].exists() else ""
        m = re.search(r"index: (\d+) container headers read \(([^)]*)\), (\d+) containers decoded "
                      r"\(([^)]*)\)", text)
        read = f"{m.group(1)} headers ({m.group(2)}) and {m.group(3)} containers ({m.group(4)})" \
            if m else "?"
        lines.append(target(t <= 1.0, f"regcount index (CRAM) {t:.3f} s <= 1 s, exact (its count "
                            f"file equals scan's); read {read} of {size} bytes"))
    for a, b in (("cram_index_job", "cram_stream"), ("many_index_job", "many_stream")):
        if a in by and b in by:
            ta, tb = by[a].median("wall"), by[b].median("wall")
            lines.append(f"- {by[a].label} {ta:.2f} s vs {by[b].label} {tb:.2f} s "
                         f"(ratio {ta / tb:.3f})")
    return lines
