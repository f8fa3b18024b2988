# iommutrace top-level Makefile.
#
#   make            build/iommutrace (BPF objects, skeleton, static user-space binary)
#   make kmod       kernel modules for the lab kernels (or KDIR=/path/to/headers)
#   make test       install what is missing, build, run unit + BPF + lab VM tests
#   make demo       install what is missing, build, run iommutrace in the lab VM under traffic
#   make bench      overhead benchmarks in the lab VM, written to docs/BENCHMARKS.md
#   make vmlinux-h  a full build/vmlinux.h from this machine's BTF, for reference
#   make format     clang-format the tree

VERSION    := 0.1.0
BUILD      := build
CLANG      ?= clang
BPFTOOL    ?= bpftool
LLVM_STRIP ?= llvm-strip
CC         ?= cc
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
LAB_CACHE  ?= $(or $(IOMMUTRACE_LAB_CACHE),/var/cache/iommutrace-lab)
# The lab kernels: tests/kernels lists them (modules are built for each).
LAB_KERNELS ?= $(shell awk '!/^#/ && NF >= 2 { print $$1 }' tests/kernels)
NPROC      := $(shell nproc 2>/dev/null || echo 1)

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_HDRS   := $(wildcard bpf/*.h)
# maps.bpf.o first: the static linker needs the map definitions before their extern uses.
BPF_OBJS   := $(BUILD)/bpf/maps.bpf.o $(filter-out $(BUILD)/bpf/maps.bpf.o,\
              $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS)))
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -I/usr/include/$(shell uname -m)-linux-gnu -Ibpf

CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Werror -Wno-format-truncation -D_GNU_SOURCE -DIOMMUTRACE_VERSION='"$(VERSION)"' \
              -Ibpf -Iuser -I$(BUILD)
# Everything linked in statically: one file that starts on any x86-64 Linux whatever its libc and
# libraries (ldd: "not a dynamic executable"). libmicrohttpd is Debian's source built without TLS
# (scripts/build-microhttpd): Debian's own archive needs gnutls, which has none. --fatal-warnings:
# a static glibc function that loads NSS modules at run time (getaddrinfo, getpwuid, ...) fails the
# link, since the host's modules may not match (a static snapshot crashed in libnss_systemd).
MHD_PREFIX ?= $(LAB_CACHE)/static/libmicrohttpd
CFLAGS     += -I$(MHD_PREFIX)/include
LDLIBS     := -L$(MHD_PREFIX)/lib -lbpf -lelf -lz -lzstd -ljson-c -lncursesw -ltinfo -lmicrohttpd -lpthread -lm
LDFLAGS_BIN := -static -Wl,--fatal-warnings

USER_SRCS  := $(wildcard user/*.c)
USER_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
LIB_OBJS   := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))

.PHONY: all deps kmod check test test-matrix test-bins kmod-one min-btf demo bench vmlinux-h format check-format clean

all: $(BUILD)/iommutrace

.DELETE_ON_ERROR:

deps:
	@scripts/install-deps

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(LLVM_STRIP) -g $@

# One object from all parts (maps.bpf.c defines the shared maps), then its skeleton.
$(BUILD)/iommutrace.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/iommutrace.skel.h: $(BUILD)/iommutrace.bpf.o
	$(BPFTOOL) gen skeleton $< name iommutrace_bpf > $@.tmp && mv $@.tmp $@

$(MHD_PREFIX)/.complete:
	@scripts/build-microhttpd

$(BUILD)/user/%.o: user/%.c $(wildcard user/*.h) bpf/iommutrace.h $(BUILD)/iommutrace.skel.h | $(BUILD)/user $(MHD_PREFIX)/.complete
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libiommutrace.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/iommutrace: $(BUILD)/user/main.o $(BUILD)/libiommutrace.a
	$(CC) $(CFLAGS) $(LDFLAGS_BIN) -o $@ $^ $(LDLIBS)

$(BUILD)/bpf $(BUILD)/user $(BUILD)/tests:
	@mkdir -p $@

# --- kernel modules ------------------------------------------------------------------------------
# Each kernel gets its own copy of the sources: Kbuild writes objects next to them.
KMOD_SRCS := Kbuild $(wildcard kmod/*.c kmod/*.h tests/drivers/*.c tests/drivers/*.h)
KMOD_SRCS += $(wildcard bench/*.c)
ifdef KDIR
kmod:
	@$(MAKE) --no-print-directory kmod-one KDIR_ONE=$(KDIR) KNAME=custom
else
kmod:
	@for k in $(LAB_KERNELS); do $(MAKE) --no-print-directory kmod-one KDIR_ONE=$(LAB_CACHE)/$$k/build KNAME=$$k || exit 1; done
endif
kmod-one:
	@test -d "$(KDIR_ONE)" || { echo "kmod: no kernel headers at $(KDIR_ONE) (run scripts/install-deps or pass KDIR=)"; exit 1; }
	@mkdir -p $(BUILD)/kmod/$(KNAME)
	@cp --parents $(KMOD_SRCS) bpf/iommutrace.h bpf/vtd_regs.h $(BUILD)/kmod/$(KNAME)/
	$(MAKE) -s -C $(KDIR_ONE) M=$(CURDIR)/$(BUILD)/kmod/$(KNAME) CONFIG_DEBUG_INFO_BTF_MODULES= modules

# --- tests ---------------------------------------------------------------------------------------
TEST_CFLAGS := $(CFLAGS) -Wno-unused-parameter
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libiommutrace.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) -o $@ $< $(BUILD)/libiommutrace.a $(LDLIBS) -lcmocka

# BPF logic tests: raw_tp wrappers around the real logic, run with BPF_PROG_TEST_RUN.
$(BUILD)/tests/logic.bpf.o: tests/bpf/logic.bpf.c $(BPF_HDRS) $(BPF_OBJS) | $(BUILD)/tests
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.part
	$(LLVM_STRIP) -g $@.part
	$(BPFTOOL) gen object $@ $(BPF_OBJS) $@.part

$(BUILD)/tests/logic.skel.h: $(BUILD)/tests/logic.bpf.o
	$(BPFTOOL) gen skeleton $< name logic_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/test_bpf_logic: tests/bpf/test_bpf_logic.c $(BUILD)/tests/logic.skel.h $(BUILD)/libiommutrace.a
	$(CC) $(TEST_CFLAGS) -I$(BUILD)/tests -o $@ $< $(BUILD)/libiommutrace.a $(LDLIBS) -lcmocka

# libFuzzer target for the snapshot reader (and diff/doctor behind it), built with clang.
FUZZ_SRCS := user/snapdoc.c user/snapdiff.c user/doctor.c user/hostinfo.c
$(BUILD)/tests/fuzz_snapdoc: tests/fuzz/fuzz_snapdoc.c $(FUZZ_SRCS) $(wildcard user/*.h) | $(BUILD)/tests
	$(CLANG) -g -O1 -std=gnu11 -D_GNU_SOURCE -Iuser -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -DIOMMUTRACE_VERSION='"$(VERSION)"' -o $@ $< $(FUZZ_SRCS) \
		-ljson-c -lz

# libFuzzer target for the recording reader (tests/fuzz/run): clang, the reader's sources directly.
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address -Ibpf -Iuser
$(BUILD)/tests/fuzz_recording: tests/fuzz/fuzz_recording.c user/recording.c user/snapshot.c \
		user/recording.h user/snapshot.h bpf/iommutrace.h | $(BUILD)/tests
	$(CLANG) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_recording.c user/recording.c user/snapshot.c

# Lab helper: attach and detach every program again and again under traffic (lab-attach-trials).
$(BUILD)/tests/attach_cycle: tests/lab/attach_cycle.c $(BUILD)/libiommutrace.a | $(BUILD)/tests
	$(CC) $(CFLAGS) -static -o $@ $< $(BUILD)/libiommutrace.a $(LDLIBS)

test-bins: $(BUILD)/iommutrace $(UNIT_BINS) $(BUILD)/tests/test_bpf_logic $(BUILD)/tests/fuzz_snapdoc \
	$(BUILD)/tests/fuzz_recording $(BUILD)/tests/attach_cycle

# make check: the everyday loop, everything that boots no guest (about a minute on 2 cores).
check:
	@scripts/install-deps --packages
	@$(MAKE) --no-print-directory -j$(NPROC) all test-bins
	@$(MAKE) --no-print-directory check-format
	@tests/run --no-vm

# make test: CI's suite (under 35 minutes on 2 cores): make check's tests, then the lab VM tests on
# each kernel in tests/kernels (the full e2e set on two, the smoke set on the others).
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all test-bins
	@$(MAKE) --no-print-directory kmod check-format
	@tests/run

# make test-matrix: every lab test on every lab kernel, outside CI -> docs/TEST-MATRIX.md.
test-matrix: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all test-bins
	@$(MAKE) --no-print-directory kmod
	@tests/run --matrix

demo: deps
	@$(MAKE) --no-print-directory all kmod
	@scripts/demo

bench: deps
	@$(MAKE) --no-print-directory all kmod
	@bench/run

# make min-btf KERNEL=VMLINUX [OUT=FILE]: a minimal BTF for `iommutrace --btf FILE` on a kernel
# without /sys/kernel/btf/vmlinux. KERNEL is that kernel's vmlinux with a .BTF section (a -dbg
# package's, or scripts/extract-vmlinux of its vmlinuz), BTFHub's file for it, or a lab kernel name.
min-btf: $(BUILD)/iommutrace.bpf.o
	@test -n "$(KERNEL)" || { echo "usage: make min-btf KERNEL=VMLINUX|BTF_FILE|LAB_KERNEL [OUT=FILE]"; exit 2; }
	@scripts/min-btf "$(KERNEL)" "$(or $(OUT),$(BUILD)/btf/$(notdir $(KERNEL)).btf)" $<

vmlinux-h: | $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(BUILD)/vmlinux.h

FORMAT_FILES := $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
check-format:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)
