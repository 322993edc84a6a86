#!/usr/bin/env bash
# Execute notebooks headlessly with the project's tslab kernel (nbconvert, from ./.venv after
# `npm run jupyter:setup`, or Debian's jupyter-nbconvert).
#   scripts/html.sh [--inplace | --output-dir DIR] [notebooks/NAME.ipynb ...]
#     default:       write HTML to html/
#     --output-dir:  write HTML to DIR
#     --inplace:     store the outputs in the notebooks themselves (what is committed)
# The profile each notebook runs at is its settings cell's, unless LLC_NOTEBOOK_PROFILE is set.
# A cell error stops nbconvert with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=html
outdir=html
case "${1:-}" in
  --inplace) mode=inplace; shift ;;
  --output-dir) outdir="$2"; shift 2 ;;
esac
source scripts/jupyter-env.sh
if [ -z "$JUPYTER_PY" ] || ! "$JUPYTER_PY" -c 'import nbconvert' 2>/dev/null; then
  # Debian's jupyter-nbconvert package runs on /usr/bin/python3, which jupyter-env.sh may not have picked.
  if command -v jupyter-nbconvert >/dev/null && /usr/bin/python3 -c 'import nbconvert, jupyter_client, IPython' 2>/dev/null; then
    JUPYTER_PY=/usr/bin/python3
  else
    echo "nbconvert not found: npm run jupyter:setup (project-local .venv), or sudo apt-get install jupyter-nbconvert jupyter-client python3-ipykernel" >&2
    exit 2
  fi
fi
[ -f "$JUPYTER_DATA_DIR/kernels/tslab/kernel.json" ] || JUPYTER_PYTHON="$JUPYTER_PY" scripts/jupyter-kernel.sh
if [ $# -eq 0 ]; then set -- notebooks/*.ipynb; fi
for nb in "$@"; do
  echo "executing $nb" >&2
  if [ "$mode" = inplace ]; then
    "$JUPYTER_PY" -m nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=-1 --ExecutePreprocessor.kernel_name=tslab "$nb"
  else
    "$JUPYTER_PY" -m nbconvert --to html --execute --ExecutePreprocessor.timeout=-1 --ExecutePreprocessor.kernel_name=tslab --output-dir "$outdir" "$nb"
  fi
done
