#!/bin/sh
# imgbatch on the anchors' job T2 (fit inside 1600x1600, never upscale, JPEG q85,
# EXIF orientation applied, no metadata). Usage: imgbatch_t2.sh N [IN_DIR] [OUT_DIR]
set -eu
OUT=${3:-/tmp/anchors/out/imgbatch_t2}
rm -rf "$OUT"
exec "$(dirname "$0")/../target/release/imgbatch" resize "${2:-/tmp/corpus}" -o "$OUT" \
  --width 1600 --height 1600 --format jpeg --quality 85 --workers "$1" --quiet
