#!/bin/bash
# Entry point of the sort_index applet: the upstream stage of the example
# workflow (../dxworkflow.json). The platform defines $sam (the input's
# link), $sam_name, $sam_prefix (the name without .sam) and $sam_path
# ($HOME/in/sam/<name>) before calling main under bash -e; dx, dx-jobutil-*
# come with the worker's dx-toolkit, samtools with runSpec.execDepends.

main() {
    set -o pipefail
    echo "Downloading $sam_name"
    mkdir -p "$(dirname "$sam_path")"
    dx download "$sam" -o "$sam_path"

    local bam="${sam_prefix}.sorted.bam"
    echo "Sorting $sam_name into $bam"
    if ! samtools sort -@ "$(nproc)" -T "$HOME/sort_tmp" -o "$bam" "$sam_path" 2> sort.err; then
        cat sort.err >&2
        # The first error samtools gave, naming the input rather than its
        # path on the worker. dx-jobutil-report-error writes
        # ~/job_error.json (AppError: the input is at fault) and exits 1.
        local why
        why=$(grep -m1 -v '^\[W::' sort.err || echo "samtools sort failed")
        dx-jobutil-report-error "The input sam ($sam_name) could not be sorted as SAM: ${why//"$sam_path"/$sam_name}"
    fi
    cat sort.err >&2
    echo "Indexing $bam"
    samtools index "$bam"

    echo "Uploading $bam and $bam.bai"
    local bam_id bai_id
    bam_id=$(dx upload --brief "$bam")
    bai_id=$(dx upload --brief "$bam.bai")
    dx-jobutil-add-output sorted_bam "$bam_id" --class=file
    dx-jobutil-add-output sorted_bai "$bai_id" --class=file
}
