#!/usr/bin/env bash
# vipsthumbnail --smartcrop attention on the same job as imgbatch_crop.sh:
# square thumbnails at 128, 256 and 1024, JPEG q80. vipsthumbnail makes one
# size per call, so each file is read three times, as a user of it would.
# One process per call, single-threaded, under xargs -P N (as the anchors'
# vipsthumbnail scripts). Usage: [SIZES=128,256,1024] vips_smartcrop.sh N [IN_DIR] [OUT_DIR]
set -euo pipefail
N=$1
IN=$(cd "${2:-/tmp/corpus}" && pwd)
OUT=${3:-/tmp/anchors/out/vips_smartcrop}
rm -rf "$OUT" && mkdir -p "$OUT"
SIZES=${SIZES:-128,256,1024}
export IN OUT SIZES VIPS_CONCURRENCY=1
(cd "$IN" && find . -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) -printf '%P\0' | sort -z) |
    xargs -0 -r -P "$N" -n 1 sh -c '
        d=$OUT/$(dirname "$1"); mkdir -p "$d"; stem=$(basename "${1%.*}")
        for s in $(echo "$SIZES" | tr , " "); do
            vipsthumbnail "$IN/$1" --smartcrop attention --size "${s}x${s}" -o "$d/${stem}_$s.jpg[Q=80,strip]" 2>/dev/null
        done' sh
