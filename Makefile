# physopt build.  `make` builds build/libphysopt.{a,so} and build/physopt;
# `make test` runs the cmocka suite (T=name runs tests/test_name*.c only);
# `make bench` runs the benchmarks; `make deps` installs Debian packages;
# `make SANITIZE=1 test` builds in build-san/ with ASan + UBSan;
# `make install PREFIX=/usr/local` installs a portable build (build-install/,
# no -march=native unless NATIVE=1 is given); docs/design-notes.md
# "Installing and linking".
PREFIX   ?= /usr/local
CC       ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
SANITIZE ?= 0
WERROR   ?= 0
# -march=native for the development build (the CIM kernels run about twice
# as fast with AVX-512 as with baseline x86-64); NATIVE=0 builds portable
# code.  Results are identical either way (docs/design-notes.md).
NATIVE   ?= 1
MPI      ?= 0
T        ?=

# MPI builds get their own object directory (flags are not tracked by make).
ifeq ($(MPI),1)
BUILD    ?= build-mpi
endif
ARCH     := $(if $(filter 1,$(NATIVE)),-march=native)
ifeq ($(NATIVE),0)
BUILD    ?= build-portable
endif
ifeq ($(SANITIZE),1)
BUILD    ?= build-san
OPT      ?= -O1 -g $(ARCH) -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
CPPFLAGS += -DPO_SANITIZE=1
LDSAN    := -fsanitize=address,undefined
else
BUILD    ?= build
OPT      ?= -O3 -g $(ARCH)
LDSAN    :=
endif

ifeq ($(MPI),1)
CC       := mpicc
MPIDEF   := -DPO_HAVE_MPI=1
endif

VERSION  := 0.1.0
SOVERSION:= 0
SONAME   := libphysopt.so.$(SOVERSION)
PKGS     := fftw3 gsl hdf5-serial openblas zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# GSL's .pc names its own reference CBLAS; OpenBLAS provides CBLAS for us.
PKG_LIBS := $(filter-out -lgslcblas,$(shell pkg-config --libs $(PKGS) 2>/dev/null))
SUNDIALS_LIBS := -lsundials_cvode -lsundials_nvecserial -lsundials_sunlinsolspgmr \
                 -lsundials_sunlinsoldense -lsundials_sunmatrixdense
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WFLAGS   := -Wall -Wextra -Wshadow -Wno-unused-parameter
ifeq ($(WERROR),1)
WFLAGS   += -Werror
endif
CPPFLAGS += -Iinclude -I. -D_POSIX_C_SOURCE=200809L -DPO_VERSION=\"$(VERSION)\" $(MPIDEF)
# -fvisibility=hidden: only what include/physopt/ declares is exported (its
# headers push default visibility).  -ffp-contract=off: no FMA contraction,
# so -march=native and portable builds give bit-identical results (GCC's
# default under -std=c11 already; clang contracts unless told).
CFLAGS   += -std=c11 $(OPT) -fPIC -fopenmp -fvisibility=hidden -ffp-contract=off $(WFLAGS) \
            $(PKG_CFLAGS) -MMD -MP
LDLIBS   := $(PKG_LIBS) $(SUNDIALS_LIBS) -fopenmp -lm $(LDSAN)

