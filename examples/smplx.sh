#!/usr/bin/env bash
# Render with SMPL-X bodies from your own model files (BEDLAM-compatible ground truth).
#
# 1. Register at https://smpl-x.is.tue.mpg.de and download "SMPL-X v1.1 (NPZ)".
# 2. Put SMPLX_NEUTRAL.npz (and SMPLX_MALE.npz / SMPLX_FEMALE.npz if you want them) in one
#    folder, e.g. ~/models/smplx/ (smplx's own layout ~/models/smplx/smplx/ works too).
# 3. Optionally, a folder of AMASS-style motions (.npz with poses (T,156|165), trans, betas),
#    e.g. the CMU subset of AMASS: people then take motion-capture frames as well as key poses.
#
#   bash examples/smplx.sh ~/models/smplx [~/amass/CMU] [RUN_DIR]
set -euo pipefail
smplx_dir=${1:?give the folder holding SMPLX_NEUTRAL.npz}
motion_dir=${2:-}
run_dir=${3:-runs/smplx}
args=(--body smplx --smplx-dir "$smplx_dir" --preset bedlam --num-samples 16)
if [ -n "$motion_dir" ]; then
  args+=(--motion-dir "$motion_dir" --motion-prob 0.5)
fi
genb render "$run_dir" "${args[@]}"
genb show "$run_dir" --maps --num 4
# labels.npz holds smplx_global_orient/body_pose/betas/transl... in the camera frame: feeding them
# to smplx.SMPLX gives the camera-frame vertices; genb package writes them as BEDLAM pose_cam/shape/trans_cam.
echo "done: $run_dir (contact sheet: $run_dir/show.png)"
