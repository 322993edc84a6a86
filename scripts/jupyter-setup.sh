#!/usr/bin/env bash
# Project-local Jupyter: a virtual environment in ./.venv with JupyterLab, ipykernel,
# jupyter_client and nbconvert from pip's configured index, then the tslab kernel
# registered under ./.jupyter (scripts/jupyter-kernel.sh). Nothing outside the project
# is touched: no system pip (Debian refuses it anyway, PEP 668), no ~/.local, no ~/.jupyter.
#
#   npm run jupyter:setup                 create/complete .venv (idempotent: seconds once done)
#   PYTHON=python3.12 npm run jupyter:setup   build the venv from another interpreter
#   npm run jupyter:setup -- --upgrade    reinstall/upgrade the Jupyter packages
#
# Index: pip's own configuration is used as is when https://pypi.org answers within 5 s.
# When it does not (offline machines with a local mirror configured as extra-index-url),
# the configured extra index becomes the index, so pip never waits on an unreachable host.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=.venv
PACKAGES=("jupyterlab>=4" "ipykernel>=6" "jupyter_client>=8" "nbconvert>=7")
upgrade=0
for a in "$@"; do
  case "$a" in
    --upgrade) upgrade=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "jupyter-setup: unknown option '$a' (valid: --upgrade, --help)" >&2; exit 2 ;;
  esac
done

t0=$(date +%s)
if [ ! -x "$VENV/bin/python" ]; then
  command -v "$PY" >/dev/null || { echo "jupyter-setup: '$PY' not found; install Python 3 (Debian: sudo apt-get install python3 python3-venv) or set PYTHON=/path/to/python3" >&2; exit 2; }
  echo "creating $VENV with $("$PY" -c 'import sys; print(sys.executable, sys.version.split()[0])')" >&2
  if ! "$PY" -m venv "$VENV"; then
    rm -rf "$VENV"
    echo "jupyter-setup: '$PY -m venv' failed. On Debian/Ubuntu install the venv module: sudo apt-get install python3-venv" >&2
    exit 2
  fi
fi
VPY="$VENV/bin/python"

have_all() { "$VPY" -c 'import jupyterlab, ipykernel, jupyter_client, nbconvert, IPython' 2>/dev/null; }

if [ "$upgrade" = 1 ] || ! have_all; then
  # Decide the index before calling pip: its default (pypi.org) may be unreachable here.
  mapfile -t pipargs < <("$VPY" - <<'PY'
import os, re, subprocess, sys, urllib.request
out = subprocess.run([sys.executable, '-m', 'pip', 'config', 'list'], capture_output=True, text=True).stdout
cfg = {}
for line in out.splitlines():
    m = re.match(r"^[^.]*\.([a-z-]+)='(.*)'$", line.strip())
    if m: cfg.setdefault(m.group(1), m.group(2))
index = os.environ.get('PIP_INDEX_URL') or cfg.get('index-url')
extra = (os.environ.get('PIP_EXTRA_INDEX_URL') or cfg.get('extra-index-url') or '').split()
if index:
    print('# using the configured index', index, file=sys.stderr)
    sys.exit(0)
try:
    urllib.request.urlopen('https://pypi.org/simple/pip/', timeout=5).close()
    print('# pypi.org reachable: pip defaults', file=sys.stderr)
except Exception as e:
    if not extra:
        print(f'jupyter-setup: https://pypi.org is unreachable ({e}) and pip has no other index configured;'
              ' point pip at a mirror (pip config set global.index-url URL) and rerun', file=sys.stderr)
        sys.exit(3)
    print(f'# pypi.org unreachable ({type(e).__name__}): using the configured extra index {extra[0]} as the index', file=sys.stderr)
    # Printed as KEY=VALUE: the caller passes them as environment variables, which override
    # pip's configuration files (so the configured extra index is not searched twice).
    print('PIP_INDEX_URL=' + extra[0])
    print('PIP_EXTRA_INDEX_URL=' + ' '.join(extra[1:]))
    print('PIP_RETRIES=0')
    print('PIP_TIMEOUT=10')
PY
  ) || exit $?
  echo "installing ${PACKAGES[*]} into $VENV" >&2
  up=(); [ "$upgrade" = 1 ] && up=(--upgrade)
  # A directory-per-package mirror that lacks a package makes pip warn once per lookup; not an error.
  env "${pipargs[@]}" "$VPY" -m pip install --disable-pip-version-check --quiet "${up[@]}" "${PACKAGES[@]}" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  have_all || { echo "jupyter-setup: the packages installed but do not import; see the pip output above" >&2; exit 1; }
fi

# No "news" prompt in JupyterLab: it would fetch from jupyter.org (written into .venv, project-local).
source "$(dirname "$0")/jupyter-env.sh"
grep -qs 'apputils-extension:announcements' "$VENV/etc/jupyter/labconfig/page_config.json" ||
  "$VENV/bin/jupyter" labextension disable --level=sys_prefix @jupyterlab/apputils-extension:announcements >/dev/null 2>&1 || true

"$(dirname "$0")/jupyter-kernel.sh"
echo "Jupyter ready in $VENV ($("$VENV/bin/jupyter-lab" --version 2>/dev/null | head -1 | sed 's/^/JupyterLab /'); $(( $(date +%s) - t0 )) s). Open the notebooks with: npm run lab" >&2
