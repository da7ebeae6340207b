#!/bin/bash
# The example workflow test/workflow/dxworkflow.json end to end under the
# emulator: its sort_index stage (samtools sort + index of a shuffled SAM)
# feeds regcount, whose count file and total are the workflow's outputs;
# both applets registered with `build`, the "@NAME@" executable placeholders
# replaced by their IDs (run-workflow --applet, and sed as on the platform);
# an upstream failure fails the analysis and regcount never runs.
. "$(dirname "$0")/lib.sh"
"$ROOT/test/make_data.sh" small

WF=$ROOT/test/workflow
R=$OUT/emu
$EMU init "$R" > /dev/null

# regcount's applet directory is the repository root; when the tests run
# another build of resources/ (REGCOUNT_RESOURCES), a copy of the root that
# points at it.
RC_DIR=$ROOT
if [ "$RESOURCES" != "$ROOT/resources" ]; then
    RC_DIR=$OUT/regcount
    mkdir -p "$RC_DIR"
    ln -s "$ROOT/dxapp.json" "$ROOT/src" "$RC_DIR/"
    ln -s "$RESOURCES" "$RC_DIR/resources"
fi
SORT_ID=$($EMU build "$R" "$WF/sort_index")
RC_ID=$($EMU build "$R" "$RC_DIR")
assert_match "workflow: both applets build" '^applet-[0-9A-Za-z]{24} applet-[0-9A-Za-z]{24}$' "$SORT_ID $RC_ID"

# The input: small.bam (every hard case) as SAM, its records shuffled
# (deterministically), so that sort_index really has to sort. The name has
# a space: it reaches the stage through $sam_name / $sam_prefix.
SAM=$OUT/small.sam
samtools view -H "$DATA/small.bam" > "$SAM"
samtools view "$DATA/small.bam" | shuf --random-source=<(yes) >> "$SAM"
# coordinate_order SAM: "sorted" if its records are in coordinate order
# (unplaced ones last), else "unsorted".
coordinate_order() {
    python3 - "$1" <<'PY'
import sys
refs, keys = [], []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if line.startswith("@SQ"):
        refs.append(next(x[3:] for x in f if x.startswith("SN:")))
    elif not line.startswith("@"):
        keys.append((refs.index(f[2]) if f[2] != "*" else len(refs), int(f[3])))
print("sorted" if len(keys) > 100 and keys == sorted(keys) else "unsorted")
PY
}
assert_eq "workflow: the input SAM is not sorted" "unsorted" "$(coordinate_order "$SAM")"
SAM_ID=$($EMU upload "$R" "$SAM" --name "small reads.sam")

$EMU run-workflow "$R" "$WF/dxworkflow.json" -i sam="$SAM_ID" \
    --applet sort_index="$SORT_ID" --applet regcount="$RC_ID" > "$OUT/analysis.json" 2> "$OUT/analysis.log"
status=$?
A=$OUT/analysis.json
assert_eq "workflow: the analysis is done" "0 done" "$status $(json_get "$A" 'j["state"]' 2>/dev/null)"
[ "$status" -eq 0 ] || sed -n '1,20p' "$OUT/analysis.log" >&2
assert_eq "workflow: outputs are count_file and total_reads" "['count_file', 'total_reads']" \
    "$(json_get "$A" 'sorted(j["output"])' 2>/dev/null)"

SORT_JOB=$(json_get "$A" '[s["execution"]["id"] for s in j["stages"] if s["id"] == "sort_index"][0]' 2>/dev/null)
RC_JOB=$(json_get "$A" '[s["execution"]["id"] for s in j["stages"] if s["id"] == "regcount"][0]' 2>/dev/null)
$EMU describe "$R" "$SORT_JOB" > "$OUT/sort_job.json" 2>/dev/null
$EMU describe "$R" "$RC_JOB" > "$OUT/rc_job.json" 2>/dev/null

