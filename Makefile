# inspect - look inside a running process.
#
#   make            build ./inspect
#   make demo       install missing packages (as root), build, run the demo
#   make check      all tests; ends with "N passed, N failed"
#   make SANITIZE=1 check   the same under ASan + UBSan
#   make bench      inspect against eu-stack and gdb (BENCH_N="100 1000")
#   make fuzz       libFuzzer on the symbolizer (FUZZ_SECONDS=120, FUZZ_RUNS, FUZZ_SEED)
#   make install    PREFIX=/usr/local, DESTDIR honoured
#   make V=1        show the commands
#   make DEVELOPER=1   stricter warnings, as errors (CI builds so)
#
# Dependencies come from Debian 12 packages, found through pkg-config.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
CC ?= cc
CXX ?= c++
PKG_CONFIG ?= pkg-config

PKGS = libunwind-generic libdw json-c libprotobuf-c zlib
DEB_BUILD = gcc make pkg-config libunwind-dev libdw-dev libelf-dev libncurses-dev \
	libjson-c-dev libiberty-dev liblzma-dev libprotobuf-c-dev protobuf-c-compiler \
	golang-github-google-pprof-dev zlib1g-dev libdebuginfod-dev
DEB_TEST = g++ strace elfutils python3 procps tmux man-db bsdutils gdb valgrind \
	nodejs openjdk-17-jdk-headless curl debuginfod

MODE = default
BASE_CFLAGS = -O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter
ifeq ($(SANITIZE),1)
MODE = sanitize
BASE_CFLAGS = -O1 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_LDFLAGS = -fsanitize=address,undefined
endif

ifeq ($(FUZZ),1)
MODE = fuzz
CC = clang
BASE_CFLAGS = -O1 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
SAN_LDFLAGS = -fsanitize=address,undefined
endif

# DEVELOPER=1: the warnings the code is kept clean of, as errors
ifeq ($(DEVELOPER),1)
BASE_CFLAGS += -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-Wdeclaration-after-statement -Wpointer-arith -Wvla -Wformat=2 -Wcast-qual \
	-Wundef -Wunused-macros -Wmissing-declarations
endif

OUT = build/$(MODE)
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(BASE_CFLAGS) -MMD -MP -I$(OUT)/gen $(PKG_CFLAGS) $(CFLAGS)
CURSES_CFLAGS = $(shell $(PKG_CONFIG) --cflags ncursesw 2>/dev/null)
CURSES_LIBS = $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null)
LIBS = $(PKG_LIBS) $(CURSES_LIBS) -liberty -lpthread

SRC = cli/inspect.c cli/options.c cli/stack.c cli/list.c cli/count.c cli/report.c cli/top.c \
	attach/proc.c attach/procnet.c attach/blocked.c attach/maps.c attach/proclist.c \
	attach/capture.c attach/gocapture.c attach/unwind.c attach/gounwind.c attach/vmread.c \
	attach/modfile.c attach/taskiter.c \
	symbolize/symbolize.c symbolize/gotab.c symbolize/goruntime.c symbolize/demangle.c \
	symbolize/debugcache.c symbolize/symcache.c symbolize/perfmap.c symbolize/debuginfod.c \
	model/model.c model/group.c model/wait.c model/top.c model/count.c model/golayout.c \
	model/gogroup.c model/locks.c \
	ui/text.c ui/folded.c ui/pprof.c ui/json.c ui/countout.c ui/toplayout.c ui/topkeys.c ui/topcurses.c \
	util/util.c util/syscalls.c
OBJ = $(SRC:%.c=$(OUT)/%.o) $(OUT)/gen/profile.pb-c.o
LIB_OBJ = $(filter-out $(OUT)/cli/%,$(OBJ))

ifeq ($(V),1)
Q =
say = @true
else
Q = @
say = @printf '  %-8s %s\n'
endif

all: inspect

# ./inspect is always the binary of the current mode (plain or SANITIZE)
inspect: $(OUT)/inspect FORCE
	$(Q)cp -f $(OUT)/inspect inspect

$(OUT)/inspect: $(OBJ) $(OUT)/FLAGS
	$(say) LINK $@
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $(OBJ) $(LIBS)

# pprof's profile.proto, as Debian ships it with pprof's sources: the
# messages of stack --pprof are generated from it, not written by hand.
# The generated code gets the plain warnings only.
PPROF_PROTO ?= /usr/share/gocode/src/github.com/google/pprof/proto/profile.proto
$(OUT)/gen/profile.pb-c.c $(OUT)/gen/profile.pb-c.h: $(PPROF_PROTO)
	@mkdir -p $(OUT)/gen
	$(say) PROTOC $(notdir $(PPROF_PROTO))
	$(Q)protoc-c --c_out=$(OUT)/gen -I$(dir $(PPROF_PROTO)) $(PPROF_PROTO)
$(OUT)/gen/profile.pb-c.o: $(OUT)/gen/profile.pb-c.c $(OUT)/FLAGS
	$(say) CC $(notdir $<)
	$(Q)$(CC) $(filter-out -W%,$(ALL_CFLAGS)) -c -o $@ $<
