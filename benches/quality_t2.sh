#!/usr/bin/env bash
# Issue 30's check on the T2 job (fit 1600, JPEG): fixed --quality 85, then
# --target at the lowest score fixed q85 gives any output, then
# --max-size 150K. Scores are checked from outside the tool too
# (examples/score_pairs.rs: the `image` crate's decoder, against the same
# resize written as PNG). Times are paired rounds (benches/alternate.sh).
# Usage: benches/quality_t2.sh [CORPUS=/tmp/corpus] [ROUNDS=3] [WORKERS=2]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:-/tmp/corpus}; rounds=${2:-3}; workers=${3:-2}
bin=$here/../target/release/imgbatch
score=$here/../target/release/examples/score_pairs
(cd "$here/.." && cargo build --release --quiet && cargo build --release --quiet --example score_pairs)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
t2() { "$bin" resize "$corpus" -o "$1" -W 1600 -H 1600 --format "${2:-jpeg}" --workers "$workers" --quiet "${@:3}"; }

t2 "$tmp/ref" png
t2 "$tmp/fixed" jpeg --quality 85
fixed=$("$score" "$tmp/ref" "$tmp/fixed")
echo "fixed q85:       $fixed"
# The worst score, rounded up so that the target is never below it.
worst=$(awk '{print $6}' <<<"$fixed" | awk '{printf "%.2f", $1 + 0.005}')
t2 "$tmp/target" jpeg --target "$worst" --report "$tmp/target.json"
echo "--target $worst: $("$score" "$tmp/ref" "$tmp/target")"
t2 "$tmp/cap" jpeg --max-size 150K --report "$tmp/cap.json"
python3 - "$tmp/target.json" "$tmp/cap.json" <<'PY'
import json, sys
for name, path in zip(["target", "cap"], sys.argv[1:]):
    r = json.load(open(path))
    outs = [o for f in r["files"] for o in f.get("outputs", [])]
    c = [o["chosen"] for o in outs]
    s = r["summary"]
    print(f"{name}: {s['output_bytes']} B = {s['output_bytes'] / s['default_bytes']:.3f} of fixed q85's "
          f"{s['default_bytes']}; reported lowest score {min(x['score'] for x in c):.2f}; "
          f"{sum(x['encodes'] for x in c) / len(c):.2f} encodes per output; largest file {max(o['bytes'] for o in outs)} B; "
          f"{sum(1 for x in c if x['note'])} with a note")
PY
"$here/alternate.sh" "$rounds" \
  "$here/imgbatch_t2.sh $workers $corpus $tmp/a" \
  "$bin resize $corpus -o $tmp/b -W 1600 -H 1600 --format jpeg --workers $workers --quiet --force --target $worst" \
  "$bin resize $corpus -o $tmp/c -W 1600 -H 1600 --format jpeg --workers $workers --quiet --force --max-size 150K"
