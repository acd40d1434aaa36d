#!/usr/bin/env bash
# One shard of an imgbatch job as a Slurm array task. Submit N of them, then
# the merge (see docs/slurm.md and examples/slurm-submit.sh):
#   sbatch --array=0-3 examples/slurm-array.sh IN OUT REPORTS [imgbatch options…]
# Each task takes shard SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of
# SLURM_ARRAY_TASK_COUNT (imgbatch reads them with --shard auto/N), writes
# into the shared OUT tree and leaves its report in REPORTS.
#SBATCH --job-name=imgbatch
#SBATCH --cpus-per-task=2
#SBATCH --output=imgbatch-%A_%a.log
set -euo pipefail
in=$1 out=$2 reports=$3
shift 3
mkdir -p "$reports"
# Exit 1 (some files failed) still leaves a complete report: the merge runs
# after every task whatever its state (--dependency=afterany).
exec "${IMGBATCH:-imgbatch}" thumbs "$in" -o "$out" --workers "${SLURM_CPUS_PER_TASK:-2}" \
  --shard "auto/$SLURM_ARRAY_TASK_COUNT" --report "$reports/part-$SLURM_ARRAY_TASK_ID.json" --quiet "$@"
