#!/usr/bin/env bash
# bench/build.sh: build, on this machine, the binaries that bench/gpu-check.sh runs on a
# GPU machine where Go may not be installed. Everything lands in bench/bin/ (git-ignored);
# carry it along: run(command="bash bench/gpu-check.sh", carry=["bench/bin"]).
#
#   bench/bin/juanji-bench      ./cmd/juanji-bench (flags -device -steps -models; prints
#                               `bench framework=gomlx ...` lines), when cmd/juanji-bench exists
#   bench/bin/pjrt-probe        bench/pjrt-probe (its own module, depends on GoMLX only): does the
#                               PJRT plugin load, are conv gradients right, matmul GFLOP/s
#   bench/bin/<pkg>.test        `go test -c` of each package in GO_TEST_PKGS (default ./pkg/nn),
#                               named with / -> __ (pkg__nn.test runs in pkg/nn)
#   bench/bin/tb-check/         copies of TensorBoard event files from TB_EVENTS (a file or
#                               folder), when set, for tb_check.py on the GPU machine
#
# Binaries are stripped (-s -w). The carry limit is 64 MiB in all; when bench/bin passes
# PACK_OVER_MIB (default 56), the binaries are gzipped (gpu-check.sh unpacks *.gz).
# Exit status: 0 when juanji-bench and pjrt-probe built and bench/bin fits, else 1.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD
BIN=$ROOT/bench/bin
GO_TEST_PKGS=${GO_TEST_PKGS:-./pkg/nn}
PACK_OVER_MIB=${PACK_OVER_MIB:-56}
LIMIT_MIB=64
export CGO_ENABLED=1
LDFLAGS="-s -w"
rc=0

mkdir -p "$BIN"
rm -f "$BIN"/juanji-bench "$BIN"/juanji-bench.gz "$BIN"/pjrt-probe "$BIN"/pjrt-probe.gz "$BIN"/*.test "$BIN"/*.test.gz

say() { printf 'build %s\n' "$*"; }

if [[ -d cmd/juanji-bench ]]; then
	if go build -trimpath -ldflags="$LDFLAGS" -o "$BIN/juanji-bench" ./cmd/juanji-bench; then
		say "juanji-bench ok"
	else
		say "juanji-bench FAILED"; rc=1
	fi
else
	say "juanji-bench skipped: ./cmd/juanji-bench does not exist yet"; rc=1
fi

if (cd bench/pjrt-probe && go build -trimpath -ldflags="$LDFLAGS" -o "$BIN/pjrt-probe" .); then
	say "pjrt-probe ok"
else
	say "pjrt-probe FAILED"; rc=1
fi

for pkg in $GO_TEST_PKGS; do
	rel=${pkg#./}
	name=${rel//\//__}.test
	if ! ls "$rel"/*_test.go >/dev/null 2>&1; then
		say "test $pkg skipped: no _test.go files"
		continue
	fi
	if go test -c -trimpath -ldflags="$LDFLAGS" -o "$BIN/$name" "$pkg"; then
		say "test $pkg ok -> bench/bin/$name"
	else
		say "test $pkg FAILED"
	fi
done

if [[ -n ${TB_EVENTS:-} ]]; then
	rm -rf "$BIN/tb-check" && mkdir -p "$BIN/tb-check"
	if [[ -d $TB_EVENTS ]]; then
		cp -r "$TB_EVENTS"/. "$BIN/tb-check/"
	else
		cp "$TB_EVENTS" "$BIN/tb-check/"
	fi
	say "tb-check inputs copied from $TB_EVENTS"
fi

size_mib() { du -sb "$BIN" | awk '{printf "%.1f", $1/1048576}'; }
total=$(size_mib)
if awk -v t="$total" -v p="$PACK_OVER_MIB" 'BEGIN{exit !(t>p)}'; then
	say "bench/bin is $total MiB > $PACK_OVER_MIB MiB: gzipping the binaries"
	for f in "$BIN"/juanji-bench "$BIN"/pjrt-probe "$BIN"/*.test; do
		[[ -f $f ]] && gzip -9 -f "$f"
	done
	total=$(size_mib)
fi
(cd "$BIN" && ls -l | awk 'NR>1{printf "build size %-28s %6.1f MiB\n", $9, $5/1048576}')
say "total bench/bin $total MiB (carry limit $LIMIT_MIB MiB for everything carried)"
if awk -v t="$total" -v l="$LIMIT_MIB" 'BEGIN{exit !(t>=l)}'; then
	say "TOO BIG: drop test packages from GO_TEST_PKGS"; rc=1
fi
exit $rc
