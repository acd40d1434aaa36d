#!/bin/sh
# imgbatch on job T3 (fit inside 1600x1600, never upscale, AVIF effort 4,
# EXIF orientation applied, no metadata). QUALITY defaults to 50, sharp's;
# IMGBATCH picks the binary (e.g. one built with --features heif).
# Usage: [IMGBATCH=…] imgbatch_t3.sh N [IN_DIR] [OUT_DIR] [QUALITY]
set -eu
OUT=${3:-/tmp/anchors/out/imgbatch_t3}
rm -rf "$OUT"
exec "${IMGBATCH:-$(dirname "$0")/../target/release/imgbatch}" resize "${2:-/tmp/corpus}" -o "$OUT" \
  --width 1600 --height 1600 --format avif --quality "${4:-50}" --effort 4 --workers "$1" --quiet
