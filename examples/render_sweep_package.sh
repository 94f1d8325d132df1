#!/usr/bin/env bash
# render -> sweep -> package on the default presets, ending with the realism/accuracy plot.
# Made for a GPU machine (one or several GPUs); runs on CPU too, slowly.
#
#   bash examples/render_sweep_package.sh RUN_DIR REFERENCE_DIR [OUT_DIR]
#
# RUN_DIR        where the rendered run goes (reused: every stage resumes)
# REFERENCE_DIR  a folder of real photographs of people (hundreds or more) to measure realism against
# OUT_DIR        where the packaged data of the recommended noise level goes (default RUN_DIR/package)
#
# Environment knobs:
#   NUM_SAMPLES=1000            samples to render
#   NOISE=0,0.2,0.4,0.6,0.8     levels to sweep
#   MIN_ACCEPTANCE=0.8          acceptance floor for the recommendation
#   NUM_GPUS=<all visible>      processes for accelerate launch (enhance and check shard by rank)
#   RENDER_ARGS=""              more `genb render` flags, e.g. "--preset bedlam"
#   SWEEP_ARGS=""               more `genb sweep` flags, e.g. "--enhance-args='--steps 20'"
#
# A CPU smoke run of the whole chain (tiny random-weight model, flow-only check, seconds):
#   NUM_SAMPLES=4 RENDER_ARGS="--image-size 96,128" NOISE=0,0.5 MIN_ACCEPTANCE=0 \
#   SWEEP_ARGS="--enhance-preset tiny --check-preset flow_only --check-args='--min-box-px 8'" \
#   bash examples/render_sweep_package.sh runs/smoke REAL_PHOTOS/
set -euo pipefail
run_dir=${1:?usage: $0 RUN_DIR REFERENCE_DIR [OUT_DIR]}
reference=${2:?usage: $0 RUN_DIR REFERENCE_DIR [OUT_DIR]}
out_dir=${3:-$run_dir/package}
num_samples=${NUM_SAMPLES:-1000}
noise=${NOISE:-0,0.2,0.4,0.6,0.8}
min_acceptance=${MIN_ACCEPTANCE:-0.8}
if command -v nvidia-smi >/dev/null 2>&1; then
  num_gpus=${NUM_GPUS:-$(nvidia-smi -L | wc -l)}
else
  num_gpus=${NUM_GPUS:-1}
fi

# The standard FID Inception network comes with torch-fidelity (it needs a torchvision that
# matches your CUDA torch; install it yourself if `python -c "import torch_fidelity"` fails).
# Without it (or offline) the sweep falls back to a seeded random CNN and says so in its outputs.
python -c "import torch_fidelity" 2>/dev/null || echo "note: torch-fidelity not installed: realism uses the fallback extractor"

launch() {  # one process, or one per GPU through accelerate
  if [ "$num_gpus" -gt 1 ]; then
    accelerate launch --multi_gpu --num_processes "$num_gpus" -m genb "$@"
  else
    genb "$@"
  fi
}

# 1. render: exact ground truth (the renderer shards by rank too)
render_args=()
if [ -n "${RENDER_ARGS:-}" ]; then eval "render_args=(${RENDER_ARGS})"; fi
launch render "$run_dir" --num-samples "$num_samples" ${render_args[@]+"${render_args[@]}"}

# 2. sweep: enhance + check at every level, then realism vs accuracy on rank 0
sweep_args=()
if [ -n "${SWEEP_ARGS:-}" ]; then eval "sweep_args=(${SWEEP_ARGS})"; fi
launch sweep "$run_dir" --noise "$noise" --reference "$reference" --min-acceptance "$min_acceptance" \
  ${sweep_args[@]+"${sweep_args[@]}"}

# 3. package the recommended level
best=$(python - "$run_dir" <<'PY'
import json, sys
rec = json.load(open(f"{sys.argv[1]}/sweep/sweep.json"))["recommendation"]
print("" if rec["noise"] is None else f"{rec['noise']:.2f}")
PY
)
if [ -z "$best" ]; then
  echo "no noise level keeps acceptance >= $min_acceptance; see $run_dir/sweep/sweep.md" >&2
  exit 1
fi
launch package "$run_dir" --noise "$best" --format all "$out_dir"

# 4. the plot
cat "$run_dir/sweep/sweep.md"
echo
echo "recommended noise $best; packaged to $out_dir"
echo "plot:          $run_dir/sweep/sweep.png"
echo "contact sheet: $run_dir/sweep/contact_sheet.png"
if [ -n "${DISPLAY:-}" ] && command -v xdg-open >/dev/null 2>&1; then xdg-open "$run_dir/sweep/sweep.png"; fi
