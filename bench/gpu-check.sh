#!/usr/bin/env bash
# bench/gpu-check.sh: one script for a GPU machine (H100/H200, x86-64, no network, nothing
# installable; JAX with its CUDA PJRT plugin, PyTorch and TensorBoard in its Python; Go maybe
# absent). Build the Go side here first (bench/build.sh), then, e.g. from the device tool:
#
#   run(command="bash bench/gpu-check.sh", carry=["bench/bin"], timeout_s=540)
#
# Steps, each under its own timeout, none stopping the others, all within BUDGET_S (470 s):
#   1 nvidia-smi                       6 Go benchmark, bench/bin/juanji-bench -device cuda
#   2 find JAX's xla_cuda_plugin.so    7 Go test binaries bench/bin/*.test, -test.run GO_TEST_RUN
#   3 set the go-xla environment       8 TensorBoard event files in bench/bin/tb-check/ (tb_check.py)
#   4 bench/bin/pjrt-probe             9 Go/PyTorch ratio per model (ratio.py)
#   5 PyTorch benchmark (pytorch_bench.py --device cuda), interleaved with 6, model by model
# Results: $OUT/gpu-results.txt (also printed); each step's full log in $OUT/logs/.
#
# go-xla v0.1.4 (github.com/gomlx/go-xla/pkg/pjrt) finds plugins by file name only
# (pjrt_c_api_<name>_plugin.so, pjrt[-_]plugin[-_]<name>.so) in PJRT_PLUGIN_LIBRARY_PATH, so
# JAX's jax_plugins/xla_cuda13/xla_cuda_plugin.so is invisible to it under its own name. This
# script builds a mirror of site-packages in a temp dir where the plugin also answers to
# pjrt_c_api_cuda_plugin.so, with $ORIGIN/../../nvidia still resolving to JAX's nvidia/ tree,
# and sets:
#   PJRT_PLUGIN_LIBRARY_PATH=<mirror>/jax_plugins/xla_cuda13   (go-xla dynamiclib_base.go:73)
#   GOMLX_BACKEND=xla:cuda              (gomlx backends/backends.go:127; xla.go:96-124)
#   GOMLX_NO_AUTO_INSTALL=1             (gomlx backends/xla/xla.go:189-195: else New() tries to
#                                        download plugins first and fails offline)
#   GOPJRT_CUDA_CHECKS=0                (go-xla cuda_linux.go:71-98: else it may append
#                                        --xla_gpu_cuda_data_dir=/home/janpf/... to XLA_FLAGS)
#   XLA_FLAGS=--xla_gpu_cuda_data_dir=<dir holding nvvm/libdevice>  (unless XLA_FLAGS is set)
#   JUANJI_DEVICE=cuda                  (pkg/device: it loads the JAX plugin by absolute path)
# The probe also tries GOMLX_BACKEND=xla:<absolute path of xla_cuda_plugin.so> (no search),
# and, if both fail, the same with JAX's nvidia/*/lib dirs on LD_LIBRARY_PATH; the first
# route that works is kept for the Go steps that follow.
#
# Knobs (environment): OUT, BUDGET_S, MODELS (lenet,trashnet,resnet18), STEPS (200),
# WARMUP (10), GO_DEVICE (cuda), PT_DEVICE (cuda), PYTHON, GO_TEST_RUN, BENCH_BIN (bench/bin),
# PLUGIN (path of an xla_cuda_plugin.so, skips the search).
set -u
START=$(date +%s)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${OUT:-$HERE/out}
mkdir -p "$OUT/logs" && OUT=$(cd "$OUT" && pwd)
BUDGET_S=${BUDGET_S:-470}
MODELS=${MODELS:-lenet,trashnet,resnet18}
STEPS=${STEPS:-200}
WARMUP=${WARMUP:-10}
GO_DEVICE=${GO_DEVICE:-cuda}
PT_DEVICE=${PT_DEVICE:-cuda}
GO_TEST_RUN=${GO_TEST_RUN:-Native|Portable|Gradient|GPU|XLA|CUDA}
BIN=${BENCH_BIN:-$HERE/bin}
RES=$OUT/gpu-results.txt
: >"$RES"
WORK=$(mktemp -d /tmp/juanji-gpu.XXXXXX)

res() { printf '%s\n' "$*" | tee -a "$RES"; }
elapsed() { echo $(($(date +%s) - START)); }
left() { echo $((BUDGET_S - $(elapsed))); }

