# make bench: regcount against the other ways to count, on a generated
# human-like BAM; see test/bench/README.md. Included by the top Makefile.
#
#   make bench [BENCH_MB=1024] [RUNS=3] [BENCH_RATE=16777216]
#
# BENCH_MB: size of the benchmark BAM (test/data/bench/bench-<MB>.bam, made
# once and reused); RUNS: timed runs per method after one warm-up;
# BENCH_RATE: bytes/s per storage connection of the emulated platform.
BENCH_MB   ?= 1024
RUNS       ?= 3
BENCH_RATE ?= 16777216

# The decompression bound: BGZF blocks inflated with libdeflate, nothing else.
$(TBIN)/inflate_bound: test/bench/inflate_bound.c | $(TBIN)
	$(CC) $(CFLAGS) -o $@ $< -ldeflate

# The careful htslib loop the CRAM rows compare with.
$(TBIN)/cram_loop: test/bench/cram_loop.c | $(TBIN)
	$(CC) $(CFLAGS) -o $@ $< -lhts

bench:
	sh test/deps.sh build run bench
	$(MAKE) all $(TBIN)/gen_bam $(TBIN)/inflate_bound $(TBIN)/cram_loop
	BENCH_MB=$(BENCH_MB) RUNS=$(RUNS) BENCH_RATE=$(BENCH_RATE) python3 test/bench/bench.py
