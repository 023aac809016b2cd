# ipitrace build.  `make` builds build/ipitrace; `make test` runs every test;
# `make deps` installs what the build and the tests need (Debian 12).
# V=1 shows full commands.  VMLINUX_H=path uses a given vmlinux.h instead of
# generating one from the running kernel's BTF.

.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:
.DEFAULT_GOAL := all

ARCH     ?= $(shell uname -m)
HOSTARCH := $(shell uname -m)
# Cross build (make ARCH=ppc64le): a static ppc64le ipitrace and ipistorm in
# build/ppc64le/static/, with Debian's ppc64el libbpf/libelf/zlib/libzstd
# unpacked into build/ppc64le/sysroot and a powerpc vmlinux.h generated from
# the BTF in Debian 13's ppc64le kernel image (see docs/testing.md).
ifneq ($(ARCH),$(HOSTARCH))
CROSS    := 1
BUILD    ?= build/$(ARCH)
else
BUILD    ?= build
endif
ifeq ($(ARCH),ppc64le)
CROSS_PREFIX ?= powerpc64le-linux-gnu-
DEB_ARCH := ppc64el
endif
ifdef CROSS
ifndef DEB_ARCH
$(error ARCH=$(ARCH): only ppc64le can be cross-built (make ARCH=ppc64le))
endif
CC       := $(CROSS_PREFIX)gcc
endif
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_ARCH := $(patsubst x86_64,x86,$(patsubst ppc64le,powerpc,$(patsubst aarch64,arm64,$(ARCH))))

VMLINUX_H ?= $(BUILD)/vmlinux.h
SYSROOT  := $(BUILD)/sysroot

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -Wno-format \
            -Iinclude -I$(BUILD) -Iuser -MMD -MP -D_GNU_SOURCE
LDLIBS   += -lbpf -lelf -lz
ifdef CROSS
CFLAGS   += -isystem $(SYSROOT)/usr/include
LDFLAGS  += -L$(SYSROOT)/usr/lib/$(patsubst %-,%,$(CROSS_PREFIX))
endif
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror \
              -Iinclude -Ibpf -I$(dir $(VMLINUX_H)) -MMD -MP

# cmpxchg (tier 2's slots) needs BPF ISA v3 (kernels 5.12+; --detail needs 6.5+).
$(BUILD)/bpf/detail.bpf.o: BPF_CFLAGS += -mcpu=v3

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# The correlator and the recording format are a library with no BPF in it:
# unit tests, fuzzers and `report` use it without loading anything.
LIB_SRCS  := user/correlate.c user/recording.c user/crc32.c user/ksym.c user/procint.c \
             user/json.c user/util.c user/siphash.c
