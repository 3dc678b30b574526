# jtlscope - GNU make with pkg-config.  `make help` lists the targets.
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := zlib libpcap libpcre2-8 libcjson expat libcrypto

# ISA-L (igzip) is the fast gzip path when present; zlib stays the portable fallback.
ifneq ($(NO_ISAL),1)
ifeq ($(shell $(PKG_CONFIG) --exists libisal 2>/dev/null && echo y),y)
PKGS += libisal
ISAL_DEF := -DHAVE_ISAL=1
endif
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN += -Werror
endif

OPT ?= -O2 -g
BUILD := build
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ifeq ($(SAN),1)
BUILD := build-san
OPT := -O1 -g $(SANFLAGS)
endif

CPPFLAGS += -I. -D_GNU_SOURCE $(ISAL_DEF) -DJTLSCOPE_VERSION='"$(VERSION)"'
CFLAGS += -std=c11 $(OPT) $(WARN) -pthread $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDFLAGS += -pthread $(if $(filter 1,$(SAN)),$(SANFLAGS))
LDLIBS += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm
VERSION := 0.1.0

# libjtlscope.a is the library (common parsers analyzer reports); cli/ is the command layer,
# linked outside it, so nothing in the library can call into cli/ (the link would fail).
LIB_SRC := $(sort $(wildcard common/*.c parsers/*.c parsers/*/*.c analyzer/*.c analyzer/*/*.c reports/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC := $(sort $(wildcard cli/*.c))
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
CLI_LIB_OBJ := $(filter-out $(BUILD)/cli/main.o,$(CLI_OBJ))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# tests/test_cli_*.c test cli/ code: they link its objects explicitly
TEST_CLI_BIN := $(filter $(BUILD)/tests/test_cli_%,$(TEST_BIN))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

.PHONY: all deps demo test check unit bench clean help fuzz man accuracy

all: jtlscope$(if $(filter 1,$(SAN)),-san)

jtlscope$(if $(filter 1,$(SAN)),-san): $(CLI_OBJ) $(BUILD)/libjtlscope.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libjtlscope.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libjtlscope.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes $(shell $(PKG_CONFIG) --cflags cmocka) \
		-o $@ $< $(BUILD)/libjtlscope.a $(LDFLAGS) $(LDLIBS) $(shell $(PKG_CONFIG) --libs cmocka)

$(TEST_CLI_BIN): $(BUILD)/tests/%: tests/%.c $(CLI_LIB_OBJ) $(BUILD)/libjtlscope.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes $(shell $(PKG_CONFIG) --cflags cmocka) \
		-o $@ $< $(CLI_LIB_OBJ) $(BUILD)/libjtlscope.a $(LDFLAGS) $(LDLIBS) $(shell $(PKG_CONFIG) --libs cmocka)

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libjtlscope.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(BUILD)/libjtlscope.a $(LDFLAGS) $(LDLIBS)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

deps:
	@sh scripts/deps.sh build

# Analyse the bundled real sample and write every report format into demo-report/.
demo:
	@sh scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

# Everything: normal build and sanitizer build, unit + golden + CLI tests; one summary line.
test:
	@sh scripts/deps.sh test
	@$(MAKE) --no-print-directory all unit-bins tools
	@$(MAKE) --no-print-directory SAN=1 all unit-bins tools
	@sh tests/run.sh

# Score the throttle verdicts against the limiter lab's truth files (docs/accuracy.md):
# the committed folders, or with SEED=S [N=K] K fresh scenarios generated from seed S (root).
accuracy:
	@$(MAKE) --no-print-directory all
ifneq ($(SEED),)
	@bash tests/lab/generate.sh --seed $(SEED) --count $(or $(N),10) --out build/lab/seed-$(SEED) --keep-going \
		|| echo "make accuracy: some scenarios of seed $(SEED) failed to run; scoring the rest" >&2
	@python3 tests/lab/score.py --jtlscope ./jtlscope --json build/lab/seed-$(SEED).accuracy.json \
		build/lab/seed-$(SEED)
else
	@python3 tests/lab/score.py --jtlscope ./jtlscope --json build/lab/accuracy.json \
		$(wildcard tests/lab/corpus) tests/lab/bundled
endif
	@python3 tests/lab/whatif_score.py --jtlscope ./jtlscope --json build/lab/whatif.json

unit-bins: $(TEST_BIN)
tools: $(TOOL_BIN)

bench:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all tools
	@sh bench/bench.sh
	@sh bench/bench_batch.sh
	@sh bench/bench_capture.sh

man:
	@man -l docs/jtlscope.1

clean:
	rm -rf build build-san jtlscope jtlscope-san demo-report

# Installation: `make install PREFIX=/usr/local DESTDIR=` (staged installs set DESTDIR).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
INSTALL ?= install

.PHONY: install uninstall
install: jtlscope
	$(INSTALL) -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(BASHCOMPDIR)' '$(DESTDIR)$(ZSHCOMPDIR)'
	$(INSTALL) -m 755 jtlscope '$(DESTDIR)$(BINDIR)/jtlscope'
	$(INSTALL) -m 644 docs/jtlscope.1 '$(DESTDIR)$(MANDIR)/man1/jtlscope.1'
	$(INSTALL) -m 644 docs/completion/jtlscope.bash '$(DESTDIR)$(BASHCOMPDIR)/jtlscope'
	$(INSTALL) -m 644 docs/completion/_jtlscope '$(DESTDIR)$(ZSHCOMPDIR)/_jtlscope'

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/jtlscope' '$(DESTDIR)$(MANDIR)/man1/jtlscope.1' \
		'$(DESTDIR)$(BASHCOMPDIR)/jtlscope' '$(DESTDIR)$(ZSHCOMPDIR)/_jtlscope'

help:
	@echo "make            build ./jtlscope"
	@echo "make demo       install packages, build, analyse sample-data/demo, write demo-report/"
	@echo "make test       install packages, build (normal + ASan/UBSan), run every test"
	@echo "make bench      throughput and peak RSS on generated large inputs"
	@echo "make accuracy   score the verdicts on the limiter lab corpus (SEED=S N=K: fresh runs)"
	@echo "make SAN=1      sanitizer build (./jtlscope-san)"
	@echo "make WERROR=1   warnings are errors (CI)"
	@echo "make install    binary, man page, bash/zsh completion into DESTDIR PREFIX (/usr/local)"
	@echo "make uninstall  remove what make install put there"

-include fuzz/fuzz.mk
