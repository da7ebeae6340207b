# regcount: counts the reads of a coordinate-sorted BAM per reference sequence.
#
#   make            build resources/usr/bin/regcount (and bundle its libraries)
#   make run        run the applet end to end under the local platform emulator
#   make test       run every test; ends with "N passed, N failed"
#   make bench      the benchmark (test/bench/README.md)
#   make stress     the fault matrix at full strength
#   make fuzz       the fuzz targets, longer (test/fuzz/README.md)
#   make clean      remove build products
#   make deps       install the Debian packages that are missing
#
# dx build calls `make -C <applet dir> -jN`; every path here is relative to
# this directory, which make -C has made the working directory.

CC       ?= cc
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -pthread
VERSION  := $(shell sed -n 's/.*"version": *"\([0-9][^"]*\)".*/\1/p' dxapp.json | head -1)
CPPFLAGS += -D_GNU_SOURCE -DREGCOUNT_VERSION='"$(VERSION)"'
LIBS      = -lhts -lcurl -ljansson -lz -lpthread -lm
# The bundled libraries sit in resources/usr/lib/regcount, unpacked at / on
# the worker. DT_RPATH (not RUNPATH) so that it also serves the libraries'
# own dependencies (libhts needs libcurl-gnutls, and so on).
RPATH     = -Wl,-rpath,'$$ORIGIN/../lib/regcount' -Wl,--disable-new-dtags

BIN      = resources/usr/bin/regcount
LIBDIR   = resources/usr/lib/regcount
OBJDIR   = build
# The layers, each in its folder (Readme.developer.md): util, the engine
# (which knows nothing of the platform), the report (what people read of a
# cohort, from the engine's counts), the platform client (which knows
# nothing of counting), the job, the commands. A file sees only the headers
# of its own layer and those below it, so an arrow that runs the wrong way
# does not compile.
INC_util     = -Isrc/util
INC_engine   = $(INC_util) -Isrc/engine
INC_report   = $(INC_engine) -Isrc/report
INC_platform = $(INC_util) -Isrc/platform
INC_job      = $(INC_report) -Isrc/platform -Isrc/job
INC_cmd      = $(INC_job) -Isrc/cmd
# The include flags of src/<layer>/<file>.c, from its stem <layer>/<file>.
layer_inc = $(INC_$(firstword $(subst /, ,$(1))))
SRCS     = $(wildcard src/*/*.c)
OBJS     = $(SRCS:src/%.c=$(OBJDIR)/%.o)
TBIN     = test/bin

.PHONY: all clean deps test run bench fuzz stress test-bins testdata
all: $(BIN) $(LIBDIR)/.bundled

$(OBJDIR)/%.o: src/%.c | $(OBJDIR)/.build-deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call layer_inc,$*) $(CFLAGS) -MMD -MP -c -o $@ $<

# Before the first compile: the libraries' headers, or a message that says
# which packages to install.
$(OBJDIR)/.build-deps: src/check-build-deps.sh
	@sh src/check-build-deps.sh "$(CC)"
	@mkdir -p $(OBJDIR) && touch $@

$(BIN): $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $(RPATH) -o $@ $(OBJS) $(LIBS)

$(LIBDIR)/.bundled: $(BIN) src/bundle-libs.sh
	sh src/bundle-libs.sh $(BIN) $(LIBDIR)
	touch $@

-include $(OBJS:.o=.d)

# make bench, make fuzz, make test-asan: in their own files.
include test/bench/bench.mk test/fuzz/fuzz.mk

# ---- test programs -------------------------------------------------------
$(TBIN):
	mkdir -p $@

$(TBIN)/%: test/%.c | $(TBIN)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< -lhts

# The unit tests (test/unit/*.c), linked with the project's modules.
UNIT_SRCS = $(wildcard test/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:test/unit/%.c=$(TBIN)/unit/%)
UNIT_LIB  = $(OBJDIR)/libregcount.a

$(UNIT_LIB): $(filter-out $(OBJDIR)/cmd/main.o,$(OBJS))
	rm -f $@
	ar rcs $@ $^

$(TBIN)/unit/%: test/unit/%.c test/unit/unit.h $(UNIT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(INC_cmd) $(CFLAGS) -o $@ $< $(UNIT_LIB) $(LIBS)

test-bins: $(TBIN)/gen_bam $(UNIT_BINS)

deps:
	sh test/deps.sh build run test fuzz

# make run [BAM=x.bam [BAI=x.bam.bai]] [SUBJOBS=N] [INPUT=job_input.json EMU=dir]
run:
	sh test/deps.sh build run
	$(MAKE) all $(TBIN)/gen_bam
	test/run-local.sh $(if $(BAM),--bam $(BAM)) $(if $(BAI),--bai $(BAI)) \
	    $(if $(SUBJOBS),--subjobs $(SUBJOBS)) $(if $(INPUT),--input $(INPUT)) $(if $(EMU),--emu $(EMU))

test:
	sh test/deps.sh build run test fuzz
	$(MAKE) all test-bins
	test/run.sh

# The fault matrix at full strength: every route throttled 10 times, one
# route at a time, and the job-fault and subjob tests.
stress:
	sh test/deps.sh build run test
	$(MAKE) all test-bins
	FAULT_N=10 FAULT_STRESS=1 test/run.sh test/t_faults.sh test/t_job_crash.sh test/t_subjobs.sh

clean:
	rm -rf $(OBJDIR) $(BIN) resources/usr/lib $(TBIN) test/data test/out