APP_SRCS  := user/main.c user/ladder.c user/ring.c user/record.c \
             user/report.c user/probe.c user/timeline.c user/ppc.c user/kimage.c user/sampler.c \
             user/watch.c user/detail.c user/waiter.c
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
APP_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(APP_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TOOL_BINS := $(BUILD)/tests/ipistorm $(BUILD)/tests/mkrec $(BUILD)/tests/pngcheck

# The same library and unit tests under AddressSanitizer and UBSan (no
# recovery: the first report fails the test), and a libFuzzer target over
# the recording reader and the correlator.  clang, with libclang-rt.
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=all
SAN_CFLAGS = $(filter-out -O2 -Wno-format-truncation,$(CFLAGS))
SAN_UNIT  := $(patsubst tests/unit/%.c,$(BUILD)/san/%,$(UNIT_SRCS))
FUZZ      := $(BUILD)/fuzz/fuzz_recording

$(BUILD)/san/test_%: tests/unit/test_%.c tests/unit/unit.h $(LIB_SRCS)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(SAN_CFLAGS) $(SAN_FLAGS) -Itests/unit $(filter %.c,$^) -lz -o $@

$(FUZZ): tests/fuzz/fuzz_recording.c $(LIB_SRCS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(SAN_CFLAGS) $(SAN_FLAGS) -fsanitize=fuzzer \
		-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $(filter %.c,$^) -lz -o $@

sanitize: $(SAN_UNIT) $(FUZZ)

# Benchmarks (not part of make test): prints a table, writes docs/PERFORMANCE.md.
# tests/bench/run.sh: overhead (ratios to untraced, alternating rounds, beside
# bpftrace, perf and the empty-program floor), BPF ns per event, event loss;
# then the correlator; then the same rounds in the qemu guests (emulated:
# the static x86-64 and ppc64le builds).  BENCH_QUICK=1: about a minute, for
# development; BENCH_GUESTS=0: no guests; BENCH_GUESTS=only: only the guests.
BENCH_BINS := $(BUILD)/tests/bench-floor $(BUILD)/bench/floor.bpf.o \
              $(BUILD)/bench/ring-shared.bpf.o $(BUILD)/bench/ring-percpu.bpf.o
bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
ifneq ($(BENCH_GUESTS),0)
	$(Q)$(MAKE) --no-print-directory ARCH=ppc64le BUILD=$(BUILD)/ppc64le all
endif
	$(Q)tests/bench/run.sh

$(BUILD)/bench/floor.bpf.o: tests/bench/floor.bpf.c $(VMLINUX_H)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/ring-shared.bpf.o: tests/bench/ring.bpf.c $(VMLINUX_H)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DBENCH_SHARED_RING -c $< -o $@

$(BUILD)/bench/ring-percpu.bpf.o: tests/bench/ring.bpf.c $(VMLINUX_H)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/bench-floor: tests/bench/floor.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -lbpf -o $@

.PHONY: all clean test deps demo unit sanitize bench
ifdef CROSS
all: $(BUILD)/static/ipitrace $(BUILD)/static/ipistorm
else
all: $(BPF_OBJS) $(BUILD)/ipitrace $(TOOL_BINS) $(UNIT_BINS) $(SAN_UNIT) $(FUZZ) \
     $(BUILD)/static/ipitrace $(BUILD)/static/ipistorm
endif

ifdef CROSS
# The target's libraries: Debian's own ppc64el packages, downloaded with a
# private apt state (tests/xapt) and unpacked, never installed.
SYSROOT_DEBS := libbpf-dev libelf-dev zlib1g-dev libzstd-dev
$(SYSROOT)/.stamp:
	$(call msg,SYSROOT,$(SYSROOT))
	$(Q)rm -rf $(SYSROOT) $(BUILD)/debs && mkdir -p $(SYSROOT) $(BUILD)/debs
	$(Q)BUILD=$(BUILD) tests/xapt bookworm $(DEB_ARCH) $(BUILD)/debs $(SYSROOT_DEBS) >/dev/null
	$(Q)for d in $(BUILD)/debs/*.deb; do dpkg-deb -x $$d $(SYSROOT) || exit 1; done
	$(Q)touch $@

# vmlinux.h for the target: from the .BTF section of Debian 13's kernel image
# (the newest kernel of the arch that has BTF; Debian 12's has none).  The
# programs that must load on a kernel without BTF use only UAPI types
# (struct pt_regs) and raw u64 arguments, so one header serves both.
KBTF_DIR := $(BUILD)/kbtf
$(KBTF_DIR)/vmlinux.btf:
	$(call msg,KBTF,$@)
	$(Q)mkdir -p $(KBTF_DIR)
	$(Q)rm -f $(KBTF_DIR)/*.deb; BUILD=$(BUILD) tests/xapt trixie $(DEB_ARCH) $(KBTF_DIR) \
		'linux-image-6\.12\.[0-9]*+deb13-powerpc64le' >/dev/null
	$(Q)rm -rf $(KBTF_DIR)/x && dpkg-deb --fsys-tarfile $(KBTF_DIR)/*.deb | \
		tar x -C $(KBTF_DIR) --wildcards './boot/vmlinux-*' --transform 's,.*/,x/,'
	$(Q)$(CROSS_PREFIX)objcopy -O binary --only-section=.BTF $(KBTF_DIR)/x/vmlinux-* $@
	$(Q)rm -rf $(KBTF_DIR)/x $(KBTF_DIR)/*.deb

$(BUILD)/vmlinux.h: $(KBTF_DIR)/vmlinux.btf
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file $< format c > $@

# Kernels without BTF (Debian 12 ppc64le): libbpf refuses an object with
# CO-RE relocations unless given some BTF.  The relocations used by the
# programs that load there are against stable layouts (struct pt_regs, the
# csd's u_flags; for the tier 1 sampler's addr rung the csd, cfd_data's
# first word, powerpc's irq_cpustat_t and kstat.irqs_sum), so the minimal
# BTF for them, cut from Debian 13's kernel BTF, is embedded and handed to
# libbpf (user/ladder.c, user/sampler.c).
MIN_BTF_OBJS := $(BUILD)/bpf/tracepoints.bpf.o $(BUILD)/bpf/sampler_addr.bpf.o
$(BUILD)/min_btf.h: $(MIN_BTF_OBJS) $(KBTF_DIR)/vmlinux.btf
	$(call msg,MIN-BTF,$@)
	$(Q)$(BPFTOOL) gen min_core_btf $(KBTF_DIR)/vmlinux.btf $(BUILD)/min.btf $(MIN_BTF_OBJS)
	$(Q)cd $(BUILD) && xxd -i min.btf | sed 's/^unsigned char min_btf\[\]/static const unsigned char min_btf[]/; s/^unsigned int .*//' > min_btf.h
CFLAGS += -DIPT_HAVE_MIN_BTF
$(BUILD)/user/ladder.o $(BUILD)/user/sampler.o: $(BUILD)/min_btf.h

$(APP_OBJS) $(LIB_OBJS): $(SYSROOT)/.stamp
endif

ifndef CROSS
$(BUILD)/vmlinux.h:
	$(call msg,BTF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "no /sys/kernel/btf/vmlinux: pass VMLINUX_H=path/to/vmlinux.h" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@
endif

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(BUILD)/user/%.o: user/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/ipitrace: $(APP_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Static binaries for the qemu guests' busybox initramfs (tests/vm/).
# Debian's libelf needs libzstd when linked statically.
$(BUILD)/static/ipitrace: $(APP_OBJS) $(LIB_OBJS)
	$(call msg,LINK-ST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -static $^ -l:libbpf.a -l:libelf.a -l:libz.a -l:libzstd.a -o $@

$(BUILD)/static/ipistorm: tests/ipistorm.c
	$(call msg,CC-ST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -static -pthread $< -o $@

$(BUILD)/tests/ipistorm: tests/ipistorm.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -pthread $< -o $@

$(BUILD)/tests/mkrec: tests/mkrec.c $(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -lz -o $@

# Decodes the timeline test's Chromium screenshot (zlib only).
$(BUILD)/tests/pngcheck: tests/pngcheck.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -lz -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/unit.h $(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(filter %.c %.o,$^) -lz -o $@

# Debian packages the build and the tests need.  Idempotent and quiet when
# everything is there; apt-get update only when something is missing.
DEB_PKGS := clang gcc make bpftool libbpf-dev libelf-dev zlib1g-dev jq \
            libclang-rt-14-dev libzstd-dev qemu-system-x86 busybox-static cpio \
            chromium time \
            qemu-system-ppc gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross \
            linux-libc-dev-ppc64el-cross \
            prometheus rsyslog curl systemd xz-utils \
            bpftrace linux-perf
deps:
	$(Q)missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
		|| { echo "make deps: apt-get install failed for:" $$missing >&2; exit 1; }; \
	fi

unit: $(UNIT_BINS)

test: deps
	$(Q)$(MAKE) --no-print-directory all
ifndef CROSS
	$(Q)$(MAKE) --no-print-directory ARCH=ppc64le BUILD=$(BUILD)/ppc64le all
endif
	$(Q)tests/run

# A first look at this host: the hook plan (and watch's tier 1 rung), four
# seconds of `watch` on its real IPIs (membarrier load from the generator;
# --detail where the csd:* tracepoints exist), then three seconds of its
# real IPIs (with a TLB-shootdown load for the first two, so an idle host
# has something to show), recorded and correlated.
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(BUILD)/ipitrace probe
	@echo
	$(Q)$(BUILD)/tests/ipistorm -q -d 4 membarrier & \
	{ $(BUILD)/ipitrace watch --plain --detail -d 4 --threshold 500 || \
	  $(BUILD)/ipitrace watch --plain -d 4 --threshold 500; }; wait
	@echo
	$(Q)$(BUILD)/tests/ipistorm -q -d 2 tlb & $(BUILD)/ipitrace record -d 3 -o $(BUILD)/demo.ipit; wait
	@echo
	$(Q)$(BUILD)/ipitrace report $(BUILD)/demo.ipit

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/user/*.d $(BUILD)/bpf/*.d $(BUILD)/tests/*.d)
