#!/usr/bin/env bash
# kernels/nbsetup.sh: what the first cell of every notebook runs.
#
#     !bash ../kernels/nbsetup.sh
#
# GoNB compiles each cell in a module of its own, in $GONB_TMP_DIR, and runs
# `go get` before building, which asks the module proxy for @latest versions
# unless the module already requires what the cell imports. This script makes
# that module build against this checkout:
#
#   - github.com/juanji/juanji is replaced by this checkout (its pkg/ as you
#     edit it, no publishing needed);
#   - every module the checkout's go.mod requires is required at the same
#     version, and its replace directives are copied;
#   - the checkout's go.sum is merged in, so nothing needs the network once the
#     module cache holds the modules (after `make test` or `make lab`).
#
# The checkout is found from this script's own path, so no absolute path is
# written in any notebook; JUANJI_ROOT overrides it. Running it again is
# harmless (a kernel restart makes a new $GONB_TMP_DIR: run the cell again).
set -euo pipefail

root=${JUANJI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
module=github.com/juanji/juanji

if [[ -z "${GONB_TMP_DIR:-}" || ! -f "$GONB_TMP_DIR/go.mod" ]]; then
  echo "nbsetup: no GoNB module here (\$GONB_TMP_DIR unset): run this from a notebook cell as  !bash ../kernels/nbsetup.sh" >&2
  exit 1
fi
[[ -f "$root/go.mod" ]] || { echo "nbsetup: no go.mod in $root (set JUANJI_ROOT to the checkout)" >&2; exit 1; }
cd "$GONB_TMP_DIR"

# -require / -replace flags for `go mod edit`, read from the checkout's go.mod.
# Local replacement paths (./x, ../x) are made absolute.
mapfile -t edits < <(awk -v root="$root" '
  function abs(p) { return (p ~ /^\.\.?\//) ? root "/" p : p }
  function req(m, v) { print "-require=" m "@" v }
  function rep(   i, lhs, rhs) {
    # $0 is "old [v] => new [v]"
    for (i = 1; i <= NF; i++) if ($i == "=>") break
    lhs = (i == 3) ? $1 "@" $2 : $1
    rhs = (NF - i == 2) ? $(i+1) "@" $(i+2) : abs($(i+1))
    print "-replace=" lhs "=" rhs
  }
  { sub(/\/\/.*/, "") }
  /^require[ \t]*\($/ { block = "require"; next }
  /^replace[ \t]*\($/ { block = "replace"; next }
  /^\)/ { block = ""; next }
  block == "require" && NF >= 2 { req($1, $2); next }
  block == "replace" && NF >= 3 { rep(); next }
  $1 == "require" && NF >= 3 { $1 = ""; $0 = $0; req($1, $2); next }
  $1 == "replace" && NF >= 4 { $1 = ""; $0 = $0; rep(); next }
' "$root/go.mod")

go mod edit \
  -replace="$module=$root" \
  -require="$module@v0.0.0-00010101000000-000000000000" \
  "${edits[@]}"

if [[ -f "$root/go.sum" ]]; then
  cat "$root/go.sum" >>go.sum
  sort -u go.sum -o go.sum
fi

version() { awk -v m="$1" '$1 == m && $2 ~ /^v/ {print $2; exit}' "$root/go.mod"; }
printf 'juanji: notebook code uses this checkout'"'"'s pkg/ (gomlx %s, gonb %s)\n' \
  "$(version github.com/gomlx/gomlx)" "$(version github.com/janpfeifer/gonb)"