# The chain: regcount's BAM and BAI are sort_index's outputs, and regcount
# started only after sort_index was done.
links=$(python3 - "$OUT/sort_job.json" "$OUT/rc_job.json" <<'PY'
import json, sys
s, r = (json.load(open(p)) for p in sys.argv[1:])
print(s["output"]["sorted_bam"] == r["input"]["mappings_sorted_bam"],
      s["output"]["sorted_bai"] == r["input"]["mappings_sorted_bai"],
      s["applet"] != r["applet"], s["stoppedRunning"] <= r["startedRunning"],
      s["input"]["sam"]["$dnanexus_link"])
PY
)
assert_eq "workflow: regcount's BAM and BAI are sort_index's outputs; it ran after" \
    "True True True True $SAM_ID" "$links"

# The workflow input reached sort_index through its input variables.
env_vars=$(cd "$R/jobs/$SORT_JOB/home" && bash -c '. ./environment; printf "%s|%s|%s|%s" "$sam" "$sam_name" "$sam_prefix" "$sam_path"')
assert_eq "workflow: sort_index's input variables" \
    "{\"\$dnanexus_link\": \"$SAM_ID\"}|small reads.sam|small reads|$R/jobs/$SORT_JOB/home/in/sam/small reads.sam" "$env_vars"

# sort_index's outputs: a coordinate-sorted BAM named after the SAM, and its index.
BAM_ID=$(json_get "$OUT/sort_job.json" 'j["output"]["sorted_bam"]["$dnanexus_link"]')
BAI_ID=$(json_get "$OUT/sort_job.json" 'j["output"]["sorted_bai"]["$dnanexus_link"]')
assert_eq "workflow: sort_index output names" "small reads.sorted.bam|small reads.sorted.bam.bai" \
    "$($EMU describe "$R" "$BAM_ID" | json_get /dev/stdin 'j["name"]')|$($EMU describe "$R" "$BAI_ID" | json_get /dev/stdin 'j["name"]')"
$EMU cat "$R" "$BAM_ID" > "$OUT/stage.bam"
$EMU cat "$R" "$BAI_ID" > "$OUT/stage.bam.bai"
samtools view -h "$OUT/stage.bam" > "$OUT/stage.sam"
assert_eq "workflow: the stage's BAM is sorted by coordinate" "sorted" "$(coordinate_order "$OUT/stage.sam")"
assert_eq "workflow: the stage's BAM holds every record of the SAM" \
    "$(grep -vc '^@' "$SAM")" "$(samtools view -c "$OUT/stage.bam")"

# The counts. The reference: samtools' counts of the BAM the stage made,
# and of the same SAM sorted here.
$EMU cat "$R" "$(json_get "$A" 'j["output"]["count_file"]["$dnanexus_link"]')" > "$OUT/workflow.counts"
samtools_counts "$OUT/stage.bam" > "$OUT/stage.expected"
assert_same_file "workflow: count_file equals samtools on the stage's BAM" "$OUT/stage.expected" "$OUT/workflow.counts"
samtools sort -o "$OUT/local.bam" "$SAM" 2> /dev/null && samtools index "$OUT/local.bam"
samtools_counts "$OUT/local.bam" > "$OUT/local.expected"
assert_same_file "workflow: count_file equals samtools on the SAM sorted locally" "$OUT/local.expected" "$OUT/workflow.counts"
total=$(sed -n 's/^Total reads: //p' "$OUT/workflow.counts")
assert_eq "workflow: total_reads equals the count file's total" "$total" "$(json_get "$A" 'j["output"]["total_reads"]')"
assert_eq "workflow: count_file name" "small_reads.sorted_count.txt" \
    "$($EMU describe "$R" "$(json_get "$A" 'j["output"]["count_file"]["$dnanexus_link"]')" | json_get /dev/stdin 'j["name"]')"

