#!/usr/bin/env bash
# bench/cpu-compare.sh: the GPU comparison's counterpart on this machine: juanji's CPU engine
# (bench/bin/juanji-bench -device gocpu; GO_DEVICE=go for GoMLX's pure Go) against the document's PyTorch code on Debian's
# python3-torch (CPU, 2 threads), same models, same batch sizes, same synthetic data shapes.
# Everything goes to stdout, in the format of bench/results-cpu.txt:
#
#   bash bench/build.sh                          # once, builds bench/bin/juanji-bench
#   bash bench/cpu-compare.sh | tee bench/results-cpu.txt
#
# The pure-Go backend is slow, so each model gets its own number of steps, for each side:
#   GO_STEPS="lenet:50 trashnet:5 resnet18:2"   PT_STEPS="lenet:300 trashnet:40 resnet18:10"
# Other knobs: MODELS (lenet,trashnet; add resnet18 if you have the time), WARMUP (PyTorch
# warm-up steps, 10), GO_WARMUP (-warmup, if set and juanji-bench has it), THREADS (2), PYTHON
# (/usr/bin/python3), GO_DEVICE (gocpu: juanji's engine; go: GoMLX's pure Go), BENCH_BIN (bench/bin), STEP_TIMEOUT_S (900 per model
# and side).
# PyTorch runs first for each model, then Go, one after the other: never both at once.
# Run it on an idle machine: with 2 OpenMP threads on 2 cores, one busy core from another
# process slowed PyTorch's LeNet step 19-fold here (OpenMP threads spin at barriers); the
# load before and after each run is printed so a loaded run can be recognised.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODELS=${MODELS:-lenet,trashnet}
GO_STEPS=${GO_STEPS:-"lenet:50 trashnet:5 resnet18:2"}
PT_STEPS=${PT_STEPS:-"lenet:300 trashnet:40 resnet18:10"}
WARMUP=${WARMUP:-10}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-/usr/bin/python3}
GO_DEVICE=${GO_DEVICE:-gocpu}
BIN=${BENCH_BIN:-$HERE/bin}
STEP_TIMEOUT_S=${STEP_TIMEOUT_S:-900}
TMP=$(mktemp /tmp/juanji-cpu.XXXXXX)
trap 'rm -f "$TMP"' EXIT

steps_for() { # steps_for SPEC MODEL
	local kv
	for kv in $1; do [[ ${kv%%:*} == "$2" ]] && { echo "${kv#*:}"; return; }; done
	echo 10
}

echo "# juanji cpu-compare $(date -u +%Y-%m-%dT%H:%M:%SZ) host=$(hostname) cpus=$(nproc) cpu='$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)'"
echo "# go_steps='$GO_STEPS' pt_steps='$PT_STEPS' pt_warmup=$WARMUP threads=$THREADS"
echo "load before $(uptime | sed 's/^ *//')"
if [[ -x $BIN/juanji-bench ]]; then
	GOBENCH=$BIN/juanji-bench
else
	GOBENCH=""
	echo "# gomlx skipped: no $BIN/juanji-bench (bash bench/build.sh once cmd/juanji-bench exists)"
fi
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
	echo "# pytorch skipped: $PYTHON cannot import torch (apt-get install -y python3-torch python3-torchvision)"
	PYTHON=""
fi

first=1
IFS=, read -ra models <<<"$MODELS"
for m in "${models[@]}"; do
	if [[ -n $PYTHON ]]; then
		hdr=(--no-header)
		((first)) && hdr=()
		timeout "$STEP_TIMEOUT_S" "$PYTHON" "$HERE/pytorch_bench.py" --device cpu --threads "$THREADS" \
			--steps "$(steps_for "$PT_STEPS" "$m")" --warmup "$WARMUP" --models "$m" "${hdr[@]}" 2>&1 | tee -a "$TMP"
		echo "load after pytorch $m $(uptime | sed 's/^ *//')"
	fi
	if [[ -n $GOBENCH ]]; then
		warm=()
		[[ -n ${GO_WARMUP:-} ]] && "$GOBENCH" -h 2>&1 | grep -q -- '-warmup' && warm=(-warmup "$GO_WARMUP")
		timeout "$STEP_TIMEOUT_S" "$GOBENCH" -device "$GO_DEVICE" -steps "$(steps_for "$GO_STEPS" "$m")" \
			-models "$m" "${warm[@]}" 2>&1 | tee -a "$TMP"
		echo "load after gomlx $m $(uptime | sed 's/^ *//')"
	fi
	first=0
done
"${PYTHON:-python3}" "$HERE/ratio.py" "$TMP"
