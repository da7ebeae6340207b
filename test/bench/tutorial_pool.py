#!/usr/bin/env python3
"""The counting of the DNAnexus "Parallel by Region (py)" tutorial, reproduced
for the benchmark (row "tutorial Pool(N).map" of make bench).

The tutorial (dnanexus-example-applets, samtools_count_para_reg_multiprocess_py)
reads the reference names from `samtools view -H`, builds one command
`samtools view -c BAM REGION` per name, runs them with
`multiprocessing.Pool(cpu_count()).map(run_cmd, commands)` (default
chunking), where run_cmd runs one command through subprocess and returns
(stdout, stderr, returncode), fails if any command failed, and writes
`Region <name>: <count>` lines and `Total reads: <sum>`.

Differences, all deliberate and none of them affecting the time:
  - the region is '{name}' rather than the bare name, so that names with
    colons (HLA-DRB1*15:01:01:01, chr1:100-200) are taken whole, as regcount
    counts them; the tutorial passed the bare name;
  - names come from the SN field of @SQ lines (the tutorial matched
    `SN:(\\S+)\\s` anywhere in the header);
  - the last line ends with a newline (the tutorial left it out), so that
    the file can be compared byte for byte with regcount's;
  - the pool size is -j N (the tutorial used cpu_count()), and the file is
    written to -o instead of being uploaded.

Usage: tutorial_pool.py [-j N] -o COUNT_FILE BAM   (the BAI next to the BAM)
"""

import argparse
import os
import subprocess
import sys
from multiprocessing import Pool


def sq_names(bam):
    """The SN of every @SQ line of the BAM's header, in header order."""
    header = subprocess.check_output(["samtools", "view", "-H", bam], text=True)
    names = []
    for line in header.splitlines():
        if line.startswith("@SQ\t"):
            for field in line.split("\t")[1:]:
                if field.startswith("SN:"):
                    names.append(field[3:])
                    break
    return names


def region_command(bam, name):
    """The tutorial's count command for one reference sequence."""
    return ["samtools", "view", "-c", bam, "{%s}" % name]


def run_cmd(cmd):
    """Run one command; (stdout, stderr, returncode), as the tutorial's run_cmd."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = proc.communicate()
    return stdout, stderr, proc.returncode


def check_results(results):
    """Exit with every failed command's stderr, as verify_pool_status does."""
    errors = [r[1].decode(errors="replace") for r in results if r[2] != 0]
    if errors:
        sys.exit("tutorial_pool: %d command(s) failed:\n%s" % (len(errors), "\n".join(errors)))


def write_counts(path, names, results):
    """Region <name>: <count> per name, then Total reads: <sum>."""
    total = 0
    with open(path, "w") as f:
        for name, result in zip(names, results):
            count = int(result[0])
            total += count
            f.write("Region {0}: {1}\n".format(name, count))
        f.write("Total reads: {0}\n".format(total))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-j", type=int, default=os.cpu_count(), help="pool processes [cpu_count()]")
    ap.add_argument("-o", required=True, help="the count file to write")
    ap.add_argument("bam")
    args = ap.parse_args()

    names = sq_names(args.bam)
    commands = [region_command(args.bam, name) for name in names]
    pool = Pool(processes=args.j)
    results = pool.map(run_cmd, commands)
    pool.close()
    pool.join()
    check_results(results)
    write_counts(args.o, names, results)


if __name__ == "__main__":
    main()
