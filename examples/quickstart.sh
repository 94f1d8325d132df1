#!/usr/bin/env bash
# Set everything up and render a demo run on the embedded default body model (anny).
# No licensed files, no downloads beyond packages. Run from the repository root,
# inside a virtual environment (see README.md):
#   python -m venv .venv && . .venv/bin/activate
#   bash examples/quickstart.sh [RUN_DIR]
set -euo pipefail
run_dir=${1:-runs/demo}
cd "$(dirname "$0")/.."
# Install into the active virtual environment (or conda env); refuse to touch the system Python.
in_env=$(python -c 'import os, sys; print(int(sys.prefix != sys.base_prefix or bool(os.environ.get("CONDA_PREFIX"))))')
if [ "$in_env" != 1 ] && [ "${GENB_SYSTEM_INSTALL:-0}" != 1 ]; then
    echo "quickstart: not inside a virtual environment; make one first:" >&2
    echo "  python -m venv .venv && . .venv/bin/activate && bash examples/quickstart.sh" >&2
    echo "  (or set GENB_SYSTEM_INSTALL=1 to install into $(command -v python) anyway)" >&2
    exit 2
fi
# torch first, pinned: an unpinned torch pulls several GB of CUDA packages.
python -m pip install torch==2.13.0
python -m pip install -c constraints.txt -e ".[dev]"
# The first use of anny builds its model cache (~800 MB under $XDG_CACHE_HOME/anny or ~/.cache/anny):
# 1-5 minutes on a 2-core CPU (about 1 minute when the machine is otherwise idle); later runs start in seconds.
python -m genb render "$run_dir" --preset demo
python -m genb show "$run_dir"
echo "done: samples in $run_dir/samples, contact sheet at $run_dir/show.png"
