#!/usr/bin/env bash
# Register the tslab (TypeScript) kernel for this project only, under ./.jupyter
# (npm run kernel). Uses the first Python that has Jupyter (see scripts/jupyter-env.sh:
# ./.venv first); without one, says how to get it and exits 2.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jupyter-env.sh
if [ -z "$JUPYTER_PY" ]; then
  echo "npm run kernel: cannot register the tslab kernel yet." >&2
  jupyter_missing_help
  exit 2
fi
[ -x node_modules/.bin/tslab ] || { echo "npm run kernel: node_modules/.bin/tslab missing; run npm ci first" >&2; exit 2; }
node_modules/.bin/tslab install --python="$JUPYTER_PY" --binary="$PWD/node_modules/.bin/tslab" --prefix="$PWD/.jupyter" >/dev/null
spec=.jupyter/share/jupyter/kernels/tslab/kernel.json
[ -f "$spec" ] || { echo "npm run kernel: tslab install did not write $spec" >&2; exit 1; }
echo "tslab kernel registered in $spec (Jupyter from $JUPYTER_PY)" >&2
