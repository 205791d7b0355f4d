#!/usr/bin/env bash
# bench/build.sh: build, on this machine, what bench/gpu-check.sh runs on a GPU machine where
# Go is not installed, and check it before it travels. Everything lands in bench/bin/
# (git-ignored); carry it: run(command="bash bench/gpu-check.sh", carry=["bench/bin"], ...).
# `bash bench/gpu-check.sh --prepare` runs this.
#
#   bench/bin/juanji-bench      ./cmd/juanji-bench: trains each model for a fixed number of
#                               steps, prints `bench framework=gomlx ...` lines
#   bench/bin/pjrt-probe        ./bench/pjrt-probe: dlopen the plugin, its PJRT version, conv
#                               gradients against float64 loops, matmul GFLOP/s
#   bench/bin/<pkg>.test        `go test -c` of each package in GO_TEST_PKGS (default ./pkg/nn,
#                               whose TestNativeMatchesPortableGradientsOnXLA gpu-check runs),
#                               named with / -> __ (pkg__nn.test runs in pkg/nn)
#   bench/bin/MANIFEST          one line per file: size, sha256, newest GLIBC_ symbol version it
#                               needs, build time; gpu-check.sh checks the sha256 on arrival
#
# Each binary is then checked here: `file`, and that it runs (-h, or -test.list for tests).
# Binaries are stripped (-s -w) and built with -trimpath; BUILD_PLAIN=1 drops both (the
# rehearsal test uses it: the build cache of `go test` then serves). The carry limit is 64 MiB
# in all; when bench/bin passes PACK_OVER_MIB (default 56), the binaries are gzipped
# (gpu-check.sh unpacks *.gz). BENCH_BIN puts everything elsewhere.
# Exit status: 0 when every binary built, runs here and bench/bin fits, else 1.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD
BIN=${BENCH_BIN:-$ROOT/bench/bin}
GO_TEST_PKGS=${GO_TEST_PKGS:-./pkg/nn}
PACK_OVER_MIB=${PACK_OVER_MIB:-56}
LIMIT_MIB=64
export CGO_ENABLED=1
FLAGS=(-trimpath "-ldflags=-s -w")
[[ ${BUILD_PLAIN:-0} == 1 ]] && FLAGS=()
rc=0

mkdir -p "$BIN"
rm -f "$BIN"/juanji-bench "$BIN"/juanji-bench.gz "$BIN"/pjrt-probe "$BIN"/pjrt-probe.gz "$BIN"/*.test "$BIN"/*.test.gz "$BIN"/MANIFEST

say() { printf 'build %s\n' "$*"; }

# The two commands in one `go build` and the test binaries beside it: the links run in parallel.
build_tests() {
	local pkg rel name st=0
	for pkg in $GO_TEST_PKGS; do
		rel=${pkg#./}
		name=${rel//\//__}.test
		if go test -c "${FLAGS[@]}" -o "$BIN/$name" "$pkg"; then
			say "test $pkg ok -> $name"
		else
			say "test $pkg FAILED"; st=1
		fi
	done
	return $st
}
build_tests &
tests_pid=$!
if go build "${FLAGS[@]}" -o "$BIN/" ./cmd/juanji-bench ./bench/pjrt-probe; then
	say "juanji-bench ok"
	say "pjrt-probe ok"
else
	say "juanji-bench or pjrt-probe FAILED"; rc=1
fi
wait "$tests_pid" || rc=1

# Check each binary here: what it is, that it runs, which glibc it needs.
glibc_needed() {
	command -v readelf >/dev/null || { echo unknown; return; }
	readelf -V --wide "$1" 2>/dev/null | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/GLIBC_//' | sort -uV | tail -1
}
for f in "$BIN"/juanji-bench "$BIN"/pjrt-probe "$BIN"/*.test; do
	[[ -f $f ]] || continue
	name=$(basename "$f")
	command -v file >/dev/null && say "file $(file -b "$f" | cut -c1-160)"
	case $name in
	*.test) args=(-test.list .) ;;
	*) args=(-h) ;;
	esac
	if out=$(timeout 30 "$f" "${args[@]}" 2>&1); then
		say "runs $name ok"
	else
		say "runs $name FAILED: $(head -1 <<<"$out")"; rc=1
	fi
	needs=$(readelf -d "$f" 2>/dev/null | sed -nE 's/.*NEEDED.*\[(.*)\]/\1/p' | paste -sd, -)
	printf 'file=%s mib=%s sha256=%s glibc_needed=%s needs=%s built=%s\n' "$name" \
		"$(du -k "$f" | awk '{printf "%.1f", $1/1024}')" "$(sha256sum "$f" | awk '{print $1}')" \
		"$(glibc_needed "$f")" "${needs:-unknown}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$BIN/MANIFEST.files"
done
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
dirty=$(git status --porcelain 2>/dev/null | wc -l)
{ echo "# built $(date -u +%Y-%m-%dT%H:%M:%SZ) commit=$commit dirty_files=$dirty $(go version | cut -d' ' -f3) glibc_here=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
  cat "$BIN/MANIFEST.files" 2>/dev/null; } >"$BIN/MANIFEST"
rm -f "$BIN/MANIFEST.files"

size_mib() { du -sb "$BIN" | awk '{printf "%.1f", $1/1048576}'; }
total=$(size_mib)
if awk -v t="$total" -v p="$PACK_OVER_MIB" 'BEGIN{exit !(t>p)}'; then
	say "bench/bin is $total MiB > $PACK_OVER_MIB MiB: gzipping the binaries"
	for f in "$BIN"/juanji-bench "$BIN"/pjrt-probe "$BIN"/*.test; do
		[[ -f $f ]] || continue
		gzip -9 -f "$f"
		# The MANIFEST's sha256 is then the .gz file's.
		sed -i "s|^file=$(basename "$f") \(.*\)sha256=[0-9a-f]*|file=$(basename "$f") \1sha256=$(sha256sum "$f.gz" | awk '{print $1}')|" "$BIN/MANIFEST"
	done
	total=$(size_mib)
fi
(cd "$BIN" && ls -l | awk 'NR>1{printf "build size %-28s %6.1f MiB\n", $9, $5/1048576}')
say "total bench/bin $total MiB (carry limit $LIMIT_MIB MiB for everything carried)"
if awk -v t="$total" -v l="$LIMIT_MIB" 'BEGIN{exit !(t>=l)}'; then
	if [[ ${BUILD_PLAIN:-0} == 1 ]]; then
		say "over the carry limit, as unstripped builds are: fine for a rehearsal, not for carrying"
	else
		say "TOO BIG: drop test packages from GO_TEST_PKGS"; rc=1
	fi
fi
say "manifest $(head -1 "$BIN/MANIFEST")"
((dirty > 0)) && say "note: built from a tree with $dirty uncommitted file(s) (the MANIFEST, and so the report, says so)"
exit $rc
