#!/usr/bin/env bash
# Submits an imgbatch job as a Slurm array of N shards plus the merge of
# their reports, which runs once every shard has ended:
#   examples/slurm-submit.sh N IN OUT REPORTS [imgbatch options…]
# Prints the array's and the merge's job ids. The merged report is
# REPORTS/all.json; the merge job's exit code is the whole run's (0, or 1
# when some file failed).
set -euo pipefail
n=$1 in=$2 out=$3 reports=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable --array="0-$((n - 1))" "$here/slurm-array.sh" "$in" "$out" "$reports" "$@")
merge=$(sbatch --parsable --job-name=imgbatch-merge --dependency="afterany:$array" --output="$reports/merge.log" \
  --wrap "${IMGBATCH:-imgbatch} report merge $reports/part-*.json -o $reports/all.json")
echo "$array $merge"