$(OUT)/ui/pprof.o: $(OUT)/gen/profile.pb-c.h

# ncursesw's flags define _XOPEN_SOURCE: only the curses layer gets them
$(OUT)/ui/topcurses.o: ALL_CFLAGS += $(CURSES_CFLAGS)

# The flags in force, written only when they change: every object
# depends on them, so `make CFLAGS=-O0` after a build rebuilds.
FLAGS_NOW = $(CC) $(ALL_CFLAGS) $(CURSES_CFLAGS) $(LDFLAGS) $(SAN_LDFLAGS) $(LIBS)
$(OUT)/FLAGS: FORCE
	@mkdir -p $(dir $@)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(subst ','\'',$(FLAGS_NOW))' ]; then \
		printf '%s\n' '$(subst ','\'',$(FLAGS_NOW))' > $@; fi

$(OUT)/%.o: %.c $(OUT)/FLAGS | $(OUT)/gen/syscallnames.h
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# x86-64 system call names, from the kernel headers
$(OUT)/gen/syscallnames.h:
	@mkdir -p $(dir $@)
	$(say) GEN $@
	$(Q)echo '#include <asm/unistd_64.h>' | $(CC) -E -dM - | \
	  awk 'BEGIN { print "static const char *const syscall_names[] = {" } \
	       /^#define __NR_[a-z0-9_]+ [0-9]+$$/ { n = $$2; sub("__NR_", "", n); \
	         print "\t[" $$3 "] = \"" n "\"," } END { print "};" }' > $@

# ---- tests ------------------------------------------------------------------
FIXTURES = $(OUT)/fixtures/states $(OUT)/fixtures/states-fp $(OUT)/fixtures/states-nocfi \
	$(OUT)/fixtures/inlined $(OUT)/fixtures/cxx $(OUT)/fixtures/zombie $(OUT)/fixtures/eintr $(OUT)/fixtures/jit \
	$(OUT)/fixtures/corrupt $(OUT)/fixtures/dstate $(OUT)/fixtures/pool \
	$(OUT)/fixtures/execer $(OUT)/fixtures/leaky $(OUT)/fixtures/churn \
	$(OUT)/fixtures/states-static $(OUT)/fixtures/locks $(OUT)/fixtures/locks-cxx
UNIT = $(OUT)/unit/test_model $(OUT)/unit/test_proc $(OUT)/unit/test_demangle $(OUT)/unit/test_count \
	$(OUT)/unit/test_top

# fixtures: -O0 unless said otherwise; states.c is built three ways
FIX_CFLAGS = -O0 -g
FIX_CFLAGS_inlined = -O2 -g
FIX_CFLAGS_pool = -O2 -g
$(OUT)/fixtures/%: tests/fixtures/%.c tests/fixtures/ready.h
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) $(or $(FIX_CFLAGS_$*),$(FIX_CFLAGS)) -pthread -o $@ $<
$(OUT)/fixtures/states-fp: tests/fixtures/states.c tests/fixtures/ready.h
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer -pthread -o $@ $<
# no CFI at all for the fixture's own code: only frame pointers unwind it
$(OUT)/fixtures/states-nocfi: tests/fixtures/states.c tests/fixtures/ready.h
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) -O0 -g0 -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	  -fno-unwind-tables -pthread -o $@ $<
$(OUT)/fixtures/states-static: tests/fixtures/states.c tests/fixtures/ready.h
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) -O0 -g -static -pthread -o $@ $<
$(OUT)/fixtures/cxx: tests/fixtures/cxx.cc tests/fixtures/ready.h
	@mkdir -p $(dir $@)
	$(say) CXX $@
	$(Q)$(CXX) -O0 -g -pthread -o $@ $<
$(OUT)/fixtures/locks-cxx: tests/fixtures/locks-cxx.cc tests/fixtures/ready.h
	@mkdir -p $(dir $@)
	$(say) CXX $@
	$(Q)$(CXX) -O0 -g -std=c++17 -pthread -o $@ $<

$(OUT)/unit/%: tests/unit/%.c $(LIB_OBJ) $(OUT)/FLAGS
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

# the symbolizer without a process, for hostile files (tests/fuzz/symfile.c)
$(OUT)/symfile: tests/fuzz/symfile.c $(LIB_OBJ) $(OUT)/FLAGS
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

# libFuzzer on the same entry point (clang; `make fuzz`)
$(OUT)/fuzz-symfile: tests/fuzz/symfile.c $(LIB_OBJ) $(OUT)/FLAGS
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -DFUZZ -fsanitize=fuzzer $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $< \
		$(LIB_OBJ) $(LIBS)

$(OUT)/demo-server: demo/demo-server.c
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) -O1 -g -pthread -o $@ $<

deps:
	@sh tests/deps.sh $(DEB_BUILD) $(DEB_TEST)

