# common.sh - shared by scripts/demo and scripts/test: install missing
# Debian packages, then configure and build in ./build.

BUILD_PACKAGES="build-essential autoconf automake pkg-config libncurses-dev \
libpq-dev libsqlite3-dev libcjson-dev libcurl4-openssl-dev libssl-dev libreadline-dev check \
tzdata locales zlib1g-dev libzstd-dev"

missing_packages() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
			printf '%s ' "$p"
	done
}

install_packages() {
	local missing
	missing=$(missing_packages "$@")
	[ -n "$missing" ] || return 0
	echo "sluice: installing: $missing" >&2
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing
}

# Build in $BUILD_DIR (default ./build) with extra configure arguments.
build_sluice() {
	local top build
	top=$(pwd)
	build=${BUILD_DIR:-$top/build}
	if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ]; then
		autoreconf -fi
	fi
	mkdir -p "$build"
	if [ ! -f "$build/Makefile" ] || [ "$top/configure" -nt "$build/Makefile" ]; then
		(cd "$build" && "$top/configure" "$@")
	fi
	make -C "$build" -j"$(nproc)"
}
