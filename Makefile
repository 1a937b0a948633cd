# hpmm: one Makefile for the whole tree.  See README.md for the two commands that matter:
#   make demo    installs missing dependencies (as root), builds, runs a short real experiment
#   make test    builds the debug tree (ASan+UBSan where the component allows) and runs every suite
#
# Sources are discovered per folder, so adding a file needs no edit here:
#   base/ pal/ pagetable/            -> libhpmm-base.a   (layers 0-2)
#   mmu_sim/                         -> libhpmm-sim.a    (simulator, layer 3)
#   heap/ cache/                     -> libhpmm-heap.a   (allocator core, layers 3-4; testable under ASan)
#   base/ pal/ pagetable/ heap/ cache/ shim/ -> libhpmm.so (the malloc; -fPIC, never sanitized)
#   cli/ (all but main.cc)           -> libhpmm-cli.a    (hpmm-sim's commands; unit-tested)
#   cli/main.cc + libhpmm-cli.a      -> hpmm-sim
#   tests/<dir>/*.cc                 -> test_<dir>, one Criterion binary per folder
#   bench/*.cc                       -> bench_<name>

MODE      ?= release
BUILD     := build/$(MODE)
PREFIX    ?= /usr/local
DESTDIR   ?=
CXX       ?= g++
ifeq ($(origin CXX),default)
CXX       := g++
endif

CPPFLAGS  += -I. -Iinclude -MMD -MP
CXXFLAGS  += -std=c++20 -Wall -Wextra -Werror -pthread
LDLIBS    += -luring -lhugetlbfs -pthread

ifeq ($(MODE),debug)
OPT       := -O1 -g -fno-omit-frame-pointer -DHPMM_DEBUG=1 -DHPMM_EXPENSIVE_CHECKS=1
SAN       := -fsanitize=address,undefined -fno-sanitize-recover=undefined
else ifeq ($(MODE),release)
OPT       := -O2 -g -DNDEBUG
SAN       :=
else
$(error MODE must be release or debug, not '$(MODE)')
endif

srcs_in    = $(sort $(wildcard $(1)/*.cc))
BASE_SRCS := $(foreach d,base pal pagetable,$(call srcs_in,$(d)))
SIM_SRCS  := $(call srcs_in,mmu_sim)
HEAP_SRCS := $(foreach d,heap cache,$(call srcs_in,$(d)))
SHIM_SRCS := $(call srcs_in,shim)
CLI_SRCS  := $(call srcs_in,cli)
CLI_LIB_SRCS := $(filter-out cli/main.cc,$(CLI_SRCS))
TEST_DIRS := $(sort $(patsubst tests/%/,%,$(dir $(wildcard tests/*/*.cc))))
BENCH_SRCS:= $(call srcs_in,bench)

obj = $(patsubst %.cc,$(BUILD)/obj/%.o,$(1))
pic = $(patsubst %.cc,$(BUILD)/pic/%.o,$(1))