LIB_DIRS  := core solvers problems physics backends backends/* algorithms io
LIB_SRCS  := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CLI_SRCS  := $(sort $(wildcard cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/test_$(T)*.c))
# The Python package's tests (pytest from Debian, python/tests) run as one
# entry of make test; T=python runs only them, another T skips them.
PYTHON    ?= /usr/bin/python3
PY_TESTS  := $(if $(filter-out python%,$(T)),,tests/python.sh)
TEST_UTIL := $(sort $(wildcard tests/util/*.c))
BENCH_SRCS:= $(sort $(wildcard bench/bench_*.c))

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/%.o)
TEST_UTIL_OBJS := $(TEST_UTIL:%.c=$(BUILD)/%.o)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
BENCH_BINS:= $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
# Test and bench objects are built by pattern rules; keep them so that a
# second `make test` relinks nothing it does not have to.
.SECONDARY: $(TEST_BINS:=.o) $(BENCH_BINS:=.o) $(TEST_UTIL_OBJS)

GIT_REV  := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)

.PHONY: all test check check-layers demo bench deps ensure-deps install clean format check-format FORCE fuzz fuzz-run
all: $(BUILD)/libphysopt.a $(BUILD)/libphysopt.so $(if $(CLI_SRCS),$(BUILD)/physopt)
.PHONY: install-built check-exports check-install

# Objects are rebuilt when the compiler or its code-generating flags change
# (NATIVE=..., OPT=..., a new -f option), not only when a source changes;
# warning flags (WERROR=1) do not count.
CODEGEN  := $(CC) $(CPPFLAGS) $(filter-out $(WFLAGS),$(CFLAGS))
$(BUILD)/cflags.txt: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CODEGEN)' | cmp -s - $@ || echo '$(CODEGEN)' > $@

# The batched Box-Muller of solvers/rng.c and the quantum-noise step of
# physics/opo.c vectorise only without errno semantics (their sqrt
# arguments are never negative, so the results are the same).
$(BUILD)/solvers/rng.o $(BUILD)/physics/opo.o: CFLAGS += -fno-math-errno

$(BUILD)/%.o: %.c $(BUILD)/cflags.txt
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The git revision goes into one object only, rebuilt when it changes.
$(BUILD)/git-rev.txt: FORCE
	@mkdir -p $(BUILD)
	@echo '$(GIT_REV)' | cmp -s - $@ || echo '$(GIT_REV)' > $@
$(BUILD)/core/version.o: $(BUILD)/git-rev.txt
$(BUILD)/core/version.o: CPPFLAGS += -DPO_GIT_REV=\"$(GIT_REV)\"
# Likewise the installed configs directory (po_config_find), rebuilt when
# PREFIX changes.
$(BUILD)/config-dir.txt: FORCE
	@mkdir -p $(BUILD)
	@echo '$(PREFIX)/share/physopt/configs' | cmp -s - $@ || echo '$(PREFIX)/share/physopt/configs' > $@
$(BUILD)/core/config_path.o: $(BUILD)/config-dir.txt
$(BUILD)/core/config_path.o: CPPFLAGS += -DPO_CONFIG_DIR=\"$(PREFIX)/share/physopt/configs\"

$(BUILD)/libphysopt.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# libphysopt.so -> libphysopt.so.0 (the SONAME) -> libphysopt.so.0.1.0.
$(BUILD)/libphysopt.so.$(VERSION): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS)

$(BUILD)/libphysopt.so: $(BUILD)/libphysopt.so.$(VERSION)
	ln -sf libphysopt.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

$(BUILD)/physopt: $(CLI_OBJS) $(BUILD)/libphysopt.a
	$(CC) -o $@ $(CLI_OBJS) $(BUILD)/libphysopt.a $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_UTIL_OBJS) $(BUILD)/libphysopt.a
	$(CC) -o $@ $< $(TEST_UTIL_OBJS) $(BUILD)/libphysopt.a $(CMOCKA_LIBS) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libphysopt.a
	$(CC) -o $@ $< $(BUILD)/libphysopt.a $(LDLIBS)

# `make test` and `make demo` first install missing Debian packages, then
# re-run make so that pkg-config sees them.
test: ensure-deps
	@$(MAKE) --no-print-directory check

demo: ensure-deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/physopt solve

# Every test binary runs from the repository root (fixtures are found at
# tests/... and ../shared/data); the summary line counts binaries.
check: $(TEST_BINS) $(if $(CLI_SRCS),$(BUILD)/physopt) $(BUILD)/libphysopt.so check-layers check-exports
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) PYTHON=$(PYTHON) sh tests/run-all.sh $(TEST_BINS) $(PY_TESTS)

# Exported symbols of libphysopt.so = what include/physopt/*.h declares.
check-exports: $(BUILD)/libphysopt.so
	@CC="$(CC)" sh scripts/check-exports.sh $(BUILD)/libphysopt.so include/physopt/*.h

# make install into a temporary prefix, then build and run the README's
# library example against it (shared and static).  A full portable build
# the first time (minutes on 2 cores), so it runs in .ci/run, not make test.
check-install:
	@sh scripts/check-install.sh

# Every folder uses only the folders below it (docs/design-notes.md).
check-layers: $(LIB_OBJS) $(CLI_OBJS)
	@sh scripts/check-layers.sh $(BUILD) $(LIB_OBJS) $(CLI_OBJS)

bench: $(BENCH_BINS) $(if $(CLI_SRCS),$(BUILD)/physopt) $(BUILD)/libphysopt.so
	@BUILD=$(BUILD) sh bench/run-all.sh $(BENCH_BINS) bench/bench_python.py
	@echo "== scripts/cim-hamerly2019.sh (reduced: N = 10 ... 50, 5 instances, 16 replicas)"
	@BUILD=$(BUILD) SIZES="10 20 30 40 50" INSTANCES="0 1 2 3 4" sh scripts/cim-hamerly2019.sh 16

# `make fuzz`: libFuzzer targets tests/fuzz/fuzz_NAME.c (clang, ASan +
# UBSan, objects in build-fuzz/), each run FUZZ_RUNS inputs from its seed
# corpus tests/fuzz/corpus/NAME/ (new finds go to build-fuzz/fuzz/corpus-*).
# Separate from `make test`, which needs no clang.
FUZZ_RUNS ?= 20000
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
fuzz:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
	  OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
	  LDSAN="-fsanitize=address,undefined" fuzz-run

fuzz-run: $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
	@for t in $^; do n=$${t##*/}; c=$(BUILD)/fuzz/corpus-$${n#fuzz_}; log=$$t.log; mkdir -p $$c; \
	  if $$t -runs=$(FUZZ_RUNS) -max_len=4096 -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/ \
	      $$c tests/fuzz/corpus/$${n#fuzz_} >$$log 2>&1; then \
	    echo "fuzz: $$n: $$(grep -o 'number_of_executed_units: [0-9]*' $$log), no failure"; \
	  else tail -30 $$log; echo "fuzz: $$n FAILED (full log: $$log)"; exit 1; fi; done

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_input.h $(BUILD)/libphysopt.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libphysopt.a $(LDLIBS)

DEB_PKGS := build-essential pkg-config libfftw3-dev libgsl-dev libhdf5-dev libopenblas-dev \
            libsundials-dev libcmocka-dev libopenmpi-dev openmpi-bin gnuplot-nox \
            dataset-fashion-mnist python3-h5py python3-numpy hdf5-tools zlib1g-dev \
            python3-pytest python3-scipy python3-matplotlib
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	  grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "all Debian dependencies present"; fi

ensure-deps:
	@pkg-config --exists $(PKGS) cmocka 2>/dev/null && [ -e /usr/include/cvode/cvode.h ] && \
	  $(PYTHON) -c 'import numpy, pytest' 2>/dev/null || \
	  $(MAKE) --no-print-directory deps

# make install: a portable build unless NATIVE=1 is given on the command
# line; the CLI links libphysopt statically, programs built with pkg-config
# find the shared library through the rpath in physopt.pc.
INSTALL_NATIVE := $(if $(filter command line environment,$(origin NATIVE)),$(NATIVE),0)
install:
	@$(MAKE) --no-print-directory NATIVE=$(INSTALL_NATIVE) \
	  BUILD=$(if $(filter 1,$(INSTALL_NATIVE)),build-install-native,build-install) install-built

LIBDIR   := $(PREFIX)/lib
# The Python package goes where Debian's python3 looks for PREFIX:
# /usr/lib/python3/dist-packages for /usr, PREFIX/lib/python3.X/dist-packages
# otherwise (/usr/local/lib/python3.11/dist-packages is on its sys.path);
# _libpath.py tells it where the installed libphysopt.so is.
PYDIR    ?= $(shell $(PYTHON) -c 'import sys; p = "$(PREFIX)"; \
  print(p + "/lib/python3/dist-packages" if p == "/usr" else \
        "%s/lib/python%d.%d/dist-packages" % (p, sys.version_info[0], sys.version_info[1]))')
install-built: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PREFIX)/include/physopt \
	  $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/share/physopt
	install -m 644 $(BUILD)/libphysopt.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(BUILD)/libphysopt.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libphysopt.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libphysopt.so
	install -m 644 include/physopt/*.h $(DESTDIR)$(PREFIX)/include/physopt/
	install -m 755 $(BUILD)/physopt $(DESTDIR)$(PREFIX)/bin/
	rm -rf $(DESTDIR)$(PREFIX)/share/physopt/configs
	cp -r configs $(DESTDIR)$(PREFIX)/share/physopt/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	  physopt.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/physopt.pc
	install -d $(DESTDIR)$(PYDIR)/physopt
	install -m 644 python/physopt/*.py $(DESTDIR)$(PYDIR)/physopt/
	echo 'LIBPHYSOPT = "$(LIBDIR)/$(SONAME)"  # written by make install' \
	  > $(DESTDIR)$(PYDIR)/physopt/_libpath.py

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
check-format:
	@clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san build-mpi build-portable build-install build-install-native

FORCE:
-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TEST_BINS:=.d) $(BENCH_BINS:=.d)