# step NAME TIMEOUT CMD...: runs CMD with stdout+stderr to $OUT/logs/NAME.log, under
# min(TIMEOUT, time left - 10 s); records one `step` line; returns CMD's status.
step() {
	local name=$1 t=$2
	shift 2
	local l
	l=$(($(left) - 10))
	((l < t)) && t=$l
	if ((t < 5)); then
		res "step name=$name status=skipped reason=out_of_time elapsed_s=$(elapsed)"
		return 124
	fi
	local t0=$SECONDS rc
	timeout -k 5 "$t" "$@" >"$OUT/logs/$name.log" 2>&1
	rc=$?
	local st=ok
	((rc != 0)) && st=failed
	((rc == 124 || rc == 137)) && st=timeout
	res "step name=$name status=$st rc=$rc seconds=$((SECONDS - t0)) timeout_s=$t"
	return $rc
}
skip() { res "step name=$1 status=skipped reason=$2"; }
# tail_log NAME N: the first 3 and the last N lines of a step's log, indented, into the results.
tail_log() {
	local f=$OUT/logs/$1.log
	[[ -f $f ]] || return 0
	if (($(wc -l <"$f") > $2 + 3)); then
		{ head -n 3 "$f"; echo "..."; tail -n "$2" "$f"; } | sed 's/^/    | /' | tee -a "$RES"
	else
		sed 's/^/    | /' "$f" | tee -a "$RES"
	fi
}
# keep NAME PATTERN [MAX]: copies the log's lines matching PATTERN (at most MAX, default 200)
# into the results; fails when there are none.
keep() {
	[[ -f $OUT/logs/$1.log ]] || return 1
	grep -E "$2" "$OUT/logs/$1.log" | head -n "${3:-200}" >"$WORK/keep"
	[[ -s $WORK/keep ]] || return 1
	tee -a "$RES" <"$WORK/keep"
}

# binpath NAME: path of an executable bench/bin/NAME, unpacking NAME.gz if that is what came.
binpath() {
	local f=$BIN/$1
	if [[ -f $f ]]; then
		[[ -x $f ]] || { cp "$f" "$WORK/$1" && chmod +x "$WORK/$1" && f=$WORK/$1; }
		echo "$f"
	elif [[ -f $f.gz ]]; then
		gzip -dc "$f.gz" >"$WORK/$1" && chmod +x "$WORK/$1" && echo "$WORK/$1"
	else
		return 1
	fi
}

res "# juanji gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) host=$(hostname) arch=$(uname -m) budget_s=$BUDGET_S"
res "config models=$MODELS steps=$STEPS warmup=$WARMUP go_device=$GO_DEVICE pt_device=$PT_DEVICE"
res "load $(uptime | sed 's/^ *//')"
res "cpus $(nproc) mem_total=$(awk '/MemTotal/{printf "%.0fGiB", $2/1048576}' /proc/meminfo)"
if git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1; then
	res "git commit=$(git -C "$ROOT" rev-parse --short HEAD) dirty_files=$(git -C "$ROOT" status --porcelain 2>/dev/null | wc -l)"
fi
for f in "$BIN"/*; do
	[[ -f $f ]] && res "carried file=${f#"$ROOT"/} mib=$(du -k "$f" | awk '{printf "%.1f", $1/1024}')"
done

# ---------------------------------------------------------------- 1. nvidia-smi
if command -v nvidia-smi >/dev/null; then
	step nvidia-smi 20 nvidia-smi
	tail_log nvidia-smi 40
	step nvidia-smi-query 15 nvidia-smi --query-gpu=index,name,driver_version,memory.total,memory.used,utilization.gpu,clocks.sm,clocks.max.sm,power.draw,power.limit --format=csv
	while IFS= read -r l; do res "gpu $l"; done < <(tail -n +2 "$OUT/logs/nvidia-smi-query.log" 2>/dev/null)
else
	skip nvidia-smi not_on_path
fi

# ---------------------------------------------------------------- 2. Python, JAX's CUDA plugin
# A Python with torch (for step 5) and one whose site-packages hold jax_plugins (for step 2).
PY_CANDIDATES=()
[[ -n ${PYTHON:-} ]] && PY_CANDIDATES+=("$PYTHON")
for p in python3 python /usr/bin/python3 /usr/local/bin/python3 /opt/conda/bin/python; do
	p=$(command -v "$p" 2>/dev/null) || continue
	[[ " ${PY_CANDIDATES[*]} " == *" $p "* ]] || PY_CANDIDATES+=("$p")
done
PY=""
PY_TORCH=""
for p in "${PY_CANDIDATES[@]}"; do
	[[ -z $PY ]] && "$p" -c 'import sys' >/dev/null 2>&1 && PY=$p
	if [[ -z $PY_TORCH ]] && timeout 60 "$p" -c 'import torch' >/dev/null 2>&1; then
		PY_TORCH=$p
		break
	fi
done
res "python any=${PY:-none} torch=${PY_TORCH:-none}"

find_plugin() {
	local p dirs=()
	for p in "${PY_CANDIDATES[@]}"; do
		while IFS= read -r d; do dirs+=("$d"); done < <(timeout 15 "$p" -c '
import site, sys
for d in list(site.getsitepackages()) + [site.getusersitepackages()] + sys.path:
    print(d)' 2>/dev/null)
	done
	for d in "${dirs[@]}"; do
		for f in "$d"/jax_plugins/xla_cuda13/xla_cuda_plugin.so "$d"/jax_plugins/xla_cuda*/xla_cuda_plugin.so; do
			[[ -f $f ]] && { echo "$f"; return 0; }
		done
	done
	# Last resort: the file system (one device), newest CUDA first.
	timeout 40 find / -xdev -path '*/jax_plugins/xla_cuda*/xla_cuda_plugin.so' 2>/dev/null | sort -r | head -1
}
PLUGIN=${PLUGIN:-}
if [[ -z $PLUGIN ]]; then
	t0=$SECONDS
	PLUGIN=$(find_plugin)
	res "step name=find-plugin status=$([[ -n $PLUGIN ]] && echo ok || echo failed) seconds=$((SECONDS - t0))"
