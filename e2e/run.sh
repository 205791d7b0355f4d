#!/usr/bin/env bash
# e2e/run.sh: the end-to-end test in a real browser.
#
# Starts a real Jupyter server (Debian's classic Notebook) with the GoNB
# kernel on 127.0.0.1, a free port and a random token, in quick mode
# (JUANJI_QUICK=1), with the page settings `make lab` uses
# (kernels/notebook-config), on temporary copies of notebooks/00_hello.ipynb
# and of the training notebook notebooks/01_lenet_mnist.ipynb (the committed
# notebooks are never opened, so they can never be saved over); then
# e2e/notebook.test.mjs opens each in headless Chromium (Debian's
# /usr/bin/chromium, driven by playwright-core), clicks Cell > Run All, waits
# for the kernel to go idle and checks the page: kernel "Go (gonb)", the text
# of the run, the rendered pictures, no error output, tabs drawn without
# arrows. It leaves one screenshot per notebook in e2e/artifacts/ (with the
# server's log and the page's console log).
#
# Installs what is missing: Jupyter and the kernel (kernels/install.sh),
# Chromium (apt-get, as root or with password-less sudo), playwright-core at
# the version e2e/package-lock.json pins (npm ci). Needs Node.js 20 or newer.
# Ends with one line, "e2e: 1 passed, 0 failed" or "e2e: 0 passed, 1 failed",
# and exits non-zero on failure.
#
# Environment:
#   E2E_TIMEOUT    seconds the browser part may take in all (default 900)
#   E2E_NOTEBOOKS  the notebooks to copy and run, separated by spaces (default
#                  "notebooks/00_hello.ipynb notebooks/01_lenet_mnist.ipynb";
#                  each needs its checks in e2e/notebook.test.mjs)
#   E2E_CHROMIUM   the browser (default /usr/bin/chromium)
#   E2E_KEEP=1     keep the temporary folder (notebook copy, runtime files)
set -euo pipefail

start=$SECONDS
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
e2e="$root/e2e"
artifacts="$e2e/artifacts"
read -r -a notebooks <<<"${E2E_NOTEBOOKS:-notebooks/00_hello.ipynb notebooks/01_lenet_mnist.ipynb}"
chromium_bin=${E2E_CHROMIUM:-/usr/bin/chromium}
limit=${E2E_TIMEOUT:-900}

say() { printf 'e2e: %s\n' "$*"; }
result() { # the closing line, then the exit status
  if [[ $1 == 0 ]]; then say "1 passed, 0 failed"; else say "0 passed, 1 failed"; fi
  exit "$1"
}
fail() { printf 'e2e: error: %s\n' "$*" >&2; result 1; }

cd "$root"
for nb in "${notebooks[@]}"; do [[ -f "$nb" ]] || fail "no such notebook: $nb"; done