LIB_BASE  := $(BUILD)/libhpmm-base.a
LIB_SIM   := $(BUILD)/libhpmm-sim.a
LIB_HEAP  := $(BUILD)/libhpmm-heap.a
LIB_CLI   := $(BUILD)/libhpmm-cli.a
LIB_SO    := $(BUILD)/libhpmm.so
SIM_BIN   := $(BUILD)/hpmm-sim
TEST_BINS := $(foreach d,$(TEST_DIRS),$(BUILD)/tests/test_$(d))
BENCH_BINS:= $(patsubst bench/%.cc,$(BUILD)/bench/%,$(BENCH_SRCS))
# Plain -O2 programs run under LD_PRELOAD; their rules follow the generic bench rule.
ALLOC_BENCH_BINS := $(patsubst bench/alloc/%.cc,$(BUILD)/bench/alloc/%,$(wildcard bench/alloc/*.cc))
SHIM_PROG_BINS   := $(patsubst tests/shim/progs/%.cc,$(BUILD)/tests/shim-progs/%,$(wildcard tests/shim/progs/*.cc))

.PHONY: all deps test test-release demo bench install uninstall clean format check-format soak
.DEFAULT_GOAL := all

all: deps $(LIB_BASE) $(LIB_SIM) $(LIB_HEAP) $(if $(SHIM_SRCS),$(LIB_SO)) $(if $(CLI_SRCS),$(SIM_BIN)) $(BENCH_BINS) $(ALLOC_BENCH_BINS)

deps:
	@scripts/deps.sh build

# Sanitized (in debug) objects for the static libraries, tests and the CLI.
$(BUILD)/obj/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(OPT) $(SAN) -c $< -o $@

# Position-independent objects for libhpmm.so: never sanitized (the malloc shim cannot run under
# ASan), and free of exceptions' unwinding cost on the hot path where the code allows.
$(BUILD)/pic/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(OPT) -fPIC -ftls-model=initial-exec -fno-plt -c $< -o $@

$(LIB_BASE): $(call obj,$(BASE_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(LIB_SIM): $(call obj,$(SIM_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(LIB_HEAP): $(call obj,$(HEAP_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(LIB_CLI): $(call obj,$(CLI_LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# libhpmm.so: the malloc's own paths into pal/ make raw system calls only (no allocation, no
# libhugetlbfs call that may allocate); libraries it does not use are dropped by --as-needed.
# pal/*_libhugetlbfs.cc (the simulator's discovery) is left out, or libhugetlbfs and its
# constructor would be loaded into every program that preloads the malloc.
SO_BASE_SRCS := $(filter-out pal/%_libhugetlbfs.cc,$(BASE_SRCS))
# libhpmm.so is built without exceptions (nothing in it throws; new_delete.cc throws through
# libstdc++'s own __throw_bad_alloc, referenced weakly), so it does not load libstdc++ (1.6 MB
# of RSS) into every C program it is preloaded into.
$(BUILD)/pic/%.o: CXXFLAGS += -fno-exceptions
# shim/exports.map lists the only symbols it exports (the malloc family, new/delete, hpmm_*).
# -Bsymbolic-functions: its own calls among those (realloc -> malloc, free) bind inside it, so a
# dlopen(RTLD_LOCAL) of it (whose symbols are not the process's) stays one heap; preloaded or
# linked, they are the process's anyway.
SO_EXPORTS := $(wildcard shim/exports.map)
comma := ,
$(LIB_SO): $(call pic,$(SO_BASE_SRCS) $(HEAP_SRCS) $(SHIM_SRCS)) $(SO_EXPORTS)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(OPT) -shared -Wl,-soname,libhpmm.so -Wl,-z,now -Wl,-Bsymbolic-functions $(SO_EXPORTS:%=-Wl$(comma)--version-script=%) -o $@ $(filter %.o,$^) -Wl,--as-needed $(LDLIBS)

$(SIM_BIN): $(call obj,cli/main.cc) $(LIB_CLI) $(LIB_SIM) $(LIB_BASE)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(OPT) $(SAN) -o $@ $(call obj,cli/main.cc) $(LIB_CLI) $(LIB_SIM) $(LIB_BASE) $(LDLIBS)

# One Criterion binary per tests/ folder, linked with every library (a static library adds only
# the objects a test uses).  tests/shim is not sanitized: it drives libhpmm.so.
test_san = $(if $(filter shim,$(1)),,$(SAN))
TEST_LIBS := $(LIB_CLI) $(LIB_SIM) $(LIB_HEAP) $(LIB_BASE)
define test_rule
$(BUILD)/tests/test_$(1): $(patsubst %.cc,$(BUILD)/testobj/%.o,$(call srcs_in,tests/$(1))) $(TEST_LIBS)
	@mkdir -p $$(@D)
	$$(CXX) $$(CXXFLAGS) $$(OPT) $$(call test_san,$(1)) -o $$@ $$(patsubst %.cc,$$(BUILD)/testobj/%.o,$$(call srcs_in,tests/$(1))) $(TEST_LIBS) -lcriterion $$(LDLIBS)
endef
$(foreach d,$(TEST_DIRS),$(eval $(call test_rule,$(d))))

$(BUILD)/testobj/tests/shim/%.o: tests/shim/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(OPT) -c $< -o $@
$(BUILD)/testobj/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(OPT) $(SAN) -c $< -o $@

$(BUILD)/bench/%: bench/%.cc $(LIB_SIM) $(LIB_HEAP) $(LIB_BASE)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(OPT) $(SAN) -o $@ $< $(LIB_SIM) $(LIB_HEAP) $(LIB_BASE) $(LDLIBS)

# Plain programs run under LD_PRELOAD: the allocator workloads (bench/alloc/*.cc) and the helper
# programs of the preloaded-malloc suite (tests/shim/progs/*.cc).  They link no hpmm library (the
# malloc under test is the preloaded one), are always -O2 and never sanitized (ASan would replace
# the malloc being tested), in either MODE.  Static pattern rules, so the generic bench rule
# above does not claim bench/alloc/.
$(ALLOC_BENCH_BINS): $(BUILD)/bench/alloc/%: bench/alloc/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -O2 -g -o $@ $<
$(SHIM_PROG_BINS): $(BUILD)/tests/shim-progs/%: tests/shim/progs/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -O2 -g -o $@ $<
$(if $(SHIM_PROG_BINS),$(BUILD)/tests/test_shim: $(SHIM_PROG_BINS))

.PHONY: bench-alloc
bench-alloc:
	@scripts/deps.sh bench
	$(MAKE) --no-print-directory MODE=release all
	scripts/bench-alloc.sh $(BENCH_ALLOC_ARGS)

# make test: the debug tree (sanitizers on) and every suite, then the release build's suites that
# only make sense optimised (the shim under LD_PRELOAD).  scripts/run-tests.sh prints the totals.
test:
	@scripts/deps.sh test
	$(MAKE) --no-print-directory MODE=debug all tests
	$(MAKE) --no-print-directory MODE=release all
	scripts/run-tests.sh build/debug build/release

.PHONY: tests
tests: $(TEST_BINS)

# Regenerate the checked-in size-class table (heap/size_class_gen.hpp states the derivation).
.PHONY: size-classes
size-classes: $(BUILD)/tools/gen_size_classes
	$< > heap/size_class_table.inc.tmp && mv heap/size_class_table.inc.tmp heap/size_class_table.inc
$(BUILD)/tools/gen_size_classes: heap/tools/gen_size_classes.cc heap/size_class_gen.hpp
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(OPT) -o $@ $<

demo:
	@scripts/deps.sh demo
	$(MAKE) --no-print-directory MODE=release all
	scripts/demo.sh build/release

bench:
	@scripts/deps.sh bench
	$(MAKE) --no-print-directory MODE=release all
	scripts/bench.sh build/release

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/hpmm
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(SIM_BIN) $(DESTDIR)$(PREFIX)/bin/hpmm-sim
	$(if $(SHIM_SRCS),install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/libhpmm.so)
	install -m 644 include/hpmm/* $(DESTDIR)$(PREFIX)/include/hpmm/
	for m in man/*.[137]; do install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$${m##*.}/; done
	sed -e 's|@PREFIX@|$(PREFIX)|g' scripts/hpmm.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/hpmm.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/hpmm-sim $(DESTDIR)$(PREFIX)/lib/libhpmm.so
	rm -f $(DESTDIR)$(PREFIX)/lib/pkgconfig/hpmm.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/hpmm
	for m in man/*.[137]; do rm -f $(DESTDIR)$(PREFIX)/share/man/man$${m##*.}/$${m##*/}; done

# Every C++ source in the tree (any depth), except the build output and generated tables.
FORMAT_SRCS = $(shell git ls-files '*.cc' '*.hpp' '*.h' 2>/dev/null || find . -path ./build -prune -o \( -name '*.cc' -o -name '*.hpp' -o -name '*.h' \) -print)
format:
	clang-format -i $(FORMAT_SRCS)

check-format:
	clang-format --dry-run -Werror $(FORMAT_SRCS)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
