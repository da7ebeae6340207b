# make bench: see test/bench/README.md (written with the benchmark).
