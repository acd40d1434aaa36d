#!/usr/bin/env bash
# sharp-cli (as installed by ../shared/bench/anchors/setup.sh) on job T3: fit
# inside 1600x1600, never upscale, AVIF with sharp's defaults (quality 50,
# effort 4, 4:4:4, 8-bit), EXIF orientation applied. N = libuv threadpool
# size = images in flight, each single-threaded, as in the anchors' sharp.sh.
# Usage: sharp_t3.sh N [IN_DIR] [OUT_DIR] [QUALITY]
set -euo pipefail
N=$1 IN=${2:-/tmp/corpus} OUT=${3:-/tmp/anchors/out/sharp_t3}
SHARP=${SHARP_CLI:-/tmp/anchors/node/node_modules/.bin/sharp}
rm -rf "$OUT"
export UV_THREADPOOL_SIZE=$N VIPS_CONCURRENCY=1
exec "$SHARP" -i "$IN/**/*.{jpg,JPG,jpeg,JPEG,png,PNG}" -o "$OUT/{path}/{name}.avif" \
  -f avif -q "${4:-50}" --effort 4 --autoOrient \
  resize 1600 1600 --fit inside --withoutEnlargement >/dev/null
