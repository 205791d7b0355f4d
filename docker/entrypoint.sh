#!/usr/bin/env bash
# docker/entrypoint.sh: what the juanji image runs (under tini, as its user).
#
#   docker run ... juanji                  JupyterLab on port 8888, token required
#   docker run ... juanji --some-option    the same, with extra JupyterLab options
#   docker run ... juanji make test        any other command instead (here, the
#                                          README's test command)
#
# The token: JUPYTER_TOKEN if set (16 characters at least), else a random one,
# printed in the address to open. Jupyter reads it from the environment, so it
# never shows in the process list. An empty token or password is never used:
# this server runs code.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=8888 # the image's EXPOSE and HEALTHCHECK use it; publish it as you like

if (($# > 0)) && [[ $1 != -* ]]; then
  exec "$@"
fi

if [[ $(id -u) == 0 ]]; then
  echo "juanji: refusing to serve Jupyter as root; run the image as its own user (no --user 0)" >&2
  exit 1
fi

generated=
if [[ -z ${JUPYTER_TOKEN:-} ]]; then
  JUPYTER_TOKEN=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  generated=1
fi
if ((${#JUPYTER_TOKEN} < 16)); then
  echo "juanji: JUPYTER_TOKEN is too short (${#JUPYTER_TOKEN} characters, 16 at least): use for instance \$(openssl rand -hex 16), or leave it unset for a random one" >&2
  exit 1
fi
export JUPYTER_TOKEN

echo
if [[ -n $generated ]]; then
  echo "  JupyterLab on notebooks/ -- open:  http://127.0.0.1:${port}/lab/tree/notebooks?token=${JUPYTER_TOKEN}"
else
  echo "  JupyterLab on notebooks/ -- open:  http://127.0.0.1:${port}/lab/tree/notebooks  (token: the JUPYTER_TOKEN you set)"
fi
echo "  (127.0.0.1:${port} is the address published with -p 127.0.0.1:${port}:${port}; use your host port if you chose another)"
echo "  datasets: ${JUANJI_DATA:-$root/data}    device: ${JUANJI_DEVICE:-${GOMLX_BACKEND:-automatic (CUDA with a GPU, else XLA CPU, else pure Go)}}"
echo

cd "$root"
exec jupyter lab \
  --no-browser \
  --ip=0.0.0.0 \
  --port="$port" \
  --ServerApp.port_retries=0 \
  --ServerApp.root_dir="$root" \
  --LabApp.default_url=/lab/tree/notebooks \
  "$@"
