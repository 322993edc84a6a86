#!/usr/bin/env bash
# Execute notebooks headlessly with the project's tslab kernel (Debian's jupyter-nbconvert).
#   scripts/html.sh [--inplace] [notebooks/NAME.ipynb ...]
#     default:    write HTML to html/
#     --inplace:  store the outputs in the notebooks themselves (what is committed)
# The profile each notebook runs at is its settings cell's, unless LLC_NOTEBOOK_PROFILE is set.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=html
if [ "${1:-}" = "--inplace" ]; then mode=inplace; shift; fi
[ -f .jupyter/share/jupyter/kernels/tslab/kernel.json ] || npm run -s kernel >/dev/null
export JUPYTER_PATH="$PWD/.jupyter/share/jupyter"
if [ $# -eq 0 ]; then set -- notebooks/*.ipynb; fi
for nb in "$@"; do
  echo "executing $nb" >&2
  if [ "$mode" = inplace ]; then
    jupyter-nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=-1 --ExecutePreprocessor.kernel_name=tslab "$nb"
  else
    jupyter-nbconvert --to html --execute --ExecutePreprocessor.timeout=-1 --ExecutePreprocessor.kernel_name=tslab --output-dir html "$nb"
  fi
done