fi

# ---------------------------------------------------------------- 3. the go-xla environment
GO_ENV=()        # NAME=value pairs for the Go steps (not for PyTorch)
ABS_CONFIG=""    # GOMLX_BACKEND for the absolute-path route
NV_LIBS=""       # JAX's nvidia/*/lib dirs, for the LD_LIBRARY_PATH route
if [[ -n $PLUGIN && -f $PLUGIN ]]; then
	PLUGIN=$(readlink -f "$PLUGIN")
	PDIR=$(dirname "$PLUGIN")         # .../site-packages/jax_plugins/xla_cuda13
	JPDIR=$(dirname "$PDIR")          # .../site-packages/jax_plugins
	SITE=$(dirname "$JPDIR")          # .../site-packages
	res "plugin path=$PLUGIN mib=$(du -k "$PLUGIN" | awk '{printf "%.0f", $1/1024}')"
	# RPATH/RUNPATH of the plugin, to see where it expects NVIDIA's libraries.
	if command -v readelf >/dev/null; then
		res "plugin $(readelf -d "$PLUGIN" 2>/dev/null | grep -E 'RPATH|RUNPATH' | sed -E 's/.*\((R(UN)?PATH)\).*\[(.*)\]/\1=\3/' | tr '\n' ' ')"
	elif [[ -n $PY ]]; then
		res "plugin $("$PY" - "$PLUGIN" <<'EOF' 2>/dev/null
import struct, sys
f = open(sys.argv[1], "rb"); d = f.read()
if d[:4] != b"\x7fELF" or d[4] != 2: print("elf=unreadable"); sys.exit()
shoff, = struct.unpack_from("<Q", d, 0x28); shentsize, shnum = struct.unpack_from("<HH", d, 0x3A)
secs = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize) for i in range(shnum)]
dyn = [s for s in secs if s[1] == 6]
out = []
for s in dyn:
    strtab = secs[s[6]]; so = strtab[4]
    for o in range(s[4], s[4] + s[5], 16):
        tag, val = struct.unpack_from("<qQ", d, o)
        if tag in (15, 29):
            e = d.index(b"\0", so + val)
            out.append(("RPATH=" if tag == 15 else "RUNPATH=") + d[so + val:e].decode())
