# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the s2probe lab scripts. Sourced, not run.
#
# Cache layout (S2PROBE_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/s2probe):
#   apt/              private apt configuration and state (never /etc/apt)
#   debs/             downloaded .deb files, kept across runs
#   kernels/<series>/ unpacked kernel: boot/, lib/modules/<rel>/, headers in build/
#   kernels/<series>/release   the resolved `uname -r` of that series
#   rootfs/           L1 root file system image and its source tree
#   kernels/dbg/      the reference kernel (scripts/lab/refkernel): src/, obj/,
#                     build -> obj, vmlinuz, config, release, initrd.gz
#   kernels/perf/     its timing variant (scripts/lab/refkernel --variant perf): the
#                     same source (dbg's src/) and options without the
#                     debugging ones; obj/, build -> obj, ... as dbg
#   trixie-root/      amd64 trixie build root with gcc-14 (for 7.x kernels)

# (from this file's own place, scripts/lab/, whichever script sources it)
S2_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# S2_ME: the running script as a path from the top (scripts/lab/run), for
# its usage and messages
S2_ME=$(cd "$(dirname "$0")" && pwd)/${0##*/}
S2_ME=${S2_ME#"$S2_TOP"/}
S2_CACHE=${S2PROBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/s2probe}
S2_SERIES_ALL="6.1 6.12 7"
# make check also covers dbg, the debug reference kernel built from source.
S2_SERIES_CHECK="$S2_SERIES_ALL dbg"
# make check-full also the other granules: Debian's 16K flavours, 64K built.
S2_SERIES_GRANULES="6.12-16k 7-16k 64k"
S2_DEFAULT_SERIES=7

die() {
	printf '%s: error: %s\n' "$S2_ME" "$*" >&2
	exit 1
}

log() {
	printf '%s: %s\n' "$S2_ME" "$*" >&2
}

# check_series SERIES: accept 6.1, 6.12, 7 (7.x), 6.12-16k, 7-16k (Debian's
# -arm64-16k flavours of 6.12 and 7.x), 64k (built here), dbg (the reference
# kernel, see scripts/lab/refkernel) and perf (its timing variant, without
# lockdep and KASAN; make bench); print the canonical name.
check_series() {
	case "$1" in
	6.1 | 6.12 | 7 | dbg | perf | 6.12-16k | 7-16k | 64k) printf '%s\n' "$1" ;;
	7.*-16k) printf '7-16k\n' ;;
	7.*) printf '7\n' ;;
	*) die "unknown kernel series '$1' (use 6.1, 6.12, 7, dbg, perf, 6.12-16k, 7-16k or 64k)" ;;
	esac
}

# built_series SERIES: true for the kernels the lab builds from source
# (scripts/lab/refkernel) rather than fetches from Debian.
built_series() {
	[ "$1" = dbg ] || [ "$1" = perf ] || [ "$1" = 64k ]
}

# l2_series SERIES: the series whose kernel the L2 guests of an L1 running
# SERIES boot. The debug kernel would be far too slow nested: its L2 guests
# run Debian's 7.x kernel, whose source it is built from. The 16K and 64K
# kernels' guests boot the same kernel: a VM's granule is its own, but the
# same kernel tests the L1 kernel's KVM with a guest of its own page size.
l2_series() {
	case "$1" in
	dbg | perf) printf '7\n' ;;
	*) printf '%s\n' "$1" ;;
	esac
}

# selftests_series SERIES: the Debian kernel whose source SERIES' kernel is
# (or is built from): its KVM selftests are the ones to run there
selftests_series() {
	case "$1" in
	dbg | perf | 64k | 7-16k) printf '7\n' ;;
	6.12-16k) printf '6.12\n' ;;
	*) printf '%s\n' "$1" ;;
	esac
}

# selftests_dir SERIES: where scripts/lab/selftests puts the KVM selftests of
# SERIES' source ($S2_CACHE/selftests/X.Y); fails if that kernel is not fetched
selftests_dir() {
	local rel xy
	rel=$(cat "$(kdir "$(selftests_series "$1")")/release" 2>/dev/null) || return 1
	xy=$(printf '%s\n' "$rel" | sed -n 's/^\([0-9]*\.[0-9]*\)\..*/\1/p')
	[ -n "$xy" ] || return 1
	printf '%s/selftests/%s\n' "$S2_CACHE" "$xy"
}

kdir() {
	printf '%s/kernels/%s\n' "$S2_CACHE" "$1"
}

# kernel_release SERIES: the resolved uname -r of an already fetched series.
kernel_release() {
	local f
	f="$(kdir "$1")/release"
	[ -s "$f" ] || die "kernel $1 is not fetched yet: run 'scripts/lab/lab fetch --kernel $1'"
	cat "$f"
}

# The compiler a kernel was built with, as the name of a cross gcc.
# 7.x needs gcc 14, which only the trixie build root has.
kernel_needs_chroot() {
	[ "$1" = 7 ] || [ "$1" = 7-16k ] || built_series "$1"
}

# in_build_root DIRS CMD [ARG]...: run CMD in the trixie build root, with each
# of the space-separated DIRS (and /dev, /proc) bind-mounted at the same path,
# in a private mount namespace.
in_build_root() {
	local root=$S2_CACHE/trixie-root dirs=$1
	shift
	[ -x "$root/usr/bin/aarch64-linux-gnu-gcc-14" ] ||
		die "no gcc 14 build root: run 'scripts/lab/toolchain'"
	unshare -m sh -c '
		set -e
		root=$1 dirs=$2
		shift 2
		for p in $dirs /dev /proc; do
			mkdir -p "$root$p"
			mount --bind "$p" "$root$p"
		done
		exec chroot "$root" env -i PATH=/usr/bin:/bin HOME=/tmp LC_ALL=C.UTF-8 "$@"
	' sh "$root" "$dirs" "$@"
}
