# onepass - GNU make + pkg-config. Targets:
#   make            build build/onepass
#   make run        install what is missing, build, start the demo
#   make check      install what is missing, build, run every test (ends with
#                   one line "N passed, N failed")
#   make asan       build the sanitizer variant into build/asan/
#   make fuzz       run every libFuzzer target longer (FUZZ_SECONDS each)
#   make bench      measure request rates with wrk on loopback
#   make lint       source guards (scripts/check-src.sh)

PKGS      := libmicrohttpd sqlite3 libpq libsodium jansson inih libcurl libcrypto
CC        ?= cc
CSTD      := -std=c17 -D_GNU_SOURCE
WARN      := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
             -Wmissing-prototypes -Wvla -Wimplicit-fallthrough -Werror
HARDEN    := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
OPT       ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS_ALL = $(CSTD) $(OPT) $(WARN) $(HARDEN) -Isrc -Ibuild/gen $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS_ALL = -pie -Wl,-z,relro,-z,now $(EXTRA_LDFLAGS)
LIBS       = $(PKG_LIBS) -lpthread

B         ?= build
SRC       := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
TEMPLATES := $(sort $(wildcard src/html/templates/*))
STATIC    := $(sort $(wildcard src/html/static/*))
GEN_SRC   := $(B)/gen/templates.c $(B)/gen/static.c $(B)/gen/blocklist.c
OBJ       := $(patsubst src/%.c,$(B)/obj/%.o,$(SRC)) \
             $(patsubst $(B)/gen/%.c,$(B)/obj/gen/%.o,$(GEN_SRC))
TEST_SUPPORT := $(shell find tests/support -name '*.c' 2>/dev/null | sort)
UNIT_SRC  := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
FUZZ_SRC  := $(shell find tests/fuzz -name 'fuzz_*.c' 2>/dev/null | sort)
FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(B)/fuzz-replay/%,$(FUZZ_SRC))

.PHONY: all deps run check asan fuzz fuzz-short bench lint clean unit print-pkgs
.DELETE_ON_ERROR:

all: $(B)/onepass

deps:
	@scripts/install-deps.sh

$(B)/embed: scripts/embed.c
	@mkdir -p $(@D)
	$(CC) -O1 -o $@ $<

$(B)/gen/templates.c: $(B)/embed $(TEMPLATES)
	@mkdir -p $(@D)
	$(B)/embed embedded_templates $@ $(TEMPLATES)

$(B)/gen/static.c: $(B)/embed $(STATIC)
	@mkdir -p $(@D)
	$(B)/embed embedded_static $@ $(STATIC)

$(B)/gen/blocklist.txt: scripts/gen-blocklist.js
	@mkdir -p $(@D)
	@test -d node_modules/zxcvbn || scripts/install-deps.sh
	node $< $@

$(B)/gen/blocklist.c: $(B)/embed $(B)/gen/blocklist.txt
	$(B)/embed embedded_blocklist $@ $(B)/gen/blocklist.txt

$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -c -o $@ $<

$(B)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(B)/libonepass.a: $(OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/onepass: src/main.c $(B)/libonepass.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(B)/libonepass.a $(LIBS)

$(B)/tests/%: tests/unit/%.c $(TEST_SUPPORT) $(B)/libonepass.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -Itests $(LDFLAGS_ALL) -o $@ $< $(TEST_SUPPORT) $(B)/libonepass.a $(LIBS)

# Fuzz targets built with gcc and a replay main: run over their corpora in
# every `make check`.
$(B)/fuzz-replay/%: tests/fuzz/%.c tests/fuzz/standalone.c $(B)/libonepass.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -Itests $(LDFLAGS_ALL) -o $@ $< tests/fuzz/standalone.c $(B)/libonepass.a $(LIBS)

unit: $(UNIT_BIN) $(FUZZ_REPLAY)

asan:
	$(MAKE) B=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" HARDEN="-fPIE" \
	  build/asan/onepass unit

run: deps all
	scripts/run-demo.sh

check: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory asan
	@scripts/run-tests.sh

fuzz:
	scripts/fuzz.sh $${FUZZ_SECONDS:-60}

bench: deps all
	scripts/bench.sh

lint:
	scripts/check-src.sh

clean:
	rm -rf build

# The pkg-config packages, for scripts that build outside make (fuzz.sh).
print-pkgs:
	@echo $(PKGS)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
