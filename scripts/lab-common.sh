# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the s2probe lab scripts. Sourced, not run.
#
# Cache layout (S2PROBE_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/s2probe):
#   apt/              private apt configuration and state (never /etc/apt)
#   debs/             downloaded .deb files, kept across runs
#   kernels/<series>/ unpacked kernel: boot/, lib/modules/<rel>/, headers in build/
#   kernels/<series>/release   the resolved `uname -r` of that series
#   rootfs/           L1 root file system image and its source tree
#   trixie-root/      amd64 trixie build root with gcc-14 (for 7.x kernels)

S2_TOP=$(cd "$(dirname "$0")/.." && pwd)
S2_CACHE=${S2PROBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/s2probe}
S2_SERIES_ALL="6.1 6.12 7"
S2_DEFAULT_SERIES=7

die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

log() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# check_series SERIES: accept 6.1, 6.12 and 7 (7.x); print the canonical name.
check_series() {
	case "$1" in
	6.1 | 6.12 | 7) printf '%s\n' "$1" ;;
	7.*) printf '7\n' ;;
	*) die "unknown kernel series '$1' (use 6.1, 6.12 or 7)" ;;
	esac
}

kdir() {
	printf '%s/kernels/%s\n' "$S2_CACHE" "$1"
}

# kernel_release SERIES: the resolved uname -r of an already fetched series.
kernel_release() {
	local f
	f="$(kdir "$1")/release"
	[ -s "$f" ] || die "kernel $1 is not fetched yet: run 'scripts/lab fetch --kernel $1'"
	cat "$f"
}

# The compiler a kernel was built with, as the name of a cross gcc.
# 7.x needs gcc 14, which only the trixie build root has.
kernel_needs_chroot() {
	[ "$1" = 7 ]
}
