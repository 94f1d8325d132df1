#!/usr/bin/env bash
# genb enhance on one GPU, several GPUs, several machines, or as a job array.
#
# Every variant splits the samples by index (sample i goes to process i mod N), each process
# writes its own files, and any of them can be killed and started again: finished samples are
# skipped. A sample's image depends only on (seed, index), not on the number of processes.
set -euo pipefail
RUN=${1:?usage: $0 RUN_FOLDER [noise]}
NOISE=${2:-0.4}

case "${MODE:-single}" in
single)   # one GPU (or CPU): the model is loaded once, samples go through in batches
  genb enhance "$RUN" --noise "$NOISE" --batch-size 8
  ;;
multi-gpu)   # all GPUs of this machine, one process each (cuda:LOCAL_RANK); logs from rank 0
  accelerate launch --multi_gpu --num_processes "$(nvidia-smi -L | wc -l)" --mixed_precision no \
    -m genb enhance "$RUN" --noise "$NOISE" --batch-size 8
  ;;
multi-node)   # run this on every machine with MACHINE_RANK=0..NUM_MACHINES-1; RUN on a shared disk
  accelerate launch --multi_gpu --num_machines "${NUM_MACHINES:?}" --machine_rank "${MACHINE_RANK:?}" \
    --main_process_ip "${MAIN_IP:?}" --main_process_port 29500 \
    --num_processes "$(( NUM_MACHINES * GPUS_PER_MACHINE ))" --mixed_precision no \
    -m genb enhance "$RUN" --noise "$NOISE" --batch-size 8
  ;;
slurm-array)   # a job array: no process group, each task takes the share GENB_SHARD=i/n names
  # sbatch --array=0-15 --gres=gpu:1 examples/enhance_multi_gpu.sh RUN 0.4   (with MODE=slurm-array)
  # genb reads SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT itself; GENB_SHARD overrides them.
  GENB_SHARD="${SLURM_ARRAY_TASK_ID:?}/${SLURM_ARRAY_TASK_COUNT:?}" genb enhance "$RUN" --noise "$NOISE" --batch-size 8
  ;;
cpu-two-processes)   # what the tests run: two gloo processes on one CPU machine
  ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 --mixed_precision no \
    -m genb enhance "$RUN" --noise "$NOISE" --preset tiny --threads 1
  ;;
*) echo "MODE must be single, multi-gpu, multi-node, slurm-array or cpu-two-processes" >&2; exit 2 ;;
esac
