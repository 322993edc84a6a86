#!/usr/bin/env bash
# Execute notebooks headlessly with the project's tslab kernel (Debian's jupyter-nbconvert).
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
command -v jupyter-nbconvert >/dev/null || { echo "jupyter-nbconvert not found: sudo apt-get install jupyter-nbconvert jupyter-client python3-ipykernel" >&2; exit 2; }
[ -f .jupyter/share/jupyter/kernels/tslab/kernel.json ] || npm run -s kernel >/dev/null
export JUPYTER_PATH="$PWD/.jupyter/share/jupyter"
if [ $# -eq 0 ]; then set -- notebooks/*.ipynb; fi
for nb in "$@"; do
  echo "executing $nb" >&2
  if [ "$mode" = inplace ]; then
    jupyter-nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=-1 --ExecutePreprocessor.kernel_name=tslab "$nb"
  else
    jupyter-nbconvert --to html --execute --ExecutePreprocessor.timeout=-1 --ExecutePreprocessor.kernel_name=tslab --output-dir "$outdir" "$nb"
  fi
done