# ------------------------------------------------------------ what it needs
sudo=()
if [[ $(id -u) != 0 ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); fi
can_apt() { command -v apt-get >/dev/null 2>&1 && { [[ $(id -u) == 0 ]] || ((${#sudo[@]})); }; }

# Node.js 20+ (for the test, and to read the kernel spec below).
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
  fail "Node.js 20 or newer (with npm) is needed: https://nodejs.org or your package manager"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || fail "Node.js $(node --version) is too old: playwright-core needs 20 or newer"

# Jupyter and the "gonb" kernel: kernels/install.sh (make has usually run it).
# (Debian's Jupyter has no `jupyter kernelspec`: the spec is read directly.)
kernel_ok() {
  local spec gonb
  spec="${JUPYTER_DATA_DIR:-$(jupyter --data-dir 2>/dev/null)}/kernels/gonb/kernel.json"
  [[ -f "$spec" ]] && gonb=$(node -p 'require(process.argv[1]).argv[0]' "$spec" 2>/dev/null) && [[ -x "$gonb" ]]
}
if ! jupyter notebook --version >/dev/null 2>&1 || ! kernel_ok; then
  say "Jupyter or the gonb kernel is missing: running kernels/install.sh"
  "$root/kernels/install.sh" || fail "kernels/install.sh failed"
fi
jupyter notebook --version >/dev/null 2>&1 ||
  fail "the e2e test needs the classic Notebook server ('jupyter notebook'): apt-get install jupyter-notebook"

# Chromium, from Debian. --no-install-recommends: the recommends bring systemd,
# CUPS and Perl, none of which a headless browser needs.
if ! [[ -x "$chromium_bin" ]]; then
  can_apt || fail "$chromium_bin is missing: install Chromium (Debian: apt-get install chromium) or set E2E_CHROMIUM"
  say "installing Chromium from Debian (apt-get install chromium)..."
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium fonts-liberation fonts-wqy-microhei >/dev/null
  [[ -x "$chromium_bin" ]] || fail "apt-get installed chromium but $chromium_bin is not there"
fi
# The notebooks' markdown is half Chinese: without a CJK font the screenshots
# show boxes where the text is.
if command -v fc-list >/dev/null 2>&1 && [[ -z $(fc-list :lang=zh 2>/dev/null) ]] && can_apt; then
  say "installing a Chinese font for the screenshots (apt-get install fonts-wqy-microhei)..."
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    fonts-wqy-microhei >/dev/null || say "note: no Chinese font: the screenshots show boxes for Chinese text"
fi
say "browser: $("$chromium_bin" --version 2>/dev/null | head -n1)"

# playwright-core at the version package-lock.json pins.
want=$(node -p 'require(process.argv[1]).packages["node_modules/playwright-core"].version' "$e2e/package-lock.json")
have=$(node -p 'try { require(process.argv[1]).version } catch { "" }' "$e2e/node_modules/playwright-core/package.json")
if [[ "$have" != "$want" ]]; then
  say "installing playwright-core $want (npm ci in e2e/)..."
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed in e2e/"
fi
say "playwright-core $want, node $(node --version)"

# ------------------------------------------------------------ the server
tmp=$(mktemp -d "${TMPDIR:-/tmp}/juanji-e2e.XXXXXX")
server=""
stop_server() {
  if [[ -n "$server" ]]; then
    # SIGTERM: the server shuts its kernels down; then whatever is left of
    # its process group (the kernel, a go build) is killed.
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=""
}
cleanup() {
  stop_server
  if [[ "${E2E_KEEP:-}" == 1 ]]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The copy sits in <tmp>/work/notebooks next to <tmp>/work/kernels (a link to
# this checkout's), so its first cell, !bash ../kernels/nbsetup.sh, runs as
# usual; JUANJI_ROOT tells nbsetup.sh where the checkout is, since it finds it
# from the script's path, here the link's.
mkdir -p "$tmp/work/notebooks" "$tmp/runtime" "$tmp/config" "$tmp/profile"
names=()
for nb in "${notebooks[@]}"; do
  cp "$nb" "$tmp/work/notebooks/"
  names+=("$(basename "$nb")")
done
ln -s "$root/kernels" "$tmp/work/kernels"

mkdir -p "$artifacts"
rm -f "$artifacts"/*.png "$artifacts"/*.log
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
base="http://127.0.0.1:$port"
args=(--no-browser --ip=127.0.0.1 --port="$port" --NotebookApp.port_retries=0)
[[ $(id -u) == 0 ]] && args+=(--allow-root)

say "starting Jupyter (classic Notebook $(jupyter notebook --version)) on $base, JUANJI_QUICK=1..."
# setsid: a process group of its own, so that stop_server can end the kernel
# and its builds too. JUPYTER_CONFIG_DIR: an empty one, so that no user
# config (a password, another default URL) changes the server; the kernel
# spec is found in Jupyter's data folder as usual. JUPYTER_CONFIG_PATH: the
# page settings `make lab` uses (Go's tabs drawn as indentation).
(cd "$tmp/work/notebooks" && exec env JUANJI_QUICK=1 JUANJI_ROOT="$root" JUPYTER_TOKEN="$token" \
  JUPYTER_CONFIG_DIR="$tmp/config" JUPYTER_RUNTIME_DIR="$tmp/runtime" \
  JUPYTER_CONFIG_PATH="$root/kernels/notebook-config${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}" \
  setsid jupyter notebook "${args[@]}") >"$artifacts/jupyter.log" 2>&1 &
server=$!

ready=""
for _ in $(seq 120); do
  if curl -fsS -o /dev/null "$base/api/status?token=$token" 2>/dev/null; then ready=1; break; fi
  kill -0 "$server" 2>/dev/null || break
  sleep 0.5
done
if [[ -z "$ready" ]]; then
  tail -n 30 "$artifacts/jupyter.log" >&2 || true
  fail "the Jupyter server did not answer on $base within 60s (log: e2e/artifacts/jupyter.log)"
fi
say "server up after $((SECONDS - start))s"

# ------------------------------------------------------------ the browser
status=0
E2E_URL="$base" E2E_TOKEN="$token" E2E_NOTEBOOKS="${names[*]}" E2E_ARTIFACTS="$artifacts" \
  E2E_PROFILE="$tmp/profile" E2E_CHROMIUM="$chromium_bin" E2E_RUN_MS=$(((limit - 60) * 1000)) \
  timeout -k 10 "$limit" node "$e2e/notebook.test.mjs" || status=$?
if ((status == 124 || status == 137)); then
  say "FAIL: the browser test ran past ${limit}s and was stopped"
fi
stop_server
if ((status != 0)); then
  say "the end of the server's log (e2e/artifacts/jupyter.log):"
  grep -v '^\s*$' "$artifacts/jupyter.log" | tail -n 20 | sed 's/token=[0-9a-f]*/token=<token>/g' || true
fi
say "took $((SECONDS - start))s; screenshot and logs in e2e/artifacts/"
result "$status"
