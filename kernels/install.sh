#!/usr/bin/env bash
# kernels/install.sh: everything the juanji notebooks need, set up once.
#
#   1. builds the GoNB kernel, goimports and gopls at the versions pinned in
#      kernels/tools/go.mod (`go install tool`) into <checkout>/bin;
#   2. makes sure Jupyter (nbconvert + a notebook server) is there, installing
#      Debian's packages when apt-get is usable (root, or sudo without password);
#   3. registers the "gonb" kernel with Jupyter (kernels/gonb/kernel.json), with
#      a PATH that finds the tools above and this Go.
#
# It is idempotent: each step first checks what is already there and says what
# it skipped, so a second run changes nothing and takes a few seconds.
# README, `make lab`, `make test`, CI and Docker all call this one script.
#
# Environment:
#   JUANJI_GOBIN       where the tools go (default: <checkout>/bin)
#   JUPYTER_DATA_DIR   where Jupyter looks for kernels (default: Jupyter's own)
set -euo pipefail

start=$SECONDS
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/kernels/tools"

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- 0. Go
command -v go >/dev/null 2>&1 ||
  die "Go is missing: install Go $(awk '$1 == "go" {print $2; exit}' "$root/go.mod") or newer (https://go.dev/dl) and put it on PATH."
goversion=$(go env GOVERSION)
goroot=$(go env GOROOT)
gobin=${JUANJI_GOBIN:-$root/bin}
mkdir -p "$gobin"
gobin=$(cd "$gobin" && pwd)

# ---------------------------------------------------------------- 1. tools
# The versions go.mod pins, as "module version" lines.
# modules_missing says, in one line, what to do when Go cannot resolve or build the pins.
modules_missing() {
  die "Go could not resolve or build what $1 pins (its message is above). If it could not download modules: connect to the network or point GOPROXY at a reachable proxy (now: $(go env GOPROXY)), then run this again."
}
wanted=$(cd "$tools" && go list -m -f '{{.Path}} {{.Version}}' \
  github.com/janpfeifer/gonb golang.org/x/tools golang.org/x/tools/gopls) ||
  modules_missing kernels/tools/go.mod
version_of() { awk -v m="$1" '$1 == m {print $2}' <<<"$wanted"; }

# up_to_date BINARY PACKAGE MODULE: the binary exists and was built by this Go
# from PACKAGE in MODULE at the pinned version (read from its build info).
up_to_date() {
  local info
  info=$(go version -m "$gobin/$1" 2>/dev/null) || return 1
  local want_ver; want_ver=$(version_of "$3")
  awk -v gv="$goversion" -v pkg="$2" -v mod="$3" -v ver="$want_ver" '
    NR == 1 { okgo = ($NF == gv) }
    $1 == "path" && $2 == pkg { okpkg = 1 }
    $1 == "mod" && $2 == mod && $3 == ver { okmod = 1 }
    END { exit !(okgo && okpkg && okmod) }' <<<"$info"
}

stale=()
up_to_date gonb github.com/janpfeifer/gonb github.com/janpfeifer/gonb || stale+=(gonb)
up_to_date goimports golang.org/x/tools/cmd/goimports golang.org/x/tools || stale+=(goimports)
up_to_date gopls golang.org/x/tools/gopls golang.org/x/tools/gopls || stale+=(gopls)
if ((${#stale[@]} == 0)); then
  say "skip: gonb $(version_of github.com/janpfeifer/gonb), goimports, gopls $(version_of golang.org/x/tools/gopls) already built in $gobin"
else
  say "building ${stale[*]} into $gobin (go install tool, first time takes a few minutes)..."
  (cd "$tools" && GOBIN="$gobin" go install tool) || modules_missing kernels/tools/go.mod
  say "built gonb $(version_of github.com/janpfeifer/gonb), goimports, gopls $(version_of golang.org/x/tools/gopls)"
fi

# The kernel (kernels/tools/go.mod) and the gonbui package the notebooks import
# (go.mod) must be the same GoNB.
gonb_root=$(awk '$1 == "github.com/janpfeifer/gonb" {print $2}' "$root/go.mod")
if [[ -n "$gonb_root" && "$gonb_root" != "$(version_of github.com/janpfeifer/gonb)" ]]; then
  say "warning: go.mod requires gonb $gonb_root but kernels/tools/go.mod pins $(version_of github.com/janpfeifer/gonb): align them"
fi

# ---------------------------------------------------------------- 2. Jupyter
jupyter_ok() {
  command -v jupyter >/dev/null 2>&1 &&
    jupyter nbconvert --version >/dev/null 2>&1 &&
    { jupyter notebook --version >/dev/null 2>&1 || jupyter lab --version >/dev/null 2>&1; }
}
apt_packages=(jupyter-nbconvert python3-nbclient jupyter-notebook)
if jupyter_ok; then
  say "skip: Jupyter already installed ($(command -v jupyter), nbconvert $(jupyter nbconvert --version 2>/dev/null))"
else
  sudo=()
  if [[ $(id -u) != 0 ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  fi
  if command -v apt-get >/dev/null 2>&1 && { [[ $(id -u) == 0 ]] || ((${#sudo[@]})); }; then
    say "installing Jupyter from Debian: ${apt_packages[*]}..."
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${apt_packages[@]}" >/dev/null
    hash -r
    jupyter_ok || die "apt-get installed ${apt_packages[*]} but 'jupyter nbconvert' / 'jupyter notebook' still do not run."
    say "installed Jupyter ($(command -v jupyter))"
  else
    die "Jupyter is missing: install it (Debian/Ubuntu: sudo apt-get install ${apt_packages[*]}; elsewhere: pip install notebook nbconvert nbclient) and run this again."
  fi
fi

# ---------------------------------------------------------------- 3. kernel
datadir=${JUPYTER_DATA_DIR:-$(jupyter --data-dir)}
kdir="$datadir/kernels/gonb"
spec=$(sed -e "s|@GOBIN@|$gobin|g" -e "s|@GOROOT@|$goroot|g" "$root/kernels/gonb/kernel.json")
logo="$(cd "$tools" && go list -m -f '{{.Dir}}' github.com/janpfeifer/gonb)/internal/kernel/Go_gopher_favicon.svg"
if [[ -f "$kdir/kernel.json" ]] && [[ "$(cat "$kdir/kernel.json")" == "$spec" ]]; then
  say "skip: kernel \"gonb\" already registered in $kdir"
else
  mkdir -p "$kdir"
  [[ -f "$kdir/kernel.json" ]] && say "replacing the kernel spec in $kdir (it pointed elsewhere)"
  printf '%s\n' "$spec" >"$kdir/kernel.json"
  [[ -f "$logo" ]] && cp "$logo" "$kdir/logo-svg.svg"
  say "registered kernel \"gonb\" in $kdir"
fi

say "done in $((SECONDS - start))s"
