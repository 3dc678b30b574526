# fuzz.mk - fuzz targets (included by the Makefile; see docs/fuzzing.md).
#
#   make fuzz          clang libFuzzer targets   -> build-fuzz/fuzz_<name>   (ASan+UBSan)
#   make fuzz-replay   replay drivers, any cc    -> build-replay/fuzz_<name> (ASan+UBSan)
#   make fuzz-afl      AFL++ (afl-clang-fast)    -> build-afl/fuzz_<name>
#   make fuzz-clean
#
# Each build has its own object directory, so none of them disturbs build/ or build-san/.
# Fuzz and replay builds shrink two buffers (JTL_CSV_BUF, INPUT_RAW_SIZE) so that small inputs
# cross buffer boundaries: the refill/grow/compaction paths get fuzzed, and each run is cheap.

FUZZ_TARGETS := $(sort $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c)))
FUZZ_LIB_SRC := $(filter-out cli/main.c,$(LIB_SRC))
FUZZ_HDRS := $(wildcard fuzz/*.h)
FUZZ_PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
FUZZ_PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm
FUZZ_CPPFLAGS := -I. -D_GNU_SOURCE $(ISAL_DEF) -DJTLSCOPE_VERSION='"$(VERSION)"' -DJTLSCOPE_FUZZ=1 \
	-DJTL_CSV_BUF=500u -DINPUT_RAW_SIZE=1000u
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

# libFuzzer (clang)
FUZZ_CLANG ?= clang
FUZZ_DIR := build-fuzz
FUZZ_CFLAGS := -std=c11 -O1 -g $(WARN) -pthread $(FUZZ_PKG_CFLAGS) $(FUZZ_SAN)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

# replay (gcc by default: no clang needed in CI)
FUZZ_REPLAY_CC ?= gcc
REPLAY_DIR := build-replay
REPLAY_CFLAGS := -std=c11 -O1 -g $(WARN) -pthread $(FUZZ_PKG_CFLAGS) $(FUZZ_SAN)
REPLAY_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(REPLAY_DIR)/obj/%.o)
REPLAY_BINS := $(FUZZ_TARGETS:%=$(REPLAY_DIR)/fuzz_%)

# AFL++ (afl-clang-fast, its libFuzzer-compatible driver)
AFL_CC ?= afl-clang-fast
AFL_DIR := build-afl
AFL_CFLAGS := -std=c11 -O1 -g -pthread $(FUZZ_PKG_CFLAGS) -fsanitize=address,undefined
AFL_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(AFL_DIR)/obj/%.o)
AFL_BINS := $(FUZZ_TARGETS:%=$(AFL_DIR)/fuzz_%)

.PHONY: fuzz fuzz-replay fuzz-afl fuzz-clean

fuzz: $(FUZZ_BINS)
fuzz-replay: $(REPLAY_BINS)
fuzz-afl: $(AFL_BINS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/libjtlscope.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_HDRS) $(FUZZ_DIR)/libjtlscope.a
	$(FUZZ_CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -Wno-missing-prototypes -fsanitize=fuzzer \
		-o $@ $< $(FUZZ_DIR)/libjtlscope.a -pthread $(FUZZ_PKG_LIBS)

$(REPLAY_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_REPLAY_CC) $(FUZZ_CPPFLAGS) $(REPLAY_CFLAGS) -MMD -MP -c -o $@ $<

$(REPLAY_DIR)/libjtlscope.a: $(REPLAY_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(REPLAY_DIR)/replay.o: fuzz/replay.c
	@mkdir -p $(dir $@)
	$(FUZZ_REPLAY_CC) $(FUZZ_CPPFLAGS) $(REPLAY_CFLAGS) -c -o $@ $<

$(REPLAY_DIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_HDRS) $(REPLAY_DIR)/replay.o $(REPLAY_DIR)/libjtlscope.a
	$(FUZZ_REPLAY_CC) $(FUZZ_CPPFLAGS) $(REPLAY_CFLAGS) -Wno-missing-prototypes -o $@ $< \
		$(REPLAY_DIR)/replay.o $(REPLAY_DIR)/libjtlscope.a -pthread $(FUZZ_PKG_LIBS)

$(AFL_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(AFL_CC) $(FUZZ_CPPFLAGS) $(AFL_CFLAGS) -c -o $@ $<

$(AFL_DIR)/libjtlscope.a: $(AFL_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(AFL_DIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_HDRS) $(AFL_DIR)/libjtlscope.a
	$(AFL_CC) $(FUZZ_CPPFLAGS) $(AFL_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(AFL_DIR)/libjtlscope.a -pthread $(FUZZ_PKG_LIBS)

fuzz-clean:
	rm -rf $(FUZZ_DIR) $(REPLAY_DIR) $(AFL_DIR)

-include $(FUZZ_LIB_OBJ:.o=.d) $(REPLAY_LIB_OBJ:.o=.d)