print(" ".join(out) or "rpath=none")
EOF
)"
	fi
	# Mirror of site-packages: every entry a symlink, except jax_plugins/<plugin dir>, which
	# holds symlinks to its files plus pjrt_c_api_cuda_plugin.so -> xla_cuda_plugin.so.
	MIRROR=$WORK/site
	mkdir -p "$MIRROR/jax_plugins/$(basename "$PDIR")"
	for e in "$SITE"/* "$SITE"/.[!.]*; do
		[[ -e $e && $(basename "$e") != jax_plugins ]] && ln -s "$e" "$MIRROR/$(basename "$e")"
	done
	for e in "$JPDIR"/*; do
		[[ $e != "$PDIR" ]] && ln -s "$e" "$MIRROR/jax_plugins/$(basename "$e")"
	done
	for e in "$PDIR"/*; do ln -s "$e" "$MIRROR/jax_plugins/$(basename "$PDIR")/$(basename "$e")"; done
	PLUGDIR=$MIRROR/jax_plugins/$(basename "$PDIR")
	ln -s "$PLUGIN" "$PLUGDIR/pjrt_c_api_cuda_plugin.so"
	GO_ENV+=("PJRT_PLUGIN_LIBRARY_PATH=$PLUGDIR" "GOMLX_BACKEND=xla:cuda" "GOMLX_NO_AUTO_INSTALL=1"
		"GOPJRT_CUDA_CHECKS=0" "JUANJI_DEVICE=$GO_DEVICE")
	ABS_CONFIG="xla:$PLUGIN"
	# CUDA data dir for XLA (ptxas, nvvm/libdevice): the folder holding nvvm/libdevice.
	LIBDEVICE=$(find "$SITE/nvidia" -name 'libdevice*.bc' 2>/dev/null | sort | head -1)
	if [[ -n ${XLA_FLAGS:-} ]]; then
		res "env XLA_FLAGS already set: $XLA_FLAGS (left as is)"
	elif [[ -n $LIBDEVICE ]]; then
		GO_ENV+=("XLA_FLAGS=--xla_gpu_cuda_data_dir=$(dirname "$(dirname "$(dirname "$LIBDEVICE")")")")
	else
		res "env libdevice=not_found_under_$SITE/nvidia"
	fi
	PTXAS=$(find "$SITE/nvidia" -name ptxas -type f 2>/dev/null | head -1)
	[[ -n $PTXAS ]] && GO_ENV+=("PATH=$(dirname "$PTXAS"):$PATH")
	NV_LIBS=$(find "$SITE/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | sort | tr '\n' ':')
	for kv in "${GO_ENV[@]}"; do
		if [[ $kv == PATH=* ]]; then res "env PATH=$(dirname "$PTXAS"):\$PATH"; else res "env $kv"; fi
	done
else
	res "plugin path=not_found (the Go steps will use pkg/device's own search)"
	GO_ENV+=("GOMLX_NO_AUTO_INSTALL=1" "GOPJRT_CUDA_CHECKS=0" "JUANJI_DEVICE=$GO_DEVICE")
fi

# ---------------------------------------------------------------- 4. PJRT probe (GoMLX only)
if PROBE=$(binpath pjrt-probe); then
	# A route works when the backend was created (a failed numeric check is reported, not retried).
	probe_ok() { grep -qE '^probe backend=' "$OUT/logs/$1.log" && ! grep -qE '^probe backend=error' "$OUT/logs/$1.log"; }
	ok=""
	step probe-named 90 env "${GO_ENV[@]}" "$PROBE" -n 4096 -iters 20
	probe_ok probe-named && ok=named
	keep probe-named '^probe ' || tail_log probe-named 3
	if [[ -z $ok && -n $ABS_CONFIG ]]; then
		step probe-abspath 45 env "${GO_ENV[@]}" "GOMLX_BACKEND=$ABS_CONFIG" "$PROBE" -n 4096 -iters 20
		probe_ok probe-abspath && ok=abspath
		keep probe-abspath '^probe ' || tail_log probe-abspath 3
		if [[ -z $ok && -n $NV_LIBS ]]; then
			step probe-ldpath 45 env "${GO_ENV[@]}" "GOMLX_BACKEND=$ABS_CONFIG" "LD_LIBRARY_PATH=$NV_LIBS${LD_LIBRARY_PATH:-}" "$PROBE" -n 4096 -iters 20
			probe_ok probe-ldpath && ok=ldpath
			keep probe-ldpath '^probe ' || tail_log probe-ldpath 3
			[[ $ok == ldpath ]] && GO_ENV+=("LD_LIBRARY_PATH=$NV_LIBS${LD_LIBRARY_PATH:-}")
		fi
		[[ $ok == abspath || $ok == ldpath ]] && GO_ENV+=("GOMLX_BACKEND=$ABS_CONFIG")
	fi
	res "probe route=${ok:-none_worked}"
else
	skip probe "no bench/bin/pjrt-probe (run bench/build.sh)"
fi

# ---------------------------------------------------------------- 5+6. PyTorch and Go, model by model
# One process per model and framework: a model that fails or hangs costs only its own
# figures, and each pair is complete before the next model starts. While each runs,
# nvidia-smi samples the GPU's memory.used every 200 ms (XLA preallocates most of the
# GPU's memory by default, so for Go that figure shows the preallocation, not the need).
SAMPLER=""
start_sampler() {
	SAMPLER=""
	command -v nvidia-smi >/dev/null || return 0
	nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$OUT/logs/$1.gpumem" 2>/dev/null &
	SAMPLER=$!
}
stop_sampler() {
	[[ -n $SAMPLER ]] || return 0
	kill "$SAMPLER" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	local f=$OUT/logs/$1.gpumem
	grep -E '^ *[0-9]+ *$' "$f" 2>/dev/null | tr -d ' ' >"$WORK/mem"
	[[ -s $WORK/mem ]] && res "gpumem step=$1 baseline_mib=$(head -1 "$WORK/mem") max_used_mib=$(sort -n "$WORK/mem" | tail -1) samples=$(wc -l <"$WORK/mem")"
}
GOBENCH=""
GO_WARM=()
if GOBENCH=$(binpath juanji-bench); then
	# -warmup is passed only if this build of juanji-bench has it.
	"$GOBENCH" -h 2>&1 | grep -q -- '-warmup' && GO_WARM=(-warmup "$WARMUP")
else
	GOBENCH=""
	skip gomlx "no bench/bin/juanji-bench (run bench/build.sh once cmd/juanji-bench exists)"
fi
[[ -n $PY_TORCH ]] || skip pytorch "no python with torch"
IFS=, read -ra MODEL_LIST <<<"$MODELS"
for m in "${MODEL_LIST[@]}"; do
	if [[ -n $PY_TORCH ]]; then
		start_sampler "pytorch-$m"
		step "pytorch-$m" 75 "$PY_TORCH" "$HERE/pytorch_bench.py" --device "$PT_DEVICE" --steps "$STEPS" \
			--warmup "$WARMUP" --models "$m"
		stop_sampler "pytorch-$m"
		keep "pytorch-$m" '^(header|bench) ' || tail_log "pytorch-$m" 12
	fi
	if [[ -n $GOBENCH ]]; then
		start_sampler "gomlx-$m"
		step "gomlx-$m" 100 env "${GO_ENV[@]}" "$GOBENCH" -device "$GO_DEVICE" -steps "$STEPS" "${GO_WARM[@]}" -models "$m"
		stop_sampler "gomlx-$m"
		keep "gomlx-$m" '^(# juanji-bench|header|bench) ' || tail_log "gomlx-$m" 15
	fi
done

# ---------------------------------------------------------------- 7. Go tests that need XLA
shopt -s nullglob
tests=("$BIN"/*.test "$BIN"/*.test.gz)
if ((${#tests[@]} == 0)); then
	skip go-tests "no bench/bin/*.test"
fi
for t in "${tests[@]}"; do
	name=$(basename "${t%.gz}")
	if ! tb=$(binpath "$name"); then
		skip "test-$name" unpack_failed
		continue
	fi
	pkgdir=$ROOT/${name%.test}
	pkgdir=${pkgdir//__//}
	[[ -d $pkgdir ]] || pkgdir=$ROOT
	(cd "$pkgdir" && step "test-${name%.test}" 60 env "${GO_ENV[@]}" "$tb" -test.run "$GO_TEST_RUN" -test.v -test.count=1 -test.timeout=55s)
	keep "test-${name%.test}" '^(--- |ok|PASS|FAIL|panic)' 40 || tail_log "test-${name%.test}" 10
done

# ---------------------------------------------------------------- 8. TensorBoard event files
if [[ -d $BIN/tb-check ]] && [[ -n $(find "$BIN/tb-check" -name '*tfevents*' 2>/dev/null | head -1) ]]; then
	TBPY=""
	for p in "${PY_CANDIDATES[@]}"; do timeout 30 "$p" -c 'import tensorboard' >/dev/null 2>&1 && { TBPY=$p; break; }; done
	TBPY=${TBPY:-$PY}
	if [[ -n $TBPY ]]; then
		step tb-check 40 "$TBPY" "$HERE/tb_check.py" "$BIN/tb-check"
		keep tb-check '^tb ' 40 || tail_log tb-check 10
	else
		skip tb-check "no python"
	fi
else
	skip tb-check "no event files in bench/bin/tb-check"
fi

# ---------------------------------------------------------------- 9. ratios
if [[ -n $PY ]]; then
	"$PY" "$HERE/ratio.py" "$RES" 2>&1 | tee -a "$RES.tmp"
	cat "$RES.tmp" >>"$RES" && rm -f "$RES.tmp"
else
	res "ratio none=no_python"
fi
res "# done elapsed_s=$(elapsed) logs=$OUT/logs"
rm -rf "$WORK"
exit 0