# Against the original BAM's counts (expected_counts small): equal, except
# for the records SAM text cannot carry. A BAM record with a reference but
# no position (POS 0 in SAM) and no unmapped flag counts when its CIGAR
# consumes 2 or more reference bases; htslib reads such a SAM line as
# unmapped ("mapped query cannot have zero coordinate"), so after the round
# trip through SAM it no longer counts. Subtract exactly those.
python3 - "$DATA/small.bam" "$(expected_counts small)" > "$OUT/adjusted.expected" 2> "$OUT/lost" <<'PY'
import collections, re, subprocess, sys
bam, expected = sys.argv[1:]
lost = collections.Counter()
out = subprocess.run(["samtools", "view", bam], capture_output=True, text=True, check=True).stdout
for line in out.splitlines():
    f = line.split("\t")
    flag, rname, pos, cigar = int(f[1]), f[2], int(f[3]), f[5]
    if rname != "*" and pos == 0 and not flag & 4:
        span = sum(int(n) for n, op in re.findall(r"(\d+)([MIDNSHP=X])", cigar) if op in "MDN=X")
        if span >= 2:
            lost[rname] += 1
total = 0
for line in open(expected):
    m = re.match(r"^Region (.*): (\d+)$", line.rstrip("\n"))
    if m:
        n = int(m.group(2)) - lost[m.group(1)]
        total += n
        print(f"Region {m.group(1)}: {n}")
print(f"Total reads: {total}")
print(sum(lost.values()), file=sys.stderr)
PY
assert_same_file "workflow: count_file equals the original BAM's counts but for the $(cat "$OUT/lost") records SAM cannot hold" \
    "$OUT/adjusted.expected" "$OUT/workflow.counts"

# The platform route: placeholders replaced with sed, as README shows,
# then an upstream failure: a .sam that is not SAM. The analysis fails with
# sort_index's AppError, and regcount never runs.
mkdir -p "$OUT/wf"
sed -e "s/@sort_index@/$SORT_ID/" -e "s/@regcount@/$RC_ID/" "$WF/dxworkflow.json" > "$OUT/wf/dxworkflow.json"
assert_eq "workflow: sed leaves no placeholder" "0" "$(grep -c '"@[a-z_]*@"' "$OUT/wf/dxworkflow.json")"
printf 'this is not a SAM file\n' > "$OUT/bad.sam"
BAD_ID=$($EMU upload "$R" "$OUT/bad.sam")
rc_jobs_before=$(grep -l "\"executable\": \"$RC_ID\"" "$R"/objects/job-*.json | wc -l)
$EMU run-workflow "$R" "$OUT/wf/dxworkflow.json" -i sam="$BAD_ID" > "$OUT/failed.json" 2> "$OUT/failed.log"
status=$?
F=$OUT/failed.json
assert_eq "workflow with a bad SAM: the analysis failed with sort_index's AppError" \
    "1 failed AppError sort_index" \
    "$status $(json_get "$F" 'j["state"], j["failureReason"], [s["id"] for s in j["stages"] if s["execution"] and s["execution"]["id"] == j["failureFrom"]["id"]][0]' 2>/dev/null | tr -d "(),'")"
msg=$(json_get "$F" 'j["failureMessage"]' 2>/dev/null)
assert_match "workflow with a bad SAM: the message names the input" \
    '^The input sam \(bad\.sam\) could not be sorted as SAM: .+' "$msg"
assert_eq "workflow with a bad SAM: the message holds no worker path" "" "$(grep -F -- "$R" <<< "$msg")"
assert_eq "workflow with a bad SAM: the regcount stage never ran" "None $rc_jobs_before" \
    "$(json_get "$F" '[s["execution"] for s in j["stages"] if s["id"] == "regcount"][0]' 2>/dev/null) $(grep -l "\"executable\": \"$RC_ID\"" "$R"/objects/job-*.json | wc -l)"

# A placeholder left unreplaced is refused before anything runs.
$EMU run-workflow "$R" "$WF/dxworkflow.json" -i sam="$SAM_ID" --applet sort_index="$SORT_ID" > /dev/null 2> "$OUT/placeholder.log"
status=$?
assert_eq "workflow: an unreplaced placeholder is refused (exit 2, names --applet)" "2 yes" \
    "$status $(grep -q -- '--applet regcount=applet-' "$OUT/placeholder.log" && echo yes || echo no)"
