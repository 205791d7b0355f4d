#!/usr/bin/env bash
# bench/gpu-check.sh: the one prepared run for a GPU machine (one H200 or H100, x86-64, no
# network, nothing installable; Python with JAX's CUDA PJRT plugin and PyTorch; no Go).
#
#   bash bench/gpu-check.sh --prepare        # here: build bench/bin, check it, rehearse it
#   run(command="bash bench/gpu-check.sh", carry=["bench/bin"], timeout_s=420)   # there
#   bash bench/rehearse.sh                    # here: the same run on the CPU, with fakes
#
# It stops at once, exit 3 and one line, when a binary in bench/bin is missing, damaged or
# does not run here (glibc too old...). Otherwise each step runs under its own timeout, in
# order of value, all within BUDGET_S (380 s; the per-step timeouts add up to less):
#
#   facts     nvidia-smi, driver, CUDA, glibc, versions of Python/JAX/plugin/PyTorch,
#             jax.devices('gpu') (does JAX itself see the GPU?)
#   probe     bench/bin/pjrt-probe: dlopen the plugin, its PJRT version against go-xla's headers
#             (one line), a convolution and its gradients against float64 loops, float64 and
#             float32, matmul GFLOP/s
#   xla-test  TestNativeMatchesPortableGradientsOnXLA (bench/bin/pkg__nn.test): must PASS; a SKIP
#             is reported as not passed
#   gpu-*     LeNet, TrashNet, ResNet-18: PyTorch (--sync both) then Go (juanji-bench), nvidia-smi
#             sampling the GPU's memory during each
#   cpu-*     the CPU engine (CPU_DEVICE, gocpu) against PyTorch, both on CPU_THREADS threads
#   probe-no-ldpath  the probe without LD_LIBRARY_PATH, as a notebook runs it
#
# A step the budget cannot fit is reported as status=cut, never as passed. Everything lands in
# $OUT/report.txt (also printed): machine facts, one `step` line per step, every figure, the
# ratio table, then one summary line per model (`gpu: lenet go=... pytorch=... ratio=...`).
# Full logs: $OUT/logs/. Exit status: 0 when every step passed, 1 when one did not, 3 when
# the binaries are missing or do not run.
#
# The Go steps get, from the start, the plugin's own CUDA libraries and data folder:
#   LD_LIBRARY_PATH=<site-packages>/nvidia/*/lib (sorted, no empty entries) [+ the caller's]
#   XLA_FLAGS=--xla_gpu_cuda_data_dir=<first of nvidia/{cu13,cuda_nvcc,cu12} holding nvvm/libdevice>
#   PATH=<that folder>/bin:$PATH (ptxas)
#   GOPJRT_CUDA_CHECKS=0 (else go-xla v0.1.4 may write its author's path into XLA_FLAGS)
#   GOMLX_NO_AUTO_INSTALL=1 (else GoMLX tries to download plugins), JUANJI_DEVICE=$GO_DEVICE
#   TF_CPP_MIN_LOG_LEVEL=0 for the probe and the XLA test (GoMLX sets 2, hiding ptxas/cuDNN errors)
# The probe loads the plugin by absolute path (GOMLX_BACKEND=xla:/.../xla_cuda_plugin.so);
# juanji-bench and the test find it as the notebooks do (pkg/device).
#
# Knobs (environment): OUT (bench/out), BUDGET_S (380), MODELS (lenet,trashnet,resnet18),
# STEPS (200), WARMUP (10), GO_DEVICE (cuda), PT_DEVICE (cuda), CPU_DEVICE (gocpu),
# CPU_MODELS (lenet,trashnet), CPU_THREADS (nproc, at most 16), CPU_STEPS ("lenet:50
# trashnet:10"), CPU_WARMUP (3), PYTHON, PLUGIN (skip the search), BENCH_BIN (bench/bin),
# XLA_TEST_RUN, PT_SKIP=1 (no PyTorch steps). REHEARSAL=1 is set by bench/rehearse.sh: the
# probe then runs GoMLX's pure-Go backend (the fake plugin has no functions), and
# REHEARSE_SPEND=STEP:SECONDS pretends STEP took that much longer (to rehearse the budget cut).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")

