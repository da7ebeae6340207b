#!/bin/bash
# Entry points of the regcount applet. The platform sources this file and
# calls the function named like the job's entry point, under bash -e; each
# hands over to the binary (resources/usr/bin/regcount, at /usr/bin on the
# worker), which reads ~/job_input.json and writes ~/job_output.json or
# ~/job_error.json itself.

# Count the BAM or CRAM (input mappings_sorted_bam), here or, with input
# subjobs above 1, by starting count_part and gather subjobs; or the files
# of input mappings, here or over count_samples and gather_samples subjobs.
main() {
    regcount job main
}

# Count one part of the BAM (input part: a byte range) with every core.
count_part() {
    regcount job count_part
}

# Add up the count_part outputs and upload the count file.
gather() {
    regcount job gather
}

# Count a run of the files of input mappings, one after the other.
count_samples() {
    regcount job count_samples
}

# Put the count_samples outputs together: the matrix, MultiQC and the report.
gather_samples() {
    regcount job gather_samples
}
