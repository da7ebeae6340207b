# make fuzz, make test-asan: see test/fuzz/README.md.
#
#   make fuzz-build      build the libFuzzer targets into test/bin/fuzz/
#   make fuzz            build them, then run each for FUZZ_SECONDS (300) on its
#                        seed corpus; new inputs go to build/fuzz/work/corpus/<target>,
#                        crashes to build/fuzz/work/crashes/<target>/ (not in git)
#                        FUZZ_TARGETS="fuzz_bam" picks targets, FUZZ_FLAGS adds
#                        libFuzzer flags (e.g. -jobs=2 -workers=2)
#   make test-asan       build regcount with ASan+UBSan(+LSan) into build/asan/resources
#                        and run the test suite with it; any sanitizer report fails it
#
# Included by the top Makefile, whose variables (CPPFLAGS, LIBS, RPATH, SRCS, TBIN)
# it uses; every path is relative to the applet directory.

.PHONY: fuzz-build test-asan asan-build

# ---- libFuzzer targets ------------------------------------------------------

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_ALL      = fuzz_job_input fuzz_api_response fuzz_countfile fuzz_bam
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_FLAGS   ?=
FUZZ_BIN      = $(TBIN)/fuzz
FUZZ_OBJDIR   = build/fuzz
FUZZ_WORK     = build/fuzz/work
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined
# htslib's le_to_u32 & co. load through an aligned(1) typedef on x86, which
# clang's UBSan reports as misaligned all the same: have them shift bytes.
SAN_CPPFLAGS  = -DHTS_ALLOW_UNALIGNED=0
FUZZ_CFLAGS   = -g -O1 -std=gnu11 -Wall -Wextra -pthread $(FUZZ_SAN) $(SAN_CPPFLAGS)

# The project's modules (never main.c), in an archive: each target links
# only the modules it needs, and what they need in turn, whatever new module
# appears.
FUZZ_LIB      = $(FUZZ_OBJDIR)/libregcount.a
FUZZ_OBJS     = $(patsubst src/%.c,$(FUZZ_OBJDIR)/%.o,$(filter-out src/cmd/main.c,$(SRCS)))

$(FUZZ_BIN) $(FUZZ_OBJDIR):
	mkdir -p $@

# Coverage instrumentation for the modules; the fuzzer's main only at the link.
$(FUZZ_OBJDIR)/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(call layer_inc,$*) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_OBJDIR)/fuzz_common.o: test/fuzz/fuzz_common.c test/fuzz/fuzz_common.h | $(FUZZ_OBJDIR)
	$(FUZZ_CC) $(CPPFLAGS) $(INC_cmd) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJS)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BIN)/%: test/fuzz/%.c test/fuzz/fuzz_common.h $(wildcard src/*/*.h) $(FUZZ_OBJDIR)/fuzz_common.o \
               $(FUZZ_LIB) | $(FUZZ_BIN)
	$(FUZZ_CC) $(CPPFLAGS) $(INC_cmd) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJDIR)/fuzz_common.o \
	    $(FUZZ_LIB) $(LIBS)

-include $(wildcard $(FUZZ_OBJDIR)/*/*.d)

fuzz-build:
	sh test/deps.sh build fuzz
	$(MAKE) $(FUZZ_ALL:%=$(FUZZ_BIN)/%)

# Each target runs on its scratch corpus (where libFuzzer adds what it finds)
# and the seeds; a crash stops that target and fails make fuzz at the end.
fuzz: fuzz-build
	@status=0; tmp=$$(mktemp -d /dev/shm/regcount-fuzz.XXXXXX 2>/dev/null || mktemp -d); \
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_WORK)/corpus/$$t $(FUZZ_WORK)/crashes/$$t; \
	    dict=; [ -f test/fuzz/$$t.dict ] && dict=-dict=test/fuzz/$$t.dict; \
	    echo "== $$t for $(FUZZ_SECONDS) s"; \
	    TMPDIR=$$tmp $(FUZZ_BIN)/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 $$dict \
	        -artifact_prefix=$(FUZZ_WORK)/crashes/$$t/ $(FUZZ_FLAGS) \
	        $(FUZZ_WORK)/corpus/$$t test/fuzz/corpus/$$t || status=1; \
	done; \
	rm -rf "$$tmp"; \
	ls $(FUZZ_WORK)/crashes/*/* 2>/dev/null | sed 's/^/crash: /'; exit $$status

# ---- the test suite under ASan + UBSan + LSan ------------------------------

# clang: gcc puts UBSan in a runtime of its own, which san_options.c cannot hook.
ASAN_CC      ?= clang
ASAN_DIR      = build/asan
ASAN_RES      = $(ASAN_DIR)/resources
ASAN_BIN      = $(ASAN_RES)/usr/bin/regcount
ASAN_LIBDIR   = $(ASAN_RES)/usr/lib/regcount
# Absolute: the job runs in its own home directory.
ASAN_REPORTS  = $(CURDIR)/$(ASAN_DIR)/reports
ASAN_FLAGS    = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer -g -O1
ASAN_OBJS     = $(SRCS:src/%.c=$(ASAN_DIR)/%.o) $(ASAN_DIR)/san_options.o
# t_portable.sh copies the normal resources/ into its chroot (it would not
# test this build); the fuzz targets are sanitizer builds already.
ASAN_TESTS   ?= $(filter-out test/t_portable.sh test/t_fuzz.sh,$(wildcard test/t_*.sh))

$(ASAN_DIR):
	mkdir -p $@

$(ASAN_DIR)/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(CPPFLAGS) $(call layer_inc,$*) $(SAN_CPPFLAGS) -std=gnu11 -Wall -Wextra -pthread $(ASAN_FLAGS) -MMD -MP -c -o $@ $<

$(ASAN_DIR)/san_options.o: test/fuzz/san_options.c test/fuzz/fuzz.mk | $(ASAN_DIR)
	$(ASAN_CC) -std=gnu11 -Wall -Wextra $(ASAN_FLAGS) \
	    -DSAN_LOG_PATH='"$(ASAN_REPORTS)/report"' -c -o $@ $<

$(ASAN_BIN): $(ASAN_OBJS)
	mkdir -p $(dir $@)
	$(ASAN_CC) $(ASAN_FLAGS) $(RPATH) -o $@ $(ASAN_OBJS) $(LIBS)

$(ASAN_LIBDIR)/.bundled: $(ASAN_BIN) src/bundle-libs.sh
	sh src/bundle-libs.sh $(ASAN_BIN) $(ASAN_LIBDIR)
	touch $@

-include $(wildcard $(ASAN_DIR)/*/*.d)

asan-build:
	sh test/deps.sh build fuzz
	$(MAKE) $(ASAN_BIN) $(ASAN_LIBDIR)/.bundled

# The suite's own FAIL lines, plus one per sanitizer report any process
# wrote (even one whose failure a test expected): both fail the target.
test-asan:
	sh test/deps.sh build run test fuzz
	$(MAKE) asan-build test-bins
	rm -rf $(ASAN_REPORTS)
	mkdir -p $(ASAN_REPORTS)
	@status=0; REGCOUNT_RESOURCES=$(CURDIR)/$(ASAN_RES) test/run.sh $(ASAN_TESTS) || status=1; \
	sh test/fuzz/san_reports.sh $(ASAN_REPORTS) || status=1; exit $$status
