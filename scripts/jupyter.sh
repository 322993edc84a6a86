#!/usr/bin/env bash
# Run a Jupyter command with the project's Jupyter (./.venv first) and its state in ./.jupyter:
#   scripts/jupyter.sh lab [ARGS]          npm run lab  (JupyterLab on notebooks/)
#   scripts/jupyter.sh notebook [ARGS]     the classic notebook (Debian's jupyter-notebook works too)
#   scripts/jupyter.sh nbconvert [ARGS]    ...any `jupyter SUBCOMMAND`
# Registers the tslab kernel first if it is not registered yet.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jupyter-env.sh
[ $# -ge 1 ] || { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
sub=$1; shift
if [ -z "$JUPYTER_PY" ]; then jupyter_missing_help; exit 2; fi
[ -f "$JUPYTER_DATA_DIR/kernels/tslab/kernel.json" ] || scripts/jupyter-kernel.sh
cmd="$JUPYTER_BIN/jupyter-$sub"
if [ ! -x "$cmd" ]; then
  if [ "$sub" = lab ]; then
    echo "JupyterLab is not installed for $JUPYTER_PY; run: npm run jupyter:setup (project-local .venv with JupyterLab)" >&2
  else
    echo "'jupyter $sub' is not installed for $JUPYTER_PY; run: npm run jupyter:setup" >&2
  fi
  exit 2
fi
# Jupyter's servers refuse to run as root without --allow-root (containers, CI).
case "$sub" in lab|notebook|server) [ "$(id -u)" = 0 ] && set -- --allow-root "$@" ;; esac
exec "$cmd" "$@"
