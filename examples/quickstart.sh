#!/usr/bin/env bash
# Set everything up and render a demo run on the embedded default body model (anny).
# No licensed files, no downloads beyond packages. Run from the repository root:
#   bash examples/quickstart.sh [RUN_DIR]
set -euo pipefail
run_dir=${1:-runs/demo}
cd "$(dirname "$0")/.."
# torch first, pinned: an unpinned torch pulls several GB of CUDA packages.
python -m pip install torch==2.13.0
python -m pip install -c constraints.txt -e ".[dev]"
# The first use of anny builds its model cache (~45 s, ~800 MB under ~/.cache/anny).
genb render "$run_dir" --preset demo
genb show "$run_dir"
echo "done: samples in $run_dir/samples, contact sheet at $run_dir/show.png"
