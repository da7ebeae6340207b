#!/usr/bin/env python3
"""make bench: regcount against the other ways to count reads per reference
sequence, on one generated human-like BAM (see test/bench/README.md).

Usage: python3 test/bench/bench.py [--mb MB] [--runs N] [--rate BYTES_PER_SEC]
       (defaults from BENCH_MB, RUNS, BENCH_RATE; make bench passes them)

Every method runs once untimed (the warm-up, which fills the page cache) and
then --runs times. For each run:
  wall  the elapsed time of the command, from fork to reaping it;
  CPU   user + sys of the whole process tree (the rusage os.wait4 returns,
        which includes every descendant that was reaped in the tree); for the
        emulator rows, the job's processes only, as the entry-script wrapper
        records them with bash's `times`;
  peak  the largest sum, over the tree's processes, of PSS from
        /proc/PID/smaps_rollup, sampled every 20 ms (PSS: pages shared by
        forked workers are split between them, not counted twice); for the
        emulator rows, the emulator's descendants only (the jobs), not its
        own Python server.
The table shows the median wall and CPU over the runs and the largest peak.
Every method that produces a count file must produce exactly regcount scan's
(byte for byte), in every run, or the benchmark stops with status 1.

Output: the table and the targets on stdout, and the same as markdown in
test/out/bench.md. Scratch files (count files, emulator states, job logs) go
to test/out/bench/.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
import regions_bench  # noqa: E402  (the rows of regions, bins, filters and peers)
import cram_bench  # noqa: E402  (the rows of CRAM)

ROOT = Path(__file__).resolve().parents[2]
REGCOUNT = ROOT / "resources/usr/bin/regcount"
GEN_BAM = ROOT / "test/bin/gen_bam"
INFLATE_BOUND = ROOT / "test/bin/inflate_bound"
CRAM_LOOP = ROOT / "test/bin/cram_loop"
TUTORIAL = ROOT / "test/bench/tutorial_pool.py"
DXEMU = ROOT / "test/emulator/dxemu.py"
# The applet's entry script; snapshot_build() points this and REGCOUNT at a copy.
ENTRY_SCRIPT = ROOT / "src/regcount.sh"
DATA = ROOT / "test/data/bench"
SCRATCH = ROOT / "test/out/bench"
REPORT = ROOT / "test/out/bench.md"

DEFAULT_MB = 1024
DEFAULT_RUNS = 3
# 16 MiB/s per storage connection: see "Choice of BENCH_RATE" in README.md.
DEFAULT_RATE = 16 << 20
# Storage connections per streaming worker (regcount's REGCOUNT_CONNECTIONS
# default); the job runs one worker per core.
CONNECTIONS_PER_WORKER = 4
SAMPLE_SECONDS = 0.02
MB, MIB = 1000 * 1000, 1 << 20
# A run during which the rest of the machine used more than this share of
# it (in user space) is done again, at most RETRIES times; runs shorter than
# MIN_JUDGED seconds are not judged (/proc/stat counts in 10 ms ticks).
OTHER_LIMIT = 0.10
RETRIES = 3
MIN_JUDGED = 1.0
# A method whose warm-up takes longer than this many seconds (the tutorial's
# pool and GNU parallel on a large BAM) is not run again: the warm-up, with
# its memory sampler, is its only run.
SLOW_SECONDS = 60
# Seconds measure() may wait for the rest of the machine to be quiet before
# each run (BENCH_QUIET_WAIT; 0: do not wait). Set once by main().
QUIET_WAIT = 120


# ---- configuration and the machine -------------------------------------

@dataclass
class Config:
    mb: int
    runs: int
    rate: int
    cores: int
    quiet_wait: int

    @property
    def command_line(self):
        return f"make bench BENCH_MB={self.mb} RUNS={self.runs} BENCH_RATE={self.rate}"


def parse_args():
    env = os.environ
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=int(env.get("BENCH_MB") or DEFAULT_MB),
                    help="size of the benchmark BAM in MB [BENCH_MB or 1024]")
    ap.add_argument("--runs", type=int, default=int(env.get("RUNS") or DEFAULT_RUNS),
                    help="timed runs per method, after one warm-up [RUNS or 3]")
    ap.add_argument("--rate", type=int, default=int(env.get("BENCH_RATE") or DEFAULT_RATE),
                    help="bytes/s per storage connection in the emulator [BENCH_RATE or 16 MiB/s]")
    ap.add_argument("--sweep", metavar="RATE,RATE,...",
                    help="instead of the benchmark, one streaming job per rate (bytes/s per "
                         "connection): how the job and the emulator fare")
    a = ap.parse_args()
    sweep = [int(r) for r in a.sweep.split(",")] if a.sweep else []
    if a.mb < 4 or a.runs < 1 or a.rate < 1 or any(r < 1 for r in sweep):
        ap.error("--mb must be at least 4, --runs and the rates at least 1")
    return Config(a.mb, a.runs, a.rate, os.sysconf("SC_NPROCESSORS_ONLN"),
                  int(env.get("BENCH_QUIET_WAIT") or "120")), sweep


def first_line(cmd):
    """The first line a command prints, or '?' if it cannot run."""
    try:
        out = subprocess.run(cmd, capture_output=True, check=False).stdout.decode(errors="replace")
        return out.splitlines()[0].strip() if out.strip() else "?"
    except OSError:
        return "?"


def machine_lines(cfg):
    """What the numbers depend on: CPU, cores, RAM, kernel, tool versions."""
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
    os_name = "?"
    if os.path.exists("/etc/os-release"):
        m = re.search(r'PRETTY_NAME="?([^"\n]*)', open("/etc/os-release").read())
        os_name = m.group(1) if m else "?"
    sam = subprocess.run(["samtools", "--version"], capture_output=True).stdout
    sam = sam.decode(errors="replace").splitlines()
    deflate = first_line(["dpkg-query", "-W", "-f", "${Version}\n", "libdeflate-dev"])
    commit = first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    changed = first_line(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    return [
        f"CPU: {cpu}, {cfg.cores} online cores; RAM {mem_kib / (1 << 20):.1f} GiB",
        f"OS: {os_name}, kernel {platform.release()}",
        f"Tools: {sam[0] if sam else 'samtools ?'}, {sam[1] if len(sam) > 1 else 'htslib ?'}, "
        f"libdeflate {deflate}, {first_line(['parallel', '--version'])}, "
        f"Python {platform.python_version()}",
        f"regcount: {first_line([str(REGCOUNT), '--version'])}, commit {commit}"
        + (" with uncommitted changes" if changed != "?" else ""),
        f"Command: {cfg.command_line}",
    ]


# ---- measuring a process tree ------------------------------------------

class ProcTable:
    """Parent of every process, read from /proc/PID/stat once per PID (a
    parent only changes when it dies, and then the child is no longer in
    the tree we measure anyway)."""

    def __init__(self):
        self.parent = {}

    def refresh(self):
        pids = {int(p) for p in os.listdir("/proc") if p.isdigit()}
        for gone in self.parent.keys() - pids:
            del self.parent[gone]
        for pid in pids - self.parent.keys():
            try:
                with open(f"/proc/{pid}/stat", "rb") as f:
                    stat = f.read()
                self.parent[pid] = int(stat[stat.rindex(b")") + 2:].split()[1])
            except (OSError, ValueError):
                pass

    def descendants(self, root):
        """Every process below root (not root itself)."""
        children = {}
        for pid, ppid in self.parent.items():
            children.setdefault(ppid, []).append(pid)
        found, todo = [], list(children.get(root, []))
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found


def pss_kib(pid):
    """The PSS of one process in KiB (0 if it has just gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            m = re.search(rb"\nPss:\s+(\d+) kB", f.read())
        return int(m.group(1)) if m else 0
    except OSError:
        return 0


class TreeSampler(threading.Thread):
    """Samples the PSS of a process tree every SAMPLE_SECONDS; keeps the peak."""

    def __init__(self, root, include_root):
        super().__init__(daemon=True)
        self.root, self.include_root = root, include_root
        self.peak_kib = 0
        self.samples = 0
        self.done = threading.Event()
        self.table = ProcTable()

    def run(self):
        while not self.done.is_set():
            self.table.refresh()
            pids = self.table.descendants(self.root)
            if self.include_root:
                pids.append(self.root)
            self.peak_kib = max(self.peak_kib, sum(pss_kib(p) for p in pids))
            self.samples += 1
            self.done.wait(SAMPLE_SECONDS)

    def stop(self):
        self.done.set()
        self.join()


@dataclass
class Run:
    """One measured run of one method."""
    wall: float
    cpu: float  # user + sys of the measured tree, seconds
    peak_kib: int
    other_cpu: float = 0.0  # user CPU time of the rest of the machine meanwhile
    steal: float = 0.0  # CPU time the hypervisor took from this machine meanwhile
    notes: Dict[str, float] = field(default_factory=dict)


def machine_times():
    """(user, steal, idle): CPU seconds all cores have spent in user space,
    that the hypervisor has stolen, and idle, since boot (/proc/stat).
    Other load is judged on user time only: much of a run's own kernel work
    (loopback TCP in softirqs, writeback in kworkers) is charged to no
    process of its tree."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    return (ticks[0] + ticks[1]) / hz, ticks[7] / hz, (ticks[3] + ticks[4]) / hz


def own_user_seconds():
    """User CPU seconds of this process (the sampler thread included)."""
    return os.times().user


def wait_for_quiet(max_wait):
    """Wait (up to max_wait seconds) for a second in which the rest of the
    machine used less than 10% of one core in user space: other people's
    tests and fuzzers on a small machine would otherwise be measured with
    us."""
    deadline = time.monotonic() + max_wait
    while True:
        user, own = machine_times()[0], own_user_seconds()
        time.sleep(1.0)
        if machine_times()[0] - user - (own_user_seconds() - own) < 0.10 or \
                time.monotonic() > deadline:
            return


def measure(cmd, sample=False, stdout=subprocess.DEVNULL, stderr=None, include_root=True):
    """Run cmd; its wall time, the CPU time of its reaped tree, the user CPU
    time the rest of the machine used meanwhile, and if sample, the peak PSS
    of its tree (without the root process itself unless include_root).
    Raises RuntimeError if it fails."""
    if QUIET_WAIT > 0:
        wait_for_quiet(QUIET_WAIT)
    err = stderr if stderr is not None else subprocess.PIPE
    (user0, steal0, idle0), own0 = machine_times(), os.times()
    start = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], stdout=stdout, stderr=err)
    sampler = TreeSampler(proc.pid, include_root) if sample else None
    if sampler:
        sampler.start()
    # Drain a piped stderr while waiting, so that a chatty command cannot block.
    messages = []
    if err is subprocess.PIPE:
        drain = threading.Thread(target=lambda: messages.append(proc.stderr.read()), daemon=True)
        drain.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if sampler:
        sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if err is subprocess.PIPE:
        drain.join()
        proc.stderr.close()
    if proc.returncode != 0:
        text = b"".join(messages).decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited with status {proc.returncode}\n{text}")
    (user1, steal1, idle1), own1 = machine_times(), os.times()
    other = user1 - user0 - usage.ru_utime - (own1.user - own0.user)
    own = own1.user + own1.system - own0.user - own0.system
    return Run(wall, usage.ru_utime + usage.ru_stime, sampler.peak_kib if sampler else 0,
               max(other, 0.0),
               steal1 - steal0, {"bench_cpu": own, "idle": idle1 - idle0})


# ---- the benchmark BAMs -------------------------------------------------

def bench_bam(mb):
    """test/data/bench/bench-MB.bam and its BAI, generated once (into
    temporary names, renamed when complete) and then reused."""
    bam = DATA / f"bench-{mb}.bam"
    bai = Path(f"{bam}.bai")
    if bam.exists() and bai.exists():
        return bam, bai
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = DATA / f"bench-{mb}.tmp.bam"
    print(f"generating {bam.relative_to(ROOT)} ({mb} MB; about a minute per GB)", flush=True)
    subprocess.run([str(GEN_BAM), "bench", str(tmp), "--size-mb", str(mb), "--index"], check=True,
                   stderr=subprocess.DEVNULL)
    os.replace(tmp, bam)
    os.replace(f"{tmp}.bai", bai)
    return bam, bai


def sq_names(bam):
    header = subprocess.check_output(["samtools", "view", "-H", str(bam)], text=True)
    return [f[3:] for line in header.splitlines() if line.startswith("@SQ\t")
            for f in line.split("\t")[1:] if f.startswith("SN:")]


# ---- the methods --------------------------------------------------------

@dataclass
class Method:
    """One row: how to run it once, and the count file a run writes (None
    for the methods that do not count the same thing)."""
    key: str
    label: str
    command: str  # for the reader; BAM, BAI, N stand for the paths and cores
    run_once: Callable[[bool], Run]  # run_once(sample): one run, sampling memory or not
    counts: Optional[Path] = None
    warmup: Optional[Run] = None  # the untimed run, the one that samples memory
    runs: List[Run] = field(default_factory=list)
    redone: int = 0  # runs done again because the machine was busy
    slow: bool = False  # the warm-up was the only run (slower than SLOW_SECONDS)

    def median(self, attr):
        return statistics.median(getattr(r, attr) for r in self.runs)

    def median_note(self, name):
        values = [r.notes[name] for r in self.runs if name in r.notes]
        return statistics.median(values) if values else None

    def load_text(self, cores):
        """The median share of the machine the rest of it used (user space)
        and the hypervisor stole during a run: "1% / 7%"; "-" for runs too
        short to tell."""
        if self.median("wall") < MIN_JUDGED:
            return "-"
        other = statistics.median(r.other_cpu / (cores * r.wall) for r in self.runs)
        steal = statistics.median(r.steal / (cores * r.wall) for r in self.runs)
        return f"{100 * other:.0f}% / {100 * steal:.0f}%"

    @property
    def peak_kib(self):
        return self.warmup.peak_kib


def local_methods(cfg, bam, bai):
    """Rows 1-6: the methods that read the local BAM."""
    n = cfg.cores
    counts = SCRATCH / "counts"
    counts.mkdir(parents=True, exist_ok=True)
    names = sq_names(bam)
    regions = SCRATCH / "regions.txt"
    regions.write_text("".join("{%s}\n" % name for name in names))

    def scan(sample):
        return measure([REGCOUNT, "count", "--quiet", "-j", n, "-o", counts / "scan.txt", bam, bai],
                       sample)

    def bound(sample):
        return measure([INFLATE_BOUND, n, bam], sample)

    def tutorial(sample):
        return measure([sys.executable, TUTORIAL, "-j", n, "-o", counts / "tutorial.txt", bam],
                       sample)

    def gnu_parallel(sample):
        raw = SCRATCH / "parallel.out"
        with open(raw, "w") as out:
            run = measure(["parallel", "--will-cite", "-k", "-j", n, "samtools", "view", "-c", bam,
                           "{}", "::::", regions], sample, stdout=out)
        write_count_file(counts / "parallel.txt", names, raw.read_text().split())
        return run

    def idxstats(sample):
        return measure(["samtools", "idxstats", bam], sample)

    def index(sample):
        return measure([REGCOUNT, "count", "--quiet", "-m", "index", "-j", n, "-o", counts / "index.txt",
                        bam, bai], sample)

    return [
        Method("scan", "regcount scan", "regcount count -j N -o F BAM BAI", scan, counts / "scan.txt"),
        Method("bound", "decompression bound", "inflate_bound N BAM", bound),
        Method("tutorial", "tutorial Pool(N).map", "tutorial_pool.py -j N -o F BAM", tutorial,
               counts / "tutorial.txt"),
        Method("parallel", "GNU parallel -j N",
               "parallel -k -j N samtools view -c BAM {} :::: regions ('{name}' per line)",
               gnu_parallel, counts / "parallel.txt"),
        Method("idxstats", "samtools idxstats", "samtools idxstats BAM", idxstats),
        Method("index", "regcount index", "regcount count -m index -j N -o F BAM BAI", index,
               counts / "index.txt"),
    ]


def write_count_file(path, names, counts):
    """The count file format, from samtools view -c outputs in name order."""
    if len(counts) != len(names):
        raise RuntimeError(f"GNU parallel printed {len(counts)} counts for {len(names)} names")
    lines = [f"Region {name}: {int(c)}\n" for name, c in zip(names, counts)]
    lines.append(f"Total reads: {sum(int(c) for c in counts)}\n")
    path.write_text("".join(lines))


# ---- the applet as a job under the emulator ----------------------------

# The entry script of the applet copy: the real src/regcount.sh, with every
# entry point wrapped so that, when it returns, it records the job's wall
# time and `times` (the CPU time of the job's bash and of its children, i.e.
# regcount and its workers) in RECORDS/<job id>.times.
WRAPPER = """\
. "{src}"
while read -r _ _ _bench_fn; do
    eval "_bench_orig_$(declare -f "$_bench_fn")"
    eval "$_bench_fn() {{ _bench_record _bench_orig_$_bench_fn \\"\\$@\\"; }}"
done < <(declare -F)
_bench_record() {{
    local t0=$EPOCHREALTIME
    "$@"
    local t1=$EPOCHREALTIME
    {{ echo "wall $t0 $t1"; times; }} > "{records}/$DX_JOB_ID.times"
}}
"""


def bash_seconds(text):
    """Seconds of a bash `times` field such as 1m2.345s."""
    m = re.fullmatch(r"(\d+)m([\d.]+)s", text)
    return int(m.group(1)) * 60 + float(m.group(2))


class Emulator:
    """Runs the applet's main as a job under dxemu, each run in a fresh
    emulator state with the BAM and BAI uploaded (not timed)."""

    def __init__(self, cfg, work):
        self.cfg, self.work = cfg, work
        self.state = work / "emu"
        self.applet = work / "applet"
        self.records = work / "records"
        self._make_applet()

    def _make_applet(self):
        src = self.applet / "src"
        src.mkdir(parents=True, exist_ok=True)
        (self.applet / "dxapp.json").symlink_to(ENTRY_SCRIPT.parent / "dxapp.json")
        (self.applet / "resources").symlink_to(REGCOUNT.parents[2])
        (src / "regcount.sh").write_text(WRAPPER.format(src=ENTRY_SCRIPT, records=self.records))

    def dxemu(self, *args, stdout=subprocess.PIPE):
        return subprocess.run([sys.executable, str(DXEMU), *map(str, args)], check=True,
                              stdout=stdout, text=True)

    def prepare(self, bam, bai):
        """A fresh state holding bam and bai; their file ids."""
        shutil.rmtree(self.state, ignore_errors=True)
        shutil.rmtree(self.records, ignore_errors=True)
        self.records.mkdir(parents=True)
        self.dxemu("init", self.state)
        ids = [self.dxemu("upload", self.state, f).stdout.strip() for f in (bam, bai)]
        os.sync()  # no writeback of the uploaded copy during the timed run
        return ids

    def run(self, bam, bai, inputs, count_file, sample):
        """One job, measured (its memory sampled if sample), with notes: the
        job's count phase (from its log), its own wall time, the emulator's
        CPU time and how many storage connections were busy."""
        bam_id, bai_id = self.prepare(bam, bai)
        job_json, log = self.work / "job.json", self.work / "job.log"
        cmd = [sys.executable, DXEMU, "run", self.state, self.applet,
               "-i", f"mappings_sorted_bam={bam_id}", "-i", f"mappings_sorted_bai={bai_id}",
               *[a for i in inputs for a in ("-i", i)], "--rate", self.cfg.rate]
        with open(job_json, "w") as out, open(log, "w") as err:
            try:
                run = measure(cmd, sample, stdout=out, stderr=err, include_root=False)
            except RuntimeError as e:
                raise RuntimeError(f"{e}\n{log.read_text()[-3000:]}") from None
        job = json_load(job_json)
        link = job["output"]["count_file"]["$dnanexus_link"]
        with open(count_file, "w") as f:
            self.dxemu("cat", self.state, link, stdout=f)
        job_cpu, job_wall = self._job_times()
        run.notes |= {"emulator_cpu": run.cpu - job_cpu, "job_wall": job_wall,
                     "total_cpu": run.cpu, **self._log_notes(log)}
        run.notes.update(self._transfer_notes(bam_id))
        run.cpu = job_cpu
        shutil.rmtree(self.state, ignore_errors=True)
        return run

    def _job_times(self):
        """CPU seconds of every job (bash + children) and main's wall time."""
        cpu = wall = 0.0
        for rec in self.records.glob("*.times"):
            lines = rec.read_text().split("\n")
            t0, t1 = map(float, lines[0].split()[1:3])
            wall = max(wall, t1 - t0)
            cpu += sum(bash_seconds(x) for line in lines[1:3] for x in line.split())
        if not cpu:
            raise RuntimeError(f"the job recorded no times in {self.records}")
        return cpu, wall

    @staticmethod
    def _log_notes(log):
        """The count phase the job logs: 'count: ... in X s'."""
        m = None
        for m in re.finditer(r"regcount: count: .*?\bin ([\d.]+) s\b", log.read_text()):
            pass
        return {"count_phase": float(m.group(1))} if m else {}

    def _transfer_notes(self, bam_id):
        """How many connections the BAM's download requests kept busy on
        average (their paced time over the span from the first to the last),
        from the emulator's request log."""
        spans = []
        for line in open(self.state / "requests.jsonl"):
            e = json.loads(line)
            if e.get("server") == "storage" and e.get("route") == "download" and \
                    e.get("file") == bam_id and (e.get("bytes_sent") or 0) > 0:
                busy = e["bytes_sent"] / self.cfg.rate
                spans.append((e["time"] - busy, e["time"], busy))
        if not spans:
            return {}
        span = max(s[1] for s in spans) - min(s[0] for s in spans)
        return {"connections_busy": sum(s[2] for s in spans) / span if span > 0 else 0,
                "transfer_span": span}


def json_load(path):
    with open(path) as f:
        return json.load(f)


def emulator_methods(cfg, bam, bai):
    """Rows 7 and 8: the job, streaming and downloading first."""
    emu = Emulator(cfg, SCRATCH / "job")
    counts = SCRATCH / "counts"
    return emu, [
        Method("stream", "job: streaming", f"dxemu run ... --rate {cfg.rate}",
               lambda sample: emu.run(bam, bai, [], counts / "stream.txt", sample),
               counts / "stream.txt"),
        Method("download", "job: download first",
               f"dxemu run ... -i download_first=true --rate {cfg.rate}",
               lambda sample: emu.run(bam, bai, ["download_first=true"], counts / "download.txt",
                                      sample),
               counts / "download.txt"),
    ]


# ---- running and checking -----------------------------------------------

def check_counts(method, reference):
    """Stop the benchmark if a method's count file differs from scan's."""
    if method.counts is None or method.counts == reference:
        return
    if method.counts.read_bytes() != reference.read_bytes():
        diff = subprocess.run(["diff", str(reference), str(method.counts)], capture_output=True,
                              text=True).stdout.splitlines()[:10]
        sys.exit(f"bench: COUNT MISMATCH: {method.label} ({method.counts}) differs from regcount "
                 f"scan ({reference}):\n" + "\n".join(diff))


def check_quarter(cfg, bam, bai):
    """The streaming job's count file for the quarter-size BAM against a
    local regcount scan of it."""
    reference = SCRATCH / "counts" / "scan-quarter.txt"
    measure([REGCOUNT, "count", "--quiet", "-j", cfg.cores, "-o", reference, bam, bai])  # not sampled
    check_counts(Method("stream-quarter", f"job: streaming {bam.name}", "", None,
                        SCRATCH / "counts" / "stream-quarter.txt"), reference)


def run_method(method, cfg, reference):
    """One warm-up run, which samples memory and is not timed, then
    cfg.runs timed runs without the sampler (it would cost them several
    percent of a core). Every run's count file is checked. A timed run
    during which the rest of the machine used more than OTHER_LIMIT of it is
    done again (up to RETRIES times per run; the last one is kept)."""
    print(f"{method.label}: warm-up (memory) + {cfg.runs} run(s)", end="", flush=True)
    method.warmup = method.run_once(True)
    check_counts(method, reference)
    if method.warmup.wall > SLOW_SECONDS:
        # Minutes per run, and tens of times slower than regcount: more runs
        # would not change a ratio, and the page cache is as warm as it gets.
        method.runs.append(method.warmup)
        method.slow = True
        print(f" {method.warmup.wall:.2f}s (slower than {SLOW_SECONDS} s: the only run)", flush=True)
        return
    for _ in range(cfg.runs):
        for attempt in range(RETRIES + 1):
            run = method.run_once(False)
            check_counts(method, reference)
            share = run.other_cpu / (cfg.cores * run.wall)
            if share <= OTHER_LIMIT or run.wall < MIN_JUDGED or attempt == RETRIES:
                break
            method.redone += 1
            print(f" [{run.wall:.2f}s, {100 * share:.0f}% other load: again]", end="", flush=True)
        method.runs.append(run)
        print(f" {run.wall:.2f}s", end="", flush=True)
    print(flush=True)


def plan_balance(bam, bai, k):
    """The balance regcount plan reports for k parts."""
    out = subprocess.run([str(REGCOUNT), "plan", "-j", str(k), str(bam), str(bai)], check=True,
                         capture_output=True, text=True).stdout
    m = re.search(r"^balance: ([\d.]+)", out, re.M)
    if not m:
        raise RuntimeError(f"regcount plan printed no balance line:\n{out[-500:]}")
    return float(m.group(1))


# ---- the report -----------------------------------------------------------

def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def table_lines(methods, scan, cores):
    rows = ["| # | method | wall (s) | CPU (s) | peak PSS (MiB) | wall / scan | other load / steal | notes |",
            "|---|---|---:|---:|---:|---:|---:|---|"]
    for i, m in enumerate(methods, 1):
        notes = ["runs " + "/".join(f"{r.wall:.2f}" for r in m.runs)]
        if m.slow:
            notes.append(f"one run, the warm-up (slower than {SLOW_SECONDS} s)")
        if m.redone:
            notes.append(f"{m.redone} run(s) redone (machine busy)")
        if m.median_note("count_phase") is not None:
            notes.append(f"count phase {fmt(m.median_note('count_phase'), 1)} s")
        if m.median_note("emulator_cpu") is not None:
            notes.append(f"emulator server CPU {fmt(m.median_note('emulator_cpu'), 1)} s")
        if m.median_note("connections_busy") is not None:
            notes.append(f"{fmt(m.median_note('connections_busy'), 1)} connections busy on average")
        rows.append(f"| {i} | {m.label} | {m.median('wall'):.2f} | {m.median('cpu'):.2f} | "
                    f"{m.peak_kib / 1024:.1f} | {m.median('wall') / scan:.2f} | "
                    f"{m.load_text(cores)} | {'; '.join(notes)} |")
    return rows


def target(ok, text):
    return f"- {'PASS' if ok else 'MISS'}: {text}"


def target_lines(cfg, by, size, quarter_peak_kib, quarter_mb, balances):
    if not all(k in by for k in ("tutorial", "parallel", "stream", "download")):
        return []  # BENCH_ONLY left these rows out
    scan, bound = by["scan"].median("wall"), by["bound"].median("wall")
    tut, par = by["tutorial"].median("wall"), by["parallel"].median("wall")
    stream, download = by["stream"].median("wall"), by["download"].median("wall")
    conns = cfg.cores * CONNECTIONS_PER_WORKER
    t_transfer = size / (cfg.rate * conns)
    limit = 1.15 * max(t_transfer, bound)
    peak, qpeak = by["stream"].peak_kib / 1024, quarter_peak_kib / 1024
    lines = [
        target(scan <= 1.10 * bound,
               f"scan {scan:.2f} s <= 1.10 x bound {bound:.2f} s = {1.10 * bound:.2f} s "
               f"(ratio {scan / bound:.3f})"),
        target(scan <= 0.5 * tut,
               f"scan {scan:.2f} s <= 0.5 x tutorial Pool(N).map {tut:.2f} s = {0.5 * tut:.2f} s "
               f"(ratio {scan / tut:.3f})"),
        target(scan < par, f"scan {scan:.2f} s < GNU parallel {par:.2f} s (ratio {scan / par:.3f})"),
        target(stream <= limit,
               f"streaming end to end {stream:.2f} s <= 1.15 x max(T_transfer {t_transfer:.2f} s, "
               f"bound {bound:.2f} s) = {limit:.2f} s (ratio {stream / max(t_transfer, bound):.3f}); "
               f"T_transfer = {size} B / ({cfg.rate} B/s x {conns} connections); one connection: "
               f"size / BENCH_RATE = {size / cfg.rate:.1f} s"),
        target(stream <= 0.5 * download,
               f"streaming {stream:.2f} s <= 0.5 x download-first {download:.2f} s = "
               f"{0.5 * download:.2f} s (ratio {stream / download:.3f})"),
        target(peak < 64 and peak <= 1.10 * qpeak,
               f"streaming job peak PSS {peak:.1f} MiB < 64 MiB on {cfg.mb} MB, and not growing: "
               f"{qpeak:.1f} MiB on {quarter_mb} MB (ratio {peak / qpeak:.2f}, at most 1.10)"),
        target(all(b <= 1.05 for b in balances.values()),
               "plan balance <= 1.05: " + ", ".join(f"K={k}: {b:.3f}" for k, b in balances.items())),
    ]
    return lines


def emulator_lines(cfg, by):
    """The emulator's own CPU use at BENCH_RATE, per job row."""
    lines = []
    for key in [k for k in ("stream", "download") if k in by]:
        m = by[key]
        cpu, wall = m.median_note("emulator_cpu"), m.median("wall")
        lines.append(f"- {m.label}: emulator (dxemu's Python API + storage servers) used "
                     f"{cpu:.2f} s CPU in {wall:.2f} s ({100 * cpu / wall:.0f}% of one core); "
                     f"the job {m.median('cpu'):.2f} s; job's own wall "
                     f"{m.median_note('job_wall'):.2f} s, count phase "
                     f"{fmt(m.median_note('count_phase'), 1)} s")
    return lines


def report(cfg, machine, methods, size, quarter_peak_kib, quarter_mb, balances, cram_files):
    by = {m.key: m for m in methods}
    scan = by["scan"].median("wall")
    out = ["# make bench", ""]
    out += [f"- {line}" for line in machine]
    out += [f"- BAM: test/data/bench/bench-{cfg.mb}.bam, {size} bytes; N = {cfg.cores}; "
            f"BENCH_RATE = {cfg.rate} B/s per storage connection; median of {cfg.runs} run(s) "
            f"after one warm-up", ""]
    out += table_lines(methods, scan, cfg.cores)
    out += ["", "Commands (N = online cores):", ""]
    out += [f"{i}. `{m.command}`" for i, m in enumerate(methods, 1)]
    out += ["", "Targets:", ""]
    out += target_lines(cfg, by, size, quarter_peak_kib, quarter_mb, balances)
    out += regions_bench.region_target_lines(by, target)
    out += cram_bench.cram_target_lines(by, target, cram_files)
    out += ["", "Emulator at BENCH_RATE:", ""]
    out += emulator_lines(cfg, by)
    warmups = [m.warmup for m in methods]
    sampler = sum(r.notes.get("bench_cpu", 0) for r in warmups) / sum(r.wall for r in warmups)
    out += ["", f"The memory sampler (bench.py) used {100 * sampler:.1f}% of one core during the "
            "warm-up runs, which it samples; the timed runs are not sampled."]
    return "\n".join(out) + "\n"


# ---- main ---------------------------------------------------------------------

def snapshot_build():
    """Copy resources/ (the binary and its libraries), the entry script and
    dxapp.json into the scratch directory and use that copy for every row:
    the checkout may change under a long benchmark (other people run make
    there)."""
    global REGCOUNT, ENTRY_SCRIPT
    build = SCRATCH / "build"
    shutil.copytree(ROOT / "resources", build / "resources", symlinks=True)
    shutil.copy2(ROOT / "src/regcount.sh", build / "regcount.sh")
    shutil.copy2(ROOT / "dxapp.json", build / "dxapp.json")
    REGCOUNT = build / "resources/usr/bin/regcount"
    ENTRY_SCRIPT = build / "regcount.sh"


def rate_sweep(cfg, bam, bai, rates):
    """One streaming job per rate (after one at the first rate, untimed):
    how the end-to-end time, the busy connections and the emulator's CPU
    use change with BENCH_RATE. Backs the choice of the default rate."""
    emu = Emulator(cfg, SCRATCH / "job")
    count_file = SCRATCH / "counts" / "sweep.txt"
    count_file.parent.mkdir(parents=True, exist_ok=True)
    core = measure([INFLATE_BOUND, 1, bam])
    size = bam.stat().st_size
    lines = [f"One core inflates {size / core.wall / MB:.0f} MB/s of this BAM "
             f"(inflate_bound 1: {core.wall:.2f} s).", "",
             "| MiB/s per connection | x slower than a core | T_transfer (s) | wall (s) | "
             "count phase (s) | connections busy | job CPU (s) | emulator CPU (s) | machine idle |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    emu.cfg = Config(cfg.mb, 1, rates[0], cfg.cores, cfg.quiet_wait)
    emu.run(bam, bai, [], count_file, False)
    for rate in rates:
        emu.cfg = Config(cfg.mb, 1, rate, cfg.cores, cfg.quiet_wait)
        r = emu.run(bam, bai, [], count_file, False)
        t_transfer = size / (rate * cfg.cores * CONNECTIONS_PER_WORKER)
        lines.append(f"| {rate / MIB:g} | {size / core.wall / rate:.1f} | {t_transfer:.2f} | "
                     f"{r.wall:.2f} | {fmt(r.notes.get('count_phase'))} | "
                     f"{fmt(r.notes.get('connections_busy'), 1)} | {r.cpu:.2f} | "
                     f"{r.notes['emulator_cpu']:.2f} | "
                     f"{100 * r.notes['idle'] / (cfg.cores * r.wall):.0f}% |")
        print(lines[-1], flush=True)
    return lines


def main():
    global QUIET_WAIT
    cfg, sweep = parse_args()
    QUIET_WAIT = cfg.quiet_wait
    for tool in (REGCOUNT, GEN_BAM, INFLATE_BOUND, CRAM_LOOP):
        if not tool.exists():
            sys.exit(f"bench: {tool} is missing: run make bench (it builds it)")
    shutil.rmtree(SCRATCH, ignore_errors=True)
    SCRATCH.mkdir(parents=True)
    snapshot_build()
    machine = machine_lines(cfg)
    print("\n".join(machine), flush=True)
    bam, bai = bench_bam(cfg.mb)
    if sweep:
        print("\n".join(rate_sweep(cfg, bam, bai, sweep)))
        return
    quarter_mb = max(cfg.mb // 4, 1)
    qbam, qbai = bench_bam(quarter_mb)

    emu, job_methods = emulator_methods(cfg, bam, bai)
    methods = (local_methods(cfg, bam, bai) + job_methods +
               regions_bench.region_methods(cfg, bam, bai, SCRATCH, REGCOUNT, measure, Method))
    # BENCH_ONLY=key,key (scan and bound always): some rows, while developing.
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
    cram_files = {}
    if not only or any(k.startswith(("cram", "many")) for k in only):
        tools = {"regcount": REGCOUNT, "gen_bam": GEN_BAM, "cram_loop": CRAM_LOOP}
        rows, cram_files = cram_bench.cram_methods(cfg, bam, DATA, SCRATCH, tools, measure, Method,
                                                   emu)
        methods += rows
    if only:
        methods = [m for m in methods if m.key in only | {"scan", "bound"}]
    reference = methods[0].counts
    for m in methods:
        run_method(m, cfg, reference)

    quarter_peak = 0
    if any(m.key == "stream" for m in methods):
        print(f"streaming job on bench-{quarter_mb}.bam (peak memory)", flush=True)
        quarter = emu.run(qbam, qbai, [], SCRATCH / "counts" / "stream-quarter.txt", True)
        check_quarter(cfg, qbam, qbai)
        quarter_peak = quarter.peak_kib
    balances = {k: plan_balance(bam, bai, k) for k in (2, 16, 64)}

    text = report(cfg, machine, methods, bam.stat().st_size, quarter_peak, quarter_mb, balances,
                  cram_files)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    print()
    print(text, end="")
    print(f"(written to {REPORT.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
