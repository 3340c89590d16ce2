# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Debian package helpers for the lab scripts: a private apt configuration in
# $S2PROBE_CACHE/apt (never /etc/apt) and a download cache in debs/.
# Sourced after scripts/lab/common.sh, not run.

APT_DIR=$S2_CACHE/apt
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MIRROR=${S2PROBE_MIRROR:-http://deb.debian.org/debian}
SEC_MIRROR=${S2PROBE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

apt_opts() {
	printf '%s\n' -o "Dir::Etc=$APT_DIR/etc" -o "Dir::State=$APT_DIR/state" \
		-o "Dir::State::status=$APT_DIR/state/status" \
		-o "Dir::Cache=$APT_DIR/cache" -o "APT::Architecture=amd64" \
		-o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64" \
		-o "Debug::NoLocking=1" -o "Acquire::Retries=3" \
		-o "APT::Sandbox::User=root"
}

# papt TOOL ARGS...: run apt-get or apt-cache with the private configuration.
papt() {
	local tool=$1 o
	shift
	mapfile -t o < <(apt_opts)
	"$tool" "${o[@]}" "$@"
}

# setup_apt [1]: write the private configuration; update the package lists
# when they are older than 12 hours, or always with 1.
setup_apt() {
	local refresh=${1:-0}
	[ -r "$KEYRING" ] || die "$KEYRING missing: apt-get install debian-archive-keyring"
	mkdir -p "$APT_DIR/etc/sources.list.d" "$APT_DIR/etc/preferences.d" \
		"$APT_DIR/etc/apt.conf.d" "$APT_DIR/etc/trusted.gpg.d" \
		"$APT_DIR/state/lists/partial" "$APT_DIR/cache/archives/partial"
	touch "$APT_DIR/state/status"
	local opts="[arch=arm64,amd64 signed-by=$KEYRING]"
	cat >"$APT_DIR/etc/sources.list" <<EOS
deb $opts $MIRROR bookworm main
deb $opts $SEC_MIRROR bookworm-security main
deb $opts $MIRROR bookworm-backports main
deb $opts $MIRROR trixie main
deb $opts $MIRROR trixie-backports main
EOS
	local stamp=$APT_DIR/state/updated
	if [ "$refresh" = 1 ] || [ ! -e "$stamp" ] ||
		[ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
		log "updating private package lists"
		papt apt-get -q update >"$APT_DIR/update.log" 2>&1 ||
			{ tail -n 20 "$APT_DIR/update.log" >&2; die "apt-get update failed (private lists)"; }
		touch "$stamp"
	fi
}

# has_pkg NAME:ARCH - the package exists with a candidate version.
has_pkg() {
	papt apt-cache show "$1" >/dev/null 2>&1
}

# pkg_version NAME:ARCH: the candidate version of a package.
pkg_version() {
	papt apt-cache show --no-all-versions "$1" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1
}

# newest_in_suite NAME:ARCH SUITE [MIN]: the newest version of a package in
# one suite of the private lists (bookworm-backports, trixie, ...), if it is
# at least MIN; fails when there is none.
newest_in_suite() {
	local v best=""
	while read -r v; do
		[ -z "${3:-}" ] || dpkg --compare-versions "$v" ge "$3" || continue
		[ -z "$best" ] || dpkg --compare-versions "$v" gt "$best" || continue
		best=$v
	done < <(papt apt-cache madison "$1" 2>/dev/null |
		awk -F' [|] ' -v s="$2" '{ split($3, u, " "); split(u[2], d, "/"); if (d[1] == s) print $2 }')
	[ -n "$best" ] || return 1
	printf '%s\n' "$best"
}

# download NAME:ARCH [VERSION]: the .deb in $S2PROBE_CACHE/debs (fetched once),
# of VERSION or else the candidate version; prints its path.
download() {
	local pkg=$1 ver=${2:-} f
	mkdir -p "$S2_CACHE/debs"
	local base=${pkg%%:*} arch=${pkg##*:}
	[ -n "$ver" ] || ver=$(pkg_version "$pkg")
	[ -n "$ver" ] || die "package $pkg not on the mirror"
	f="$S2_CACHE/debs/${base}_${ver//:/%3a}_${arch}.deb"
	if [ ! -s "$f" ]; then
		log "downloading $pkg $ver"
		(cd "$S2_CACHE/debs" && papt apt-get -q download "$pkg=$ver" >/dev/null) ||
			die "download of $pkg $ver failed"
	fi
	[ -s "$f" ] || die "download of $pkg did not produce $f"
	printf '%s\n' "$f"
}
