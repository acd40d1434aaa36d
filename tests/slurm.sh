#!/usr/bin/env bash
# End to end on a real scheduler: starts a single-node Slurm on this machine
# (munged, slurmctld and slurmd in the foreground, every file in a temporary
# folder, ports 16817/16818), submits examples/slurm-submit.sh with 4 shards
# over a fixture tree, waits for the array and its merge job, and checks that
# the union of the shards' outputs is byte for byte one run's and that the
# merged report is that run's summary. Stops the daemons by pid.
# Needs root and Debian's slurm-wlm and munge (apt-get install slurm-wlm munge).
# Usage: tests/slurm.sh [IMGBATCH]   (default target/release/imgbatch)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$repo/target/release/imgbatch}")
tmp=$(mktemp -d /tmp/imgbatch-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "slurm test: $*" >&2; for f in "$tmp"/log/*; do echo "== $f" >&2; tail -20 "$f" >&2; done; exit 1; }
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/log"

# munge: its own key and socket, so nothing of the machine's is touched.
head -c 1024 /dev/urandom > "$tmp/munge/key"
chmod 700 "$tmp/munge"
chmod 400 "$tmp/munge/key"
munged -F --force --key-file="$tmp/munge/key" --socket="$tmp/munge/sock" --pid-file="$tmp/munge/pid" \
    --seed-file="$tmp/munge/seed" --log-file="$tmp/log/munged.log" 2> "$tmp/log/munged.err" &
pids+=($!)
for _ in $(seq 100); do [ -S "$tmp/munge/sock" ] && break; sleep 0.1; done
[ -S "$tmp/munge/sock" ] || fail "munged did not start"

host=$(hostname -s)
cpus=$(nproc)
cat > "$tmp/slurm.conf" <<EOF
ClusterName=imgbatch-test
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool/%n
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" > "$tmp/log/slurmctld.err" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$tmp/log/slurmd.err" 2>&1 &
pids+=($!)
for _ in $(seq 300); do
    sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed)' && break
    sleep 0.2
done
sinfo -h -o %T | grep -qE '^(idle|mixed)' || fail "the node did not come up"

# A fixture tree: the bundled photos, and more made by imgbatch from them so
# that four shards all have work.
in=$tmp/in
mkdir -p "$in"
cp -r "$repo/fixtures/photos/." "$in/"
"$bin" resize "$repo/fixtures/photos" -o "$in/small" --width 300 --quiet
"$bin" resize "$repo/fixtures/photos" -o "$in/png" --width 200 --format png --quiet
# These outputs serve as photos here: unmark them, or the walk leaves them out.
rm -r "$in/small/.imgbatch" "$in/png/.imgbatch"
printf 'not an image' > "$in/notes.txt"

"$bin" thumbs "$in" -o "$tmp/single" --sizes 64,128 --report "$tmp/single.json" --quiet \
    || fail "the single run failed"

# Submitted from $tmp: the array's logs (imgbatch-%A_%a.log) go to the
# submitting folder, which must not be the repository.
read -r array merge < <(cd "$tmp" && IMGBATCH=$bin "$repo/examples/slurm-submit.sh" 4 "$in" "$tmp/out" "$tmp/reports" --sizes 64,128)
echo "slurm test: array job $array, merge job $merge"
for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
    sleep 0.2
done
[ -z "$(squeue -h -j "$array,$merge")" ] || fail "jobs still queued after 2 minutes: $(squeue)"

ls "$tmp"/reports/part-{0,1,2,3}.json > /dev/null || fail "missing shard reports: $(ls "$tmp/reports")"
[ -s "$tmp/reports/all.json" ] || fail "no merged report: $(cat "$tmp/reports/merge.log")"
# The record of outputs (.imgbatch/) differs by design: one file per shard.
diff -r -x .imgbatch "$tmp/single" "$tmp/out" > /dev/null || fail "outputs differ from a single run: $(diff -rq -x .imgbatch "$tmp/single" "$tmp/out" | head)"
[ "$(ls "$tmp"/out/.imgbatch/run-*.tsv | wc -l)" -ge 2 ] || fail "the shards did not keep their own record files: $(ls "$tmp/out/.imgbatch")"
# Shards into one -o, then a re-run: everything is up to date.
"$bin" thumbs "$in" -o "$tmp/out" --sizes 64,128 --json --quiet > "$tmp/rerun.json"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; assert s["ok"] == 0 and s["skipped"] == s["total"] > 0, s' "$tmp/rerun.json" \
    || fail "a re-run after the shards redid outputs: $(head -c 400 "$tmp/rerun.json")"
echo "slurm test: a re-run after the shards skipped every file"
python3 - "$tmp" <<'PY' || fail "reports differ"
import json, sys
t = sys.argv[1]
single = json.load(open(f"{t}/single.json"))
merged = json.load(open(f"{t}/reports/all.json"))
parts = [json.load(open(f"{t}/reports/part-{k}.json")) for k in range(4)]
for k, p in enumerate(parts):
    assert p["summary"]["shard"] == f"{k}/4", p["summary"].get("shard")
    assert p["files"], f"shard {k} had no files"
inputs = sorted(f["input"] for p in parts for f in p["files"])
assert inputs == [f["input"] for f in single["files"]], "not every input in exactly one shard"
for key in ("total", "ok", "skipped", "failed", "output_files", "output_bytes", "not_images"):
    assert merged["summary"][key] == single["summary"][key], key
print("slurm test: 4 shards,", [len(p["files"]) for p in parts], "files each;",
      merged["summary"]["output_files"], "outputs identical to one run")
PY
