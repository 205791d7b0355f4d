#!/usr/bin/env bash
# kernels/run-notebooks.sh [NOTEBOOK.ipynb...]: executes notebooks headless and
# checks their outputs. `make test` runs it on every notebooks/*.ipynb.
#
# Each notebook runs with `jupyter nbconvert --to notebook --execute` into a
# temporary folder (the committed notebooks are never touched), in quick mode
# unless JUANJI_QUICK is already set, then internal/nbcheck reads the executed
# copies: any cell error, Go panic or non-zero exit, or missing expected output
# fails the run. Run kernels/install.sh first (make does).
#
# Environment:
#   JUANJI_QUICK   default 1 here (quick mode); JUANJI_QUICK=0 for full runs
#   NB_TIMEOUT     seconds a single cell may take (default 1800)
#   NBOUT          folder for the executed copies (default: a new temporary
#                  folder, removed when everything passed)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export JUANJI_QUICK=${JUANJI_QUICK-1}
timeout=${NB_TIMEOUT:-1800}

if (($# == 0)); then
  shopt -s nullglob
  set -- notebooks/*.ipynb
  shopt -u nullglob
fi
if (($# == 0)); then
  echo "notebooks: no notebooks/*.ipynb to run" >&2
  exit 1
fi

# The Go kernel must be registered where install.sh puts it and point at a
# gonb binary that exists (another checkout may have registered its own).
spec="${JUPYTER_DATA_DIR:-$(jupyter --data-dir)}/kernels/gonb/kernel.json"
if ! problem=$(python3 - "$spec" 2>&1 <<'PY'
import json, os, sys
try:
    argv0 = json.load(open(sys.argv[1]))["argv"][0]
except (OSError, ValueError, KeyError, IndexError) as e:
    sys.exit("no usable Go kernel spec at %s (%s)" % (sys.argv[1], e))
if not os.access(argv0, os.X_OK):
    sys.exit("the Go kernel points at %s, which is not there" % argv0)
PY
); then
  echo "notebooks: $problem; run kernels/install.sh (make test does)" >&2
  exit 1
fi

keep=${NBOUT:+1}
out=${NBOUT:-$(mktemp -d "${TMPDIR:-/tmp}/juanji-notebooks.XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)

status=0
executed=()
for nb in "$@"; do
  [[ -f "$nb" ]] || { echo "notebooks: no such notebook: $nb" >&2; status=1; continue; }
  name=$(basename "$nb" .ipynb)
  log="$out/$name.log"
  echo "notebooks: running $nb (JUANJI_QUICK=$JUANJI_QUICK, cell timeout ${timeout}s)..."
  t0=$SECONDS
  # The kernel starts in the notebook's folder, as under `make lab`.
  # allow_errors: keep going after a failing cell so that the executed copy is
  # written and nbcheck names the cell; the kernel's own log goes to $log.
  if (cd "$(dirname "$nb")" && jupyter nbconvert --to notebook --execute \
    --ExecutePreprocessor.timeout="$timeout" \
    --ExecutePreprocessor.allow_errors=True \
    --output-dir "$out" --output "$name" "$(basename "$nb")") >"$log" 2>&1; then
    executed+=("$out/$name.ipynb")
    echo "notebooks: $nb ran in $((SECONDS - t0))s"
  else
    status=1
    echo "notebooks: FAIL $nb: nbconvert failed after $((SECONDS - t0))s; the end of $log:" >&2
    grep -v '^[IW][0-9]\{4\} ' "$log" | tail -n 25 >&2 || true
  fi
done

if ((${#executed[@]})); then
  go build -o "$out/nbcheck" ./internal/nbcheck
  "$out/nbcheck" "${executed[@]}" || status=1
fi

if ((status == 0)) && [[ -z "$keep" ]]; then
  rm -rf "$out"
else
  echo "notebooks: executed copies and kernel logs are in $out"
fi
exit "$status"
