#!/usr/bin/env bash
# bench/rehearse.sh: bench/gpu-check.sh on this CPU machine, with fakes, so that the GPU run's
# script, binaries and report are exercised before the only chance to run them:
#
#   bash bench/gpu-check.sh --prepare && bash bench/rehearse.sh      # report in bench/out-rehearsal/
#
# Fakes, in a temporary folder: an `nvidia-smi` (header, --query-gpu, -lms sampling), a
# site-packages holding jax_plugins/xla_cuda13/xla_cuda_plugin.so (bench/testdata/pjrt_stub.c
# compiled with gcc: a PJRT table of version 0.95 and no functions; a text file without gcc),
# a `jax` module whose devices('gpu') names one fake GPU, the dist-info of jax and
# jax-cuda13-pjrt, and nvidia/{cu13,cudnn} folders with a `ptxas` and a libdevice.
# Then: JUANJI_DEVICE=go for the "GPU" Go steps, gocpu for the CPU-engine ones (as on the GPU
# machine), PyTorch (if installed) on the CPU, MODELS=lenet,
# CPU_MODELS=lenet, 3 steps. All knobs of gpu-check.sh pass through (REHEARSE_SPEND...).
# Nothing here measures anything worth keeping: the figures are CPU figures of tiny runs.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FAKE=$(mktemp -d /tmp/juanji-rehearsal.XXXXXX)
trap 'rm -rf "$FAKE"' EXIT

mkdir -p "$FAKE/bin"
cat >"$FAKE/bin/nvidia-smi" <<'EOF'
#!/bin/sh
# Fake nvidia-smi (bench/rehearse.sh).
case " $* " in
*" -lms "*) while :; do echo 1234; sleep 0.2; done ;;
*--query-gpu*) echo "0, REHEARSAL fake GPU, 0.0, 9.0, 1024 MiB, 0 MiB, 0 MHz, 0.00 W" ;;
*" -L "*) echo "GPU 0: REHEARSAL fake GPU (UUID: GPU-00000000-fake)" ;;
*) echo "| NVIDIA-SMI 0.0 (REHEARSAL fake)   Driver Version: 0.0.rehearsal   CUDA Version: 0.0 |" ;;
esac
EOF
chmod +x "$FAKE/bin/nvidia-smi"

SITE=$FAKE/site-packages
mkdir -p "$SITE/jax_plugins/xla_cuda13" "$SITE/jax" "$SITE/nvidia/cu13/lib" "$SITE/nvidia/cu13/bin" \
	"$SITE/nvidia/cu13/nvvm/libdevice" "$SITE/nvidia/cudnn/lib"
if ! gcc -shared -fPIC -o "$SITE/jax_plugins/xla_cuda13/xla_cuda_plugin.so" "$HERE/testdata/pjrt_stub.c" 2>"$FAKE/gcc.log"; then
	echo "rehearse: no stub plugin ($(head -1 "$FAKE/gcc.log")): a text file stands in for it" >&2
	echo "not a library" >"$SITE/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
fi
: >"$SITE/jax_plugins/xla_cuda13/__init__.py"
cat >"$SITE/jax/__init__.py" <<'EOF'
"""Fake jax (bench/rehearse.sh)."""
__version__ = "0.0+rehearsal"


def devices(backend=None):
    return ["FakeCudaDevice(id=0)"]
EOF
for d in jax:0.0+rehearsal jax_cuda13_pjrt:0.0+rehearsal; do
	mkdir -p "$SITE/${d%%:*}-${d#*:}.dist-info"
	printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' "${d%%:*}" "${d#*:}" >"$SITE/${d%%:*}-${d#*:}.dist-info/METADATA"
done
printf '#!/bin/sh\necho "ptxas: fake (bench/rehearse.sh), Cuda compilation tools, release 0.0, V0.0.0"\n' >"$SITE/nvidia/cu13/bin/ptxas"
chmod +x "$SITE/nvidia/cu13/bin/ptxas"
: >"$SITE/nvidia/cu13/nvvm/libdevice/libdevice.10.bc"

export PATH="$FAKE/bin:$PATH"
export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
export REHEARSAL=${REHEARSAL:-1}
export OUT=${OUT:-$HERE/out-rehearsal}
export GO_DEVICE=${GO_DEVICE:-go} PT_DEVICE=${PT_DEVICE:-cpu} CPU_DEVICE=${CPU_DEVICE:-gocpu}
export MODELS=${MODELS-lenet} CPU_MODELS=${CPU_MODELS-lenet}
export STEPS=${STEPS:-3} WARMUP=${WARMUP:-1} CPU_STEPS=${CPU_STEPS:-"lenet:3"} CPU_WARMUP=${CPU_WARMUP:-1}
bash "$HERE/gpu-check.sh"
