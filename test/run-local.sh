#!/bin/bash
# Runs the applet end to end under the local platform emulator, as the
# platform would: uploads the inputs, runs the entry script's main in a
# fresh home with the DX_* environment, then prints the job's
# job_output.json and the count file it uploaded.
#
#   test/run-local.sh                        the embedded default input
#   test/run-local.sh --bam X.bam [--bai X.bam.bai] [--subjobs N]
#   test/run-local.sh --input job_input.json --emu DIR
#       a hand-written job_input.json whose links name files already
#       uploaded to the emulator state in DIR (dxemu.py upload DIR FILE)
#
# Extra dxemu.py run options (--faults, --rate, ...) may follow "--".
set -eu
cd "$(dirname "$0")/.."
EMU="python3 test/emulator/dxemu.py"
bam="" bai="" input="" emu="" subjobs=""
while [ $# -gt 0 ]; do
    case $1 in
    --bam) bam=$2; shift 2 ;;
    --bai) bai=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --emu) emu=$2; shift 2 ;;
    --subjobs) subjobs=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "run-local.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

if [ -n "$input" ]; then
    [ -n "$emu" ] || { echo "run-local.sh: --input needs --emu DIR (the emulator state holding its files)" >&2; exit 2; }
    args=(--raw-input "$input")
else
    emu=${emu:-test/out/emu}
    rm -rf "$emu"
    mkdir -p "$(dirname "$emu")"
    $EMU init "$emu" > /dev/null
    if [ -z "$bam" ]; then
        # The embedded default input: a small deterministic BAM with every
        # hard case, indexed by htslib.
        mkdir -p test/data
        [ -s test/data/default.bam.bai ] ||
            test/bin/gen_bam small test/data/default.bam --index 2> /dev/null
        bam=test/data/default.bam bai=test/data/default.bam.bai
    fi
    [ -n "$bai" ] || { [ ! -e "$bam.bai" ] || bai=$bam.bai; }
    args=(-i "mappings_sorted_bam=$($EMU upload "$emu" "$bam")")
    [ -z "$bai" ] || args+=(-i "mappings_sorted_bai=$($EMU upload "$emu" "$bai")")
    [ -z "$subjobs" ] || args+=(-i "subjobs=$subjobs")
fi

set +e
$EMU run "$emu" . "${args[@]}" "$@" > "$emu/job.json"
status=$?
set -e
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$emu/job.json")
home=$emu/jobs/$job/home
if [ $status -ne 0 ]; then
    echo "== the job failed; $home/job_error.json:"
    cat "$home/job_error.json" 2>/dev/null || python3 -m json.tool "$emu/job.json"
    exit 1
fi
echo "== $home/job_output.json"
cat "$home/job_output.json"
echo
count=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["output"]["count_file"]["$dnanexus_link"])' "$emu/job.json")
echo "== the count file it uploaded ($count)"
$EMU cat "$emu" "$count"