if [[ ${1:-} == --prepare ]]; then
	bash "$HERE/build.sh" || { echo "gpu-check: prepare FAILED (see above); do not start the GPU machine"; exit 1; }
	# The very binaries that will travel, rehearsed here on the CPU (bench/rehearse.sh).
	rep=$HERE/out-rehearsal/report.txt
	OUT=$HERE/out-rehearsal bash "$HERE/rehearse.sh" >/dev/null 2>&1
	for want in 'step name=probe status=ok' 'step name=gpu-lenet-go status=ok' 'step name=cpu-lenet-go status=ok' '# done '; do
		grep -q "^$want" "$rep" 2>/dev/null || { echo "gpu-check: prepare FAILED: the rehearsal's report ($rep) lacks '$want'"; exit 1; }
	done
	echo "gpu-check: rehearsal ok ($rep):"
	sed -n '/^== summary/,$p' "$rep"
	echo "gpu-check: prepared. Run on the GPU machine:"
	echo "  run(command=\"bash bench/gpu-check.sh\", carry=[\"bench/bin\"], timeout_s=420)"
	exit 0
fi

START=$(date +%s)
SPENT=0 # seconds a rehearsal pretends were spent (REHEARSE_SPEND)
OUT=${OUT:-$HERE/out}
mkdir -p "$OUT/logs" && OUT=$(cd "$OUT" && pwd)
REHEARSAL=${REHEARSAL:-0}
BUDGET_S=${BUDGET_S:-380}
RESERVE_S=${RESERVE_S:-5}
MODELS=${MODELS-lenet,trashnet,resnet18}
STEPS=${STEPS:-200}
WARMUP=${WARMUP:-10}
GO_DEVICE=${GO_DEVICE:-cuda}
PT_DEVICE=${PT_DEVICE:-cuda}
CPU_DEVICE=${CPU_DEVICE:-gocpu}
CPU_MODELS=${CPU_MODELS-lenet,trashnet}
CPU_THREADS=${CPU_THREADS:-$(n=$(nproc); echo $((n > 16 ? 16 : n)))}
CPU_STEPS=${CPU_STEPS:-"lenet:50 trashnet:10"}
CPU_WARMUP=${CPU_WARMUP:-3}
XLA_TEST_RUN=${XLA_TEST_RUN:-^TestNativeMatchesPortableGradientsOnXLA\$}
BIN=${BENCH_BIN:-$HERE/bin}
RES=$OUT/report.txt
: >"$RES"
WORK=$(mktemp -d /tmp/juanji-gpu.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# Per-step timeouts (seconds). They add up to 378 s with every step run: see `plan` below.
T_SMI=8 T_SMIQ=6 T_PYFACTS=10 T_JAX=25
T_PROBE=36 T_XLATEST=37
T_PT_lenet=20 T_GO_lenet=30 T_PT_trashnet=20 T_GO_trashnet=35 T_PT_resnet18=25 T_GO_resnet18=50
T_CPU_PT_lenet=14 T_CPU_GO_lenet=12 T_CPU_PT_trashnet=18 T_CPU_GO_trashnet=20
T_PROBE_PLAIN=12

res() { printf '%s\n' "$*" | tee -a "$RES"; }
elapsed() { echo $(($(date +%s) - START + SPENT)); }
left() { echo $((BUDGET_S - $(elapsed))); }
section() { res "== $*"; }

N_OK=0 N_FAILED=0 N_CUT=0 N_SKIPPED=0
FAILS=()
# step NAME TIMEOUT CMD...: runs CMD, stdout+stderr to $OUT/logs/NAME.log, under
# min(TIMEOUT, time left - RESERVE_S); records one `step` line; returns CMD's status (125 when
# cut). When STEP_CHECK is set, a status-0 run passes only if `eval "$STEP_CHECK"` succeeds.
step() {
	local name=$1 t=$2
	shift 2
	local l
	l=$(($(left) - RESERVE_S))
	((l < t)) && t=$l
	if ((t < 3)); then
		res "step name=$name status=cut reason=budget left_s=$(left) elapsed_s=$(elapsed)"
		N_CUT=$((N_CUT + 1))
		FAILS+=("$name:cut")
		STEP_CHECK=""
		return 125
	fi
	local t0=$SECONDS rc st=ok
	timeout -k 3 "$t" "$@" >"$OUT/logs/$name.log" 2>&1
	rc=$?
	((rc != 0)) && st=failed
	((rc == 124 || rc == 137)) && st=timeout
	if ((rc == 0)) && [[ -n ${STEP_CHECK:-} ]] && ! eval "$STEP_CHECK"; then
		st=not_passed
		rc=1
	fi
	STEP_CHECK=""
	res "step name=$name status=$st rc=$rc seconds=$((SECONDS - t0)) timeout_s=$t"
	if [[ $st == ok ]]; then N_OK=$((N_OK + 1)); else N_FAILED=$((N_FAILED + 1)); FAILS+=("$name:$st"); fi
	if ((REHEARSAL)) && [[ -n ${REHEARSE_SPEND:-} && ${REHEARSE_SPEND%%:*} == "$name" ]]; then
		SPENT=$((SPENT + ${REHEARSE_SPEND#*:}))
		res "rehearsal spent_s=${REHEARSE_SPEND#*:} after=$name (pretended, to rehearse the budget cut)"
	fi
	return $rc
}
skip() {
	res "step name=$1 status=skipped reason=$2"
	N_SKIPPED=$((N_SKIPPED + 1))
}
# missing NAME REASON: a step that cannot run because what it needs is absent: a failure on a
# GPU run, a skip in a rehearsal.
missing() {
	if ((REHEARSAL)); then
		skip "$1" "$2"
		return
	fi
	res "step name=$1 status=failed reason=$2"
	N_FAILED=$((N_FAILED + 1))
	FAILS+=("$1:$2")
}
PT_REASON=no_torch
[[ ${PT_SKIP:-0} == 1 ]] && PT_REASON=PT_SKIP
# tail_log NAME N: the first 3 and the last N lines of a step's log, indented, into the report.
tail_log() {
	local f=$OUT/logs/$1.log
	[[ -s $f ]] || return 0
	if (($(wc -l <"$f") > $2 + 3)); then
		{ head -n 3 "$f"; echo "..."; tail -n "$2" "$f"; } | cut -c1-300 | sed 's/^/    | /' | tee -a "$RES"
	else
		cut -c1-300 "$f" | sed 's/^/    | /' | tee -a "$RES"
	fi
}
# keep NAME PATTERN [MAX [SECTION]]: the log's lines matching PATTERN (at most MAX, default 200)
# into the report, `bench` lines marked with section=SECTION (gpu or cpu, what ratio.py compares
# within); fails when there are none.
keep() {
	[[ -f $OUT/logs/$1.log ]] || return 1
	grep -E "$2" "$OUT/logs/$1.log" | head -n "${3:-200}" | sed "${4:+s/^bench /bench section=$4 /}" >"$WORK/keep"
	[[ -s $WORK/keep ]] || return 1
	tee -a "$RES" <"$WORK/keep"
}
fatal() {
	res "gpu-check: FATAL $*"
	res "# done elapsed_s=$(elapsed) exit=3"
	exit 3
}

res "# juanji gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) mode=$( ((REHEARSAL)) && echo rehearsal || echo gpu) host=$(hostname) arch=$(uname -m) budget_s=$BUDGET_S"
res "config models=$MODELS steps=$STEPS warmup=$WARMUP go_device=$GO_DEVICE pt_device=$PT_DEVICE cpu_device=$CPU_DEVICE cpu_models=$CPU_MODELS cpu_threads=$CPU_THREADS cpu_steps='$CPU_STEPS'"
res "plan step_timeouts_sum_s=$((T_SMI + T_SMIQ + T_PYFACTS + T_JAX + T_PROBE + T_XLATEST + T_PT_lenet + T_GO_lenet + T_PT_trashnet + T_GO_trashnet + T_PT_resnet18 + T_GO_resnet18 + T_CPU_PT_lenet + T_CPU_GO_lenet + T_CPU_PT_trashnet + T_CPU_GO_trashnet + T_PROBE_PLAIN)) budget_s=$BUDGET_S (all models, all steps)"

# ---------------------------------------------------------------- preflight: the binaries
section "preflight: bench/bin"
GLIBC=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
GLIBC=${GLIBC:-$(ldd --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+$')}
res "facts glibc=${GLIBC:-unknown} kernel=$(uname -r) cpus=$(nproc) mem_total=$(awk '/MemTotal/{printf "%.0fGiB", $2/1048576}' /proc/meminfo)"
# binpath NAME: the executable bench/bin/NAME (unpacked from NAME.gz if that is what came).
binpath() {
	local f=$BIN/$1
	if [[ -f $f ]]; then
		[[ -x $f ]] || { cp "$f" "$WORK/$1" && chmod +x "$WORK/$1" && f=$WORK/$1; }
		echo "$f"
	elif [[ -f $f.gz ]]; then
		gzip -dc "$f.gz" >"$WORK/$1" 2>/dev/null && chmod +x "$WORK/$1" && echo "$WORK/$1"
	else
		return 1
	fi
}
# manifest NAME FIELD: a field of NAME's line in bench/bin/MANIFEST (written by build.sh).
manifest() { awk -v n="$1" -v k="$2=" '$1 == "file="n { for (i = 2; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$BIN/MANIFEST" 2>/dev/null; }
[[ -f $BIN/MANIFEST ]] && res "manifest $(head -1 "$BIN/MANIFEST")"
declare -A BINS
for b in juanji-bench pjrt-probe pkg__nn.test; do
	p=$(binpath "$b") || fatal "missing $BIN/$b (nor $b.gz): run 'bash bench/gpu-check.sh --prepare' on the build machine and carry bench/bin"
	want=$(manifest "$b" sha256)
	if [[ -n $want ]]; then
		[[ -f $BIN/$b ]] && got=$(sha256sum "$BIN/$b" | awk '{print $1}') || got=$(sha256sum "$BIN/$b.gz" | awk '{print $1}')
		[[ $got == "$want" ]] || fatal "$BIN/$b is damaged: sha256 $got, MANIFEST says $want (carry bench/bin again)"
	fi
	case $b in
	juanji-bench) args=(-h) want_out=-models ;;
	pjrt-probe) args=(-h) want_out=-plugin ;;
	*.test) args=(-test.list "$XLA_TEST_RUN") want_out=TestNativeMatchesPortableGradientsOnXLA ;;
	esac
	out=$(cd "$ROOT" && timeout 20 "$p" "${args[@]}" 2>&1)
	rc=$?
	if ((rc != 0)) || ! grep -q -- "$want_out" <<<"$out"; then
		need=$(manifest "$b" glibc_needed)
		fatal "$BIN/$b does not run here (rc=$rc): $(grep -m1 -v '^\s*$' <<<"$out" | cut -c1-200) [glibc here ${GLIBC:-unknown}, binary needs ${need:-see MANIFEST}]"
	fi
	BINS[$b]=$p
	res "bin name=$b exec=ok mib=$(du -k "$p" | awk '{printf "%.1f", $1/1024}') glibc_needed=$(manifest "$b" glibc_needed) needs=$(manifest "$b" needs) built=$(manifest "$b" built)"
done
PROBE=${BINS[pjrt-probe]} GOBENCH=${BINS[juanji-bench]} NNTEST=${BINS[pkg__nn.test]}

# ---------------------------------------------------------------- facts: GPU, driver, Python
section "facts"
HAVE_SMI=0
if command -v nvidia-smi >/dev/null; then
	HAVE_SMI=1
	step facts-nvidia-smi "$T_SMI" nvidia-smi
	tail_log facts-nvidia-smi 30
	res "facts $(sed -nE 's/.*Driver Version: *([^ ]+).*CUDA Version: *([^ ]+).*/driver=\1 driver_cuda=\2/p' "$OUT/logs/facts-nvidia-smi.log" | head -1)"
	step facts-gpu-query "$T_SMIQ" nvidia-smi --query-gpu=index,name,driver_version,compute_cap,memory.total,memory.used,clocks.max.sm,power.limit --format=csv,noheader
	while IFS= read -r l; do res "facts gpu=$l"; done <"$OUT/logs/facts-gpu-query.log"
else
	missing facts-nvidia-smi not_on_path
fi

# Pythons: one with torch (PyTorch steps), one whose site-packages hold jax_plugins (plugin).
PY_CANDIDATES=()
[[ -n ${PYTHON:-} ]] && PY_CANDIDATES+=("$PYTHON")
for p in python3 python /usr/bin/python3 /usr/local/bin/python3 /opt/conda/bin/python; do
	p=$(command -v "$p" 2>/dev/null) || continue
	[[ " ${PY_CANDIDATES[*]} " == *" $p "* ]] || PY_CANDIDATES+=("$p")
done
PY="" PY_TORCH="" PY_JAX="" PLUGIN=${PLUGIN:-}
SEEN_PY=()
for p in "${PY_CANDIDATES[@]}"; do
	# Versions from the installed distributions' metadata: nothing is imported, so this is fast.
	timeout "$T_PYFACTS" "$p" - >"$WORK/pyfacts" 2>&1 <<'EOF' || continue
import glob, os, platform, site, sys
from importlib import metadata
def v(name):
    try:
        return metadata.version(name)
    except Exception:
        return "none"
dists = ["jax", "jaxlib", "jax-cuda13-pjrt", "jax-cuda13-plugin", "jax-cuda12-pjrt", "torch", "tensorboard"]
print("pyfacts python=%s prefix=%s exe=%s %s" % (platform.python_version(), sys.prefix, sys.executable,
      " ".join("%s=%s" % (d.replace("-", "_"), v(d)) for d in dists)))
dirs = list(getattr(site, "getsitepackages", lambda: [])()) + [site.getusersitepackages()] + sys.path
for d in dirs:
    for f in sorted(glob.glob(os.path.join(d, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so")), reverse=True):
        print("pyplugin " + os.path.realpath(f))
EOF
	[[ -z $PY ]] && PY=$p
	prefix=$(grep -m1 -oE '^pyfacts python=[^ ]+ prefix=[^ ]+' "$WORK/pyfacts")
	[[ " ${SEEN_PY[*]:-} " == *" $prefix "* ]] || res "facts $(grep -m1 '^pyfacts ' "$WORK/pyfacts" | cut -d' ' -f2-)"
	SEEN_PY+=("$prefix")
	if [[ -z $PLUGIN ]]; then
		PLUGIN=$(grep -m1 '^pyplugin ' "$WORK/pyfacts" | cut -d' ' -f2-)
		[[ -n $PLUGIN ]] && PY_JAX=$p
	fi
	[[ -z $PY_TORCH ]] && grep -q '^pyfacts .* torch=[0-9]' "$WORK/pyfacts" && PY_TORCH=$p
done
if [[ -z $PLUGIN ]]; then
	# Last resort: the file system (one device), newest CUDA first.
	PLUGIN=$(timeout 30 find / -xdev -path '*/jax_plugins/xla_cuda*/xla_cuda_plugin.so' 2>/dev/null | sort -r | head -1)
fi
res "facts python=${PY:-none} python_torch=${PY_TORCH:-none} plugin=${PLUGIN:-not_found}"
[[ ${PT_SKIP:-0} == 1 ]] && PY_TORCH=""

# Does JAX itself see the GPU? (A driver too old for CUDA 13 shows here, in JAX's own words.)
if [[ -n ${PY_JAX:-} ]]; then
	step facts-jax-devices "$T_JAX" env TF_CPP_MIN_LOG_LEVEL=0 "$PY_JAX" -c 'import jax; print("jax_devices", jax.devices("gpu"))'
	if grep -q '^jax_devices' "$OUT/logs/facts-jax-devices.log"; then
		res "facts $(grep -m1 '^jax_devices' "$OUT/logs/facts-jax-devices.log" | sed 's/^jax_devices /jax_gpu_devices=/')"
	else
		res "facts jax_gpu_devices=none: $(grep -vE '^\s*$|^\s+File |^Traceback' "$OUT/logs/facts-jax-devices.log" | tail -1 | cut -c1-240)"
	fi
else
	missing facts-jax-devices no_python_with_jax_plugins
fi

# ---------------------------------------------------------------- the Go steps' environment
section "env (Go steps)"
GO_ENV=("GOMLX_NO_AUTO_INSTALL=1" "GOPJRT_CUDA_CHECKS=0" "JUANJI_DEVICE=$GO_DEVICE")
LDP="" # LD_LIBRARY_PATH for the Go steps
if [[ -n $PLUGIN && -f $PLUGIN ]]; then
	PLUGIN=$(readlink -f "$PLUGIN")
	SITE=$(dirname "$(dirname "$(dirname "$PLUGIN")")") # .../site-packages
	NV=$SITE/nvidia
	res "plugin path=$PLUGIN mib=$(du -k "$PLUGIN" | awk '{printf "%.0f", $1/1024}')"
	if command -v readelf >/dev/null; then
		rp=$(readelf -d "$PLUGIN" 2>/dev/null | grep -E 'RPATH|RUNPATH' | sed -E 's/.*\((R(UN)?PATH)\).*\[(.*)\]/\1=\3/' | tr '\n' ' ')
		res "plugin ${rp:-rpath=none}"
	fi
	libs=()
	for d in "$NV"/*/lib "$NV"/*/lib64; do [[ -d $d ]] && libs+=("$d"); done
	if ((${#libs[@]})); then
		LDP=$(printf '%s\n' "${libs[@]}" | sort | paste -sd: -)
	else
		res "env nvidia_libs=not_found under $NV"
	fi
	[[ -n ${LD_LIBRARY_PATH:-} ]] && LDP=${LDP:+$LDP:}$LD_LIBRARY_PATH
	# The CUDA data folder: nvvm/libdevice and bin/ptxas, as pkg/device's cudaDataDir picks it.
	DATA=""
	for d in "$NV"/cu13 "$NV"/cuda_nvcc "$NV"/cu12; do
		[[ -d $d/nvvm/libdevice ]] && { DATA=$d; break; }
	done
	if [[ -n ${XLA_FLAGS:-} ]]; then
		res "env XLA_FLAGS=$XLA_FLAGS (the caller's, left as is)"
	elif [[ -n $DATA ]]; then
		GO_ENV+=("XLA_FLAGS=--xla_gpu_cuda_data_dir=$DATA")
	fi
	res "env cuda_data_dir=${DATA:-not_found} libdevice=$(ls "$DATA"/nvvm/libdevice/libdevice*.bc 2>/dev/null | head -1 || true) ptxas=$([[ -x $DATA/bin/ptxas ]] && echo "$DATA/bin/ptxas" || echo not_found)"
	if [[ -x $DATA/bin/ptxas ]]; then
		GO_ENV+=("PATH=$DATA/bin:$PATH")
		res "env ptxas_version=$(timeout 5 "$DATA/bin/ptxas" --version 2>&1 | grep -oE 'V[0-9][0-9.]*' | head -1)"
	fi
else
	res "plugin path=not_found (the Go GPU steps will fail; pkg/device searches on its own)"
fi
[[ -n $LDP ]] && GO_ENV+=("LD_LIBRARY_PATH=$LDP")
for kv in "${GO_ENV[@]}"; do
	[[ $kv == PATH=* ]] && kv="PATH=${kv#PATH=}" && kv="${kv%%:*}:\$PATH"
	res "env $kv"
done

# ---------------------------------------------------------------- probe
section "probe"
PROBE_OK=0
PROBE_ARGS=(-n 4096 -iters 20 -require-gradients)
PROBE_CFG="xla:$PLUGIN"
if ((REHEARSAL)); then
	# The fake plugin has no functions: inspect it, then run GoMLX's pure-Go backend.
	PROBE_ARGS=(-n 256 -iters 2)
	PROBE_CFG=go
fi
if [[ -n $PLUGIN ]]; then
	step probe "$T_PROBE" env "${GO_ENV[@]}" TF_CPP_MIN_LOG_LEVEL=0 "GOMLX_BACKEND=$PROBE_CFG" "$PROBE" -plugin "$PLUGIN" -backend "$PROBE_CFG" "${PROBE_ARGS[@]}"
	keep probe '^probe ' || tail_log probe 15
	# The Go steps that follow need a backend that trains: values off by more than the
	# tolerance are reported (status=failed above) but do not stop the measurements.
	grep -qE '^probe verdict=(ok|wrong_values) ' "$OUT/logs/probe.log" && PROBE_OK=1
	if ! grep -q '^probe verdict=' "$OUT/logs/probe.log" && grep -q '^step name=probe status=timeout' "$RES"; then
		tail_log probe 8
		res "probe verdict=hung $(grep -m1 '^probe pjrt ' "$OUT/logs/probe.log" | grep -oE 'plugin_api=[^ ]+ headers_api=[^ ]+') last_line=\"$(grep -v '^\s*$' "$OUT/logs/probe.log" | tail -1 | cut -c1-160)\""
	elif ! grep -q '^probe verdict=' "$OUT/logs/probe.log"; then
		# No verdict: it crashed (a signal in the plugin); show the end of its log.
		tail_log probe 8
		res "probe verdict=crashed $(grep -m1 '^probe pjrt ' "$OUT/logs/probe.log" | grep -oE 'plugin_api=[^ ]+ headers_api=[^ ]+') signal=$(grep -m1 -oE '^SIG[A-Z]+' "$OUT/logs/probe.log" || echo none) in=$(grep -m1 -oE '_Cfunc_call_PJRT_[A-Za-z_]+' "$OUT/logs/probe.log" | sed 's/_Cfunc_call_//' || echo unknown)"
	fi
	grep -q '^probe verdict=struct_size_mismatch' "$OUT/logs/probe.log" &&
		res "probe FAIL: PJRT said a struct has the wrong size: the plugin's PJRT API differs from go-xla v0.1.4's headers (0.83); see bench/README.md, 'A struct-size mismatch'"
	grep -q '^probe pjrt .*dlopen=failed' "$OUT/logs/probe.log" &&
		res "probe FAIL: the plugin does not load (dlopen's message above); check LD_LIBRARY_PATH and nvidia/*/lib"
else
	missing probe no_plugin
fi

# ---------------------------------------------------------------- XLA correctness test
section "xla-test"
if ((PROBE_OK)) || ((REHEARSAL)); then
	STEP_CHECK="grep -q -- '--- PASS: TestNativeMatchesPortableGradientsOnXLA' \"\$OUT/logs/xla-test.log\""
	# In pkg/nn, where `go test` would run it (the test reads nothing from there today).
	# In a rehearsal the test must not find the fake plugin (it has no functions): without
	# PYTHONPATH, pkg/device finds no XLA backend and the test skips, which is reported as such.
	hide=()
	((REHEARSAL)) && hide=(-u PYTHONPATH)
	step xla-test "$T_XLATEST" bash -c 'cd "$1" && shift && exec "$@"' _ "$ROOT/pkg/nn" env "${hide[@]}" "${GO_ENV[@]}" TF_CPP_MIN_LOG_LEVEL=0 \
		"$NNTEST" -test.run "$XLA_TEST_RUN" -test.v -test.count=1 -test.timeout=$((T_XLATEST - 5))s
	keep xla-test '^(=== RUN|--- |ok|PASS|FAIL|panic|SIG[A-Z]+:|fatal error|\s+xla_test)' 40 || tail_log xla-test 10
	grep -q '^step name=xla-test status=\(failed\|timeout\)' "$RES" && tail_log xla-test 6
	grep -q -- '--- SKIP' "$OUT/logs/xla-test.log" 2>/dev/null && res "xla-test NOT PASSED: the test skipped (no XLA backend found by pkg/device), see above"
else
	skip xla-test probe_failed
fi

# ---------------------------------------------------------------- models on the GPU
SAMPLER=""
start_sampler() {
	SAMPLER=""
	((HAVE_SMI)) || return 0
	nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$OUT/logs/$1.gpumem" 2>/dev/null &
	SAMPLER=$!
}
stop_sampler() {
	[[ -n $SAMPLER ]] || return 0
	kill "$SAMPLER" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	grep -E '^ *[0-9]+ *$' "$OUT/logs/$1.gpumem" 2>/dev/null | tr -d ' ' >"$WORK/mem"
	[[ -s $WORK/mem ]] && res "gpumem step=$1 first_mib=$(head -1 "$WORK/mem") max_used_mib=$(sort -n "$WORK/mem" | tail -1) samples=$(wc -l <"$WORK/mem")"
}
t_of() { local v="T_$1_$2"; echo "${!v:-30}"; }
steps_for() { # steps_for SPEC MODEL
	local kv
	for kv in $1; do [[ ${kv%%:*} == "$2" ]] && { echo "${kv#*:}"; return; }; done
	echo 10
}

section "gpu models (PyTorch --sync both, then Go; Go copies loss and correct count to the host every step: compare with sync=step)"
IFS=, read -ra MODEL_LIST <<<"$MODELS"
EXPECT=()
for m in "${MODEL_LIST[@]}"; do
	EXPECT+=("gpu:$m")
	if [[ -n $PY_TORCH ]]; then
		start_sampler "gpu-$m-pytorch"
		step "gpu-$m-pytorch" "$(t_of PT "$m")" "$PY_TORCH" "$HERE/pytorch_bench.py" --device "$PT_DEVICE" \
			--steps "$STEPS" --warmup "$WARMUP" --models "$m" --sync both
		stop_sampler "gpu-$m-pytorch"
		keep "gpu-$m-pytorch" '^(header|bench) ' 20 gpu || tail_log "gpu-$m-pytorch" 12
	else
		[[ $PT_REASON == PT_SKIP ]] && skip "gpu-$m-pytorch" PT_SKIP || missing "gpu-$m-pytorch" no_torch
	fi
	if ((PROBE_OK)) || ((REHEARSAL)); then
		start_sampler "gpu-$m-go"
		step "gpu-$m-go" "$(t_of GO "$m")" env "${GO_ENV[@]}" "$GOBENCH" -device "$GO_DEVICE" -steps "$STEPS" -warmup "$WARMUP" -models "$m"
		stop_sampler "gpu-$m-go"
		keep "gpu-$m-go" '^(# juanji-bench|bench) ' 20 gpu || tail_log "gpu-$m-go" 15
	else
		skip "gpu-$m-go" probe_failed
	fi
done

# ---------------------------------------------------------------- the CPU engine
section "cpu models ($CPU_DEVICE vs PyTorch, both on $CPU_THREADS threads)"
IFS=, read -ra CPU_LIST <<<"$CPU_MODELS"
for m in "${CPU_LIST[@]}"; do
	EXPECT+=("cpu:$m")
	n=$(steps_for "$CPU_STEPS" "$m")
	if [[ -n $PY_TORCH ]]; then
		step "cpu-$m-pytorch" "$(t_of CPU_PT "$m")" env CUDA_VISIBLE_DEVICES= "$PY_TORCH" "$HERE/pytorch_bench.py" --device cpu \
			--threads "$CPU_THREADS" --steps "$n" --warmup "$CPU_WARMUP" --models "$m" --sync both --no-isolate
		keep "cpu-$m-pytorch" '^(header|bench) ' 20 cpu || tail_log "cpu-$m-pytorch" 12
	else
		[[ $PT_REASON == PT_SKIP ]] && skip "cpu-$m-pytorch" PT_SKIP || missing "cpu-$m-pytorch" no_torch
	fi
	step "cpu-$m-go" "$(t_of CPU_GO "$m")" env GOMAXPROCS="$CPU_THREADS" GOMLX_NO_AUTO_INSTALL=1 JUANJI_DEVICE="$CPU_DEVICE" \
		"$GOBENCH" -device "$CPU_DEVICE" -steps "$n" -warmup "$CPU_WARMUP" -models "$m"
	keep "cpu-$m-go" '^(# juanji-bench|bench) ' 20 cpu || tail_log "cpu-$m-go" 10
done

# ---------------------------------------------------------------- the probe as a notebook runs it
section "probe-no-ldpath (no LD_LIBRARY_PATH, as in a notebook)"
if ((PROBE_OK)) && ((!REHEARSAL)); then
	plain=()
	for kv in "${GO_ENV[@]}"; do [[ $kv == LD_LIBRARY_PATH=* ]] || plain+=("$kv"); done
	step probe-no-ldpath "$T_PROBE_PLAIN" env -u LD_LIBRARY_PATH "${plain[@]}" "GOMLX_BACKEND=$PROBE_CFG" "$PROBE" -plugin "$PLUGIN" -backend "$PROBE_CFG" -n 0 -require-gradients
	keep probe-no-ldpath '^probe (pjrt|verdict)' || tail_log probe-no-ldpath 5
elif ((REHEARSAL)); then
	step probe-no-ldpath "$T_PROBE_PLAIN" env -u LD_LIBRARY_PATH GOMLX_BACKEND=go "$PROBE" -plugin "$PLUGIN" -backend go -n 0
	keep probe-no-ldpath '^probe (pjrt|verdict)' || tail_log probe-no-ldpath 5
else
	skip probe-no-ldpath probe_failed
fi

# ---------------------------------------------------------------- ratios and summary
section "ratios"
RPY=${PY:-$(command -v python3)}
if [[ -n $RPY ]]; then
	"$RPY" "$HERE/ratio.py" "$RES" >"$WORK/ratios" 2>&1
	tee -a "$RES" <"$WORK/ratios"
fi
section "summary"
res "probe: $(grep -m1 '^probe verdict=' "$RES" | cut -d' ' -f2- || true)"
if [[ -n $RPY ]]; then
	"$RPY" "$HERE/ratio.py" --summary --expect="$(IFS=,; echo "${EXPECT[*]}")" "$RES" >"$WORK/summary" 2>&1
	tee -a "$RES" <"$WORK/summary"
else
	res "summary none=no_python"
fi
rc=0
((N_FAILED + N_CUT > 0)) && rc=1
res "steps ok=$N_OK failed=$N_FAILED cut=$N_CUT skipped=$N_SKIPPED${FAILS[*]:+ not_passed=$(IFS=,; echo "${FAILS[*]}")}"
res "# done elapsed_s=$(elapsed) exit=$rc report=$RES logs=$OUT/logs"
exit $rc
