#!/bin/bash
# Entry points of the regcount applet. The platform sources this file and
# calls the function named like the job's entry point, under bash -e; each
# hands over to the binary (resources/usr/bin/regcount, at /usr/bin on the
# worker), which reads ~/job_input.json and writes ~/job_output.json or
# ~/job_error.json itself.

main() {
    regcount job main
}
