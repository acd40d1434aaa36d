#!/bin/sh
# imgbatch's square thumbnails at three sizes, cropped by STRATEGY (centre,
# attention, entropy): the smart-crop cost job (benches/README.md, "Smart
# crops"). Usage: [SIZES=128,256,1024] imgbatch_crop.sh N STRATEGY [IN_DIR] [OUT_DIR]
set -eu
OUT=${4:-/tmp/anchors/out/imgbatch_crop_$2}
rm -rf "$OUT"
exec "$(dirname "$0")/../target/release/imgbatch" thumbs "${3:-/tmp/corpus}" -o "$OUT" \
  --sizes "${SIZES:-128,256,1024}" --crop "$2" --format jpeg --quality 80 --workers "$1" --quiet
