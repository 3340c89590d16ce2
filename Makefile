# SPDX-License-Identifier: GPL-2.0
#
# On an arm64 KVM host: `make` builds s2probe.ko against the running kernel,
# `make -C bench` the guest module. In the lab (any x86_64 Debian machine):
# `make check` runs every test, `make demo` the end-to-end scenario,
# `make bench` s2probe's costs against upstream's stage-2 dump.
# Packaging: `make deb` builds build/deb/s2probe-dkms_VERSION_all.deb (module
# sources for DKMS) and build/deb/s2probe_VERSION_all.deb (the s2probe
# command, its metrics timer); `make dkms-install` installs both without a
# package (scripts/pkg/).

KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C tests/unit clean
	rm -rf build

unit:
	$(MAKE) -C tests/unit check

check:
	scripts/dev/check

# make check, and DKMS building the Debian package's module in L1 (3.5 min
# of one core more: over the warm budget of make check), the nested
# virtualization suite on the reference kernel (lab-dbg-nv, 3 min), and the
# 16K and 64K page kernels' suites (scripts/dev/check --granules); .ci/run runs it
check-full:
	scripts/dev/check --full

demo:
	scripts/dev/demo $(foreach k,$(KERNEL),--kernel $(k))

bench:
	scripts/dev/bench $(BENCH_ARGS)

deb:
	scripts/pkg/mkdeb

dkms-install:
	scripts/pkg/dkms-install

.PHONY: all modules clean unit check check-full demo bench deb dkms-install
