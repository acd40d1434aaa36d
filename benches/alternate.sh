#!/usr/bin/env bash
# alternate.sh RUNS CMD...  -- runs the commands in turn, RUNS rounds (after one
# warm-up round), so that imgbatch and the reference tools see the same machine
# state; prints the median wall time of each and its ratio to the first.
# Example: benches/alternate.sh 7 "benches/imgbatch_t1.sh 2" "$A/pillow_t1.sh 2"
set -euo pipefail
runs=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for round in $(seq 0 "$runs"); do
  i=0
  for cmd in "$@"; do
    start=$(date +%s.%N); $cmd >/dev/null 2>&1; end=$(date +%s.%N)
    [ "$round" -gt 0 ] && echo "$end - $start" | bc >> "$tmp/$i"
    i=$((i + 1))
  done
done
i=0
for cmd in "$@"; do
  sort -n "$tmp/$i" | awk -v c="$cmd" '{a[NR]=$1} END{m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%s\t%.3f\t%.3f\t%.3f\n", c, m, a[1], a[NR]}'
  i=$((i + 1))
done | awk -F'\t' 'NR==1{base=$2} {printf "| `%s` | %.3f | %.3f | %.3f | %.2f |\n", $1, $2, $3, $4, $2/base}' \
  | { echo "| command | median [s] | min [s] | max [s] | ratio to first |"; echo "|:---|---:|---:|---:|---:|"; cat; }
