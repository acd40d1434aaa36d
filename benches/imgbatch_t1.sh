#!/bin/sh
# imgbatch on the anchors' job T1 (fit inside 256x256, never upscale, JPEG q80,
# EXIF orientation applied, no metadata). Usage: imgbatch_t1.sh N [IN_DIR] [OUT_DIR]
set -eu
OUT=${3:-/tmp/anchors/out/imgbatch_t1}
rm -rf "$OUT"
exec "$(dirname "$0")/../target/release/imgbatch" resize "${2:-/tmp/corpus}" -o "$OUT" \
  --width 256 --height 256 --format jpeg --quality 80 --workers "$1" --quiet