# the Go fixtures, with each Go toolchain installed (tests/go/toolchains.sh);
# built again when a toolchain comes after them
$(OUT)/go/.built: tests/fixtures/goleak/main.go tests/fixtures/gochurn/main.go \
		tests/fixtures/gocgo/main.go \
		tests/go/build-fixtures.sh $(wildcard /var/lib/dpkg/info/golang-1.*-go.list)
	$(say) GO $(OUT)/go
	$(Q)sh tests/go/build-fixtures.sh $(OUT)/go >/dev/null && touch $@

build-tests: inspect $(FIXTURES) $(UNIT) $(OUT)/demo-server $(OUT)/symfile $(OUT)/go/.built

check: deps
	@sh tests/go/toolchains.sh
	@$(MAKE) --no-print-directory build-tests
	@INSPECT_BUILD=$(OUT) sh tests/run.sh $(T)

$(OUT)/bench-target: bench/target.c
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) -O2 -g -pthread -o $@ $<

$(OUT)/bench-floor: bench/floor.c
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) -O2 -Wall -o $@ $<

$(OUT)/bench-timeit: bench/timeit.c
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) -O2 -Wall -o $@ $<

# fuzz the symbolizer with libFuzzer for FUZZ_SECONDS (seeds: small ELF
# files with DWARF built here, and system binaries); findings land in
# build/fuzz/ as crash-*/leak-*/timeout-* files, and the run fails.
# Leaks inside libdw/libelf themselves on malformed input are suppressed
# (tests/fuzz/lsan.supp): they are elfutils', not ours to fix.
FUZZ_SECONDS ?= 120
FUZZ_RUNS ?= -1
FUZZ_SEED ?= 0
fuzz: deps-build
	@sh tests/deps.sh clang libclang-rt-14-dev
	@$(MAKE) --no-print-directory FUZZ=1 build/fuzz/fuzz-symfile
	@mkdir -p build/fuzz/corpus build/fuzz/seeds
	@for f in tests/fixtures/inlined.c tests/fixtures/states.c; do \
		cc -g -O1 -pthread -o build/fuzz/seeds/$$(basename $$f .c) $$f; done
	@cp -f /bin/true build/fuzz/seeds/ 2>/dev/null || true
	@cp -f build/default/go/goleak-1.19-s build/fuzz/seeds/goleak 2>/dev/null || true
	@cd build/fuzz && INSPECT_CACHE_DIR=$(CURDIR)/build/fuzz/cache LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp \
		./fuzz-symfile -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) -seed=$(FUZZ_SEED) -max_len=65536 \
		-rss_limit_mb=2048 -timeout=20 -print_final_stats=1 corpus seeds; \
		st=$$?; rm -f /tmp/inspect-fuzz.*; exit $$st

# a benchmark, not a test: inspect against eu-stack and gdb (see bench/bench.py)
bench: deps-build
	@sh tests/deps.sh elfutils gdb python3 delve linux-perf
	@sh tests/go/toolchains.sh
	@$(MAKE) --no-print-directory inspect $(OUT)/bench-target $(OUT)/bench-floor \
		$(OUT)/bench-timeit $(OUT)/bench-gotarget
	@python3 bench/bench.py $(OUT) ./inspect $(BENCH_N)
	@python3 bench/gobench.py $(OUT) ./inspect $(BENCH_GO_N)

# the Go benchmark target, with the newest Go toolchain here, unstripped
# (Delve needs its DWARF)
$(OUT)/bench-gotarget: bench/gotarget/main.go
	@mkdir -p $(OUT)/gotarget-src
	$(say) GO $@
	$(Q)cp bench/gotarget/main.go $(OUT)/gotarget-src/ && \
	  printf 'module gotarget\n\ngo 1.19\n' > $(OUT)/gotarget-src/go.mod && \
	  go=$$(ls -d /usr/lib/go-1.*/bin/go | sort -V | tail -n 1) && \
	  cd $(OUT)/gotarget-src && HOME=$(CURDIR)/$(OUT)/gotarget-src GOCACHE=$(CURDIR)/$(OUT)/gocache \
	  GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=0 $$go build -o $(CURDIR)/$@ .

deps-build:
	@sh tests/deps.sh $(DEB_BUILD)

demo: deps-build
	@$(MAKE) --no-print-directory inspect $(OUT)/demo-server
	@sh demo/run-demo.sh $(OUT)/demo-server ./inspect

install: inspect
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 inspect $(DESTDIR)$(BINDIR)/inspect
	install -m 644 man/inspect.1 $(DESTDIR)$(MANDIR)/man1/inspect.1
	install -m 644 cli/completion.bash $(DESTDIR)$(BASHCOMPDIR)/inspect

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/inspect $(DESTDIR)$(MANDIR)/man1/inspect.1 \
		$(DESTDIR)$(BASHCOMPDIR)/inspect

clean:
	rm -rf build inspect

FORCE:
.PHONY: fuzz all check demo bench deps deps-build install uninstall clean build-tests FORCE

-include $(OBJ:.o=.d)
