# Sourced by the Jupyter scripts: keeps Jupyter's state inside the project and finds a
# Python that has Jupyter. After sourcing, JUPYTER_PY is that Python (or empty) and
# JUPYTER_BIN the folder of its jupyter commands.
#
#   ./.jupyter/share/jupyter   kernels (tslab), notebook trust database (JUPYTER_DATA_DIR)
#   ./.jupyter/config          Jupyter/JupyterLab configuration and workspaces (JUPYTER_CONFIG_DIR)
#   ./.jupyter/runtime         connection files of running kernels and servers
#
# The search order for Python: $JUPYTER_PYTHON, ./.venv (npm run jupyter:setup), python3 on
# PATH, /usr/bin/python3 (Debian's python3-jupyter-* packages); the first that imports
# jupyter_client and IPython (what registering a kernel needs) wins. JUPYTER_PYTHON_CANDIDATES
# (space-separated) replaces that list (the tests use it).
JUPYTER_PROJECT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export JUPYTER_DATA_DIR="$JUPYTER_PROJECT_ROOT/.jupyter/share/jupyter"
export JUPYTER_CONFIG_DIR="$JUPYTER_PROJECT_ROOT/.jupyter/config"
export JUPYTER_RUNTIME_DIR="$JUPYTER_PROJECT_ROOT/.jupyter/runtime"
export JUPYTER_PATH="$JUPYTER_DATA_DIR${JUPYTER_PATH:+:$JUPYTER_PATH}"
# Jupyter's own migration/telemetry checks look at ~/.jupyter otherwise.
export JUPYTER_PLATFORM_DIRS=1

JUPYTER_PY=
if [ -n "${JUPYTER_PYTHON_CANDIDATES:-}" ]; then
  read -r -a _candidates <<< "$JUPYTER_PYTHON_CANDIDATES"
else
  _candidates=(${JUPYTER_PYTHON:+"$JUPYTER_PYTHON"} "$JUPYTER_PROJECT_ROOT/.venv/bin/python" python3 /usr/bin/python3)
fi
for cand in "${_candidates[@]}"; do
  command -v "$cand" >/dev/null 2>&1 || continue
  if "$cand" -c 'import jupyter_client, IPython' >/dev/null 2>&1; then
    JUPYTER_PY=$(command -v "$cand")
    break
  fi
done
# The jupyter-* commands of that Python sit beside it (.venv/bin, or /usr/bin for Debian's).
JUPYTER_BIN=
if [ -n "$JUPYTER_PY" ]; then JUPYTER_BIN=$(dirname "$JUPYTER_PY"); fi

jupyter_missing_help() {
  cat >&2 <<EOF
No Python with Jupyter found (looked at \$JUPYTER_PYTHON, .venv, python3 on PATH, /usr/bin/python3).
Get one, project-local (JupyterLab included):
    npm run jupyter:setup            # creates .venv, installs jupyterlab ipykernel jupyter_client nbconvert, registers the kernel
or with Debian packages (classic notebook and nbconvert, no JupyterLab):
    sudo apt-get install python3-venv jupyter-notebook jupyter-nbconvert jupyter-client python3-ipykernel
EOF
}
