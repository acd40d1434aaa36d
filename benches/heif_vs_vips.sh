#!/usr/bin/env bash
# A phone's folder of HEIC and AVIF, thumbnailed by imgbatch's default build
# and by vipsthumbnail (libvips + libheif + libde265/dav1d), compared file by
# file: the same size, the same orientation, and the mean difference of the
# pixels (benches/README.md, "HEIC and AVIF against vipsthumbnail").
#
# Usage: benches/heif_vs_vips.sh PHOTO_DIR [WORK_DIR]
#   PHOTO_DIR: JPEG photos (e.g. ../shared/bench/corpus.sh's photos/)
# Needs: heif-enc (libheif-examples), vipsthumbnail and vips (libvips-tools),
# python3 with numpy and Pillow, and the avif-libaom build's example for the
# 12 MP grid (skipped when it does not build: apt line in README).
set -euo pipefail
cd "$(dirname "$0")/.."
photos=${1:?PHOTO_DIR}
work=${2:-target/heif-vs-vips}
rm -rf "$work" && mkdir -p "$work/in" "$work/imgbatch" "$work/vips"
in=$work/in

# Four photos, each as HEIC 8-bit, HEIC 10-bit, AVIF 8-bit and AVIF 10-bit
# (10-bit from a 16-bit PNG, as heif-enc takes it; 10-bit AVIF in 4:2:2, as
# Debian 12's libaom asserts on 10-bit 4:2:0 and 4:4:4 through heif-enc).
n=0
while IFS= read -r -d '' jpg; do
    n=$((n + 1))
    [ "$n" -gt 4 ] && break
    vips colourspace "$jpg" "$work/deep.png" rgb16 22>/dev/null >/dev/null
    heif-enc -q 70 -o "$in/photo$n-heic.heic" "$jpg" 2>/dev/null >/dev/null
    heif-enc -q 70 -b 10 -o "$in/photo$n-10bit-heic.heic" "$work/deep.png" 2>/dev/null >/dev/null
    heif-enc -A -q 60 -o "$in/photo$n-avif.avif" "$jpg" 2>/dev/null >/dev/null
    heif-enc -A -q 60 -b 10 -p chroma=422 -o "$in/photo$n-10bit-avif.avif" "$work/deep.png" >/dev/null
done < <(find "$photos" -iname '*.jpg' -print0 | sort -z)
rm -f "$work/deep.png"

# The bundled fixtures: irot, a grid with irot, alpha (HEVC and AV1), 10-bit.
# Named by stem and extension: outputs are named by stem.
for f in fixtures/formats/heif/*; do
    b=$(basename "$f")
    cp "$f" "$in/${b%.*}-${b##*.}.${b##*.}"
done
# A 12 MP phone photo in 512x512 tiles, when the libheif build is at hand.
first=$(find "$photos" -iname '*.jpg' | sort | head -1)
vips thumbnail "$first" "$work/12mp.png" 4032 --height 3024 --size force
if cargo run -q --release --features avif-libaom --example make_heif_fixtures -- grid "$work/12mp.png" "$in/grid-12mp.heic" >/dev/null 2>&1; then
    echo "with a 12 MP grid HEIC"
fi
rm -f "$work/12mp.png"

cargo build -q --release
# Pixels as stored, profile carried: what vipsthumbnail does by default.
# "256x256>": vipsthumbnail enlarges small images unless told; imgbatch never.
target/release/imgbatch thumbs --colour keep --sizes 256 --format png -o "$work/imgbatch" "$in" >/dev/null
for f in "$in"/*; do
    b=$(basename "${f%.*}")
    vipsthumbnail -s "256x256>" -o "$PWD/$work/vips/${b}_256.png" "$f"
done

python3 - "$work" <<'EOF'
import os, sys
import numpy as np
from PIL import Image
work = sys.argv[1]
worst = 0.0
print("| file | imgbatch | vipsthumbnail | mean abs diff |")
print("|---|---|---|---:|")
for name in sorted(os.listdir(f"{work}/vips")):
    a = Image.open(f"{work}/imgbatch/{name}")
    b = Image.open(f"{work}/vips/{name}")
    mode = "RGBA" if "A" in a.mode or "A" in b.mode else "RGB"
    x = np.asarray(a.convert(mode), dtype=np.float64)
    y = np.asarray(b.convert(mode), dtype=np.float64)
    if mode == "RGBA":
        # Colour under fully transparent pixels is not part of the picture.
        x[..., :3] *= x[..., 3:] / 255
        y[..., :3] *= y[..., 3:] / 255
    same = x.shape == y.shape
    d = np.abs(x - y).mean() if same else float("inf")
    worst = max(worst, d)
    print(f"| {name.removesuffix('_256.png')} | {a.width}x{a.height} | {b.width}x{b.height} | {d:.2f}/255{'' if mode == 'RGB' else ' (RGBA)'} |")
print(f"\nworst: {worst:.2f}/255")
sys.exit(0 if worst <= 1.5 else 1)
EOF
