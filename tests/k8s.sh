#!/usr/bin/env bash
# The Kubernetes recipe, checked without a cluster: validates
# examples/k8s-indexed-job.yaml against the Kubernetes schema
# (kubernetes-validate, from PyPI, strict: unknown fields fail), then runs
# what its pods would run, as the Job controller would: one process per
# completion index with JOB_COMPLETION_INDEX set, the volumes' mount paths
# mapped to temporary folders, then the merge Job's command. The union of
# the shards' outputs must be byte for byte one run's, and the merged report
# that run's summary.
# Usage: tests/k8s.sh [IMGBATCH]   (default target/release/imgbatch)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$repo/target/release/imgbatch}")
manifest=$repo/examples/k8s-indexed-job.yaml
if ! command -v kubernetes-validate > /dev/null; then
    python3 -m pip install --quiet kubernetes-validate
fi
kubernetes-validate --strict --quiet "$manifest"

tmp=$(mktemp -d /tmp/imgbatch-k8s.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# imgbatch as the image has it, on PATH.
mkdir -p "$tmp/bin" "$tmp/photos" "$tmp/out/reports"
ln -s "$bin" "$tmp/bin/imgbatch"
cp -r "$repo/fixtures/photos/." "$tmp/photos/"
"$bin" resize "$repo/fixtures/photos" -o "$tmp/photos/small" --width 300 --quiet
"$bin" resize "$repo/fixtures/photos" -o "$tmp/photos/png" --width 200 --format png --quiet
# These outputs serve as photos here: unmark them, or the walk leaves them out.
rm -r "$tmp/photos/small/.imgbatch" "$tmp/photos/png/.imgbatch"

python3 - "$manifest" "$tmp" <<'PY'
import json, os, subprocess, sys, yaml

manifest, tmp = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
indexed = next(d for d in docs if d["spec"].get("completionMode") == "Indexed")
merge = next(d for d in docs if d is not indexed)
n = indexed["spec"]["completions"]
assert indexed["spec"]["parallelism"] >= 1

def script(container):
    """The container's command line, its volume mount paths moved under tmp."""
    cmd = container["command"] + container.get("args", [])
    assert cmd[:2] == ["sh", "-c"], cmd
    line = cmd[2]
    for mount in container.get("volumeMounts", []):
        line = line.replace(mount["mountPath"], os.path.join(tmp, mount["mountPath"].lstrip("/")))
    return line

env = dict(os.environ, PATH=f"{tmp}/bin:" + os.environ["PATH"])
env.pop("SLURM_ARRAY_TASK_ID", None)
env.pop("AWS_BATCH_JOB_ARRAY_INDEX", None)
shard = script(indexed["spec"]["template"]["spec"]["containers"][0])
# As the Job controller does: every index at once (parallelism permitting).
procs = [subprocess.Popen(["sh", "-c", shard], env=dict(env, JOB_COMPLETION_INDEX=str(k))) for k in range(n)]
codes = [p.wait() for p in procs]
assert codes == [0] * n, f"shard pods exited {codes}"
merge_spec = merge["spec"]["template"]["spec"]
for c in merge_spec.get("initContainers", []) + merge_spec["containers"]:
    subprocess.run(["sh", "-c", script(c)], env=env, check=True, timeout=60)
# The same job as one run, for comparison: the shard's command without --shard.
single = json.loads(subprocess.run(
    [f"{tmp}/bin/imgbatch", "thumbs", f"{tmp}/photos", "-o", f"{tmp}/single", "--sizes", "256,1024", "--json", "--quiet"],
    check=True, capture_output=True).stdout)
merged = json.load(open(f"{tmp}/out/reports/all.json"))
parts = [json.load(open(f"{tmp}/out/reports/part-{k}.json")) for k in range(n)]
assert [p["summary"]["shard"] for p in parts] == [f"{k}/{n}" for k in range(n)]
inputs = sorted(f["input"] for p in parts for f in p["files"])
assert inputs == [f["input"] for f in single["files"]], "not every input in exactly one shard"
for key in ("total", "ok", "skipped", "failed", "output_files", "output_bytes"):
    assert merged["summary"][key] == single["summary"][key], key
print(f"k8s test: manifest valid; {n} indexed pods,", [len(p["files"]) for p in parts], "files each,",
      merged["summary"]["output_files"], "outputs")
PY
diff -r -x .imgbatch "$tmp/single" "$tmp/out/thumbs" > /dev/null || { echo "k8s test: outputs differ from one run" >&2; exit 1; }
echo "k8s test: outputs identical to one run"
