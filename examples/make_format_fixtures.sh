#!/usr/bin/env bash
# Regenerates fixtures/formats/{jxl,anim}: small JPEG XL and animated files
# made from fixtures/photos with the reference tools (Debian packages
# libjxl-tools, libvips-tools, webp, libimage-exiftool-perl; Python Pillow).
# The RAW fixtures come from examples/make_dng.py, the HEIF ones from
# `cargo run --release --features avif-libaom --example make_heif_fixtures`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fixtures/formats
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/jxl" "$out/anim"

# JPEG XL: orientation 6 in the codestream header (cjxl takes it from the
# JPEG's EXIF), a lossy photo with an ICC-less sRGB encoding, and alpha.
vips thumbnail fixtures/photos/lake.jpg "$tmp/small.jpg" 320 --no-rotate
exiftool -q -overwrite_original -Orientation#=6 "$tmp/small.jpg"
cjxl --quiet --lossless_jpeg=1 "$tmp/small.jpg" "$out/jxl/rotated.jxl"
vips thumbnail fixtures/photos/2025/forest.jpeg "$tmp/forest.png" 240
cjxl --quiet -d 1.5 "$tmp/forest.png" "$out/jxl/forest.jxl"
vips thumbnail fixtures/photos/2025/logo.png "$tmp/logo.png" 128
cjxl --quiet -d 1 "$tmp/logo.png" "$out/jxl/logo-alpha.jxl"
# An embedded ICC profile: LittleCMS's sRGB with gamma 2.0 curves, so that
# cjxl keeps it as ICC instead of recognising sRGB.
python3 - "$tmp" <<'PY'
import struct, sys
from PIL import Image, ImageCms
b = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
for i in range(struct.unpack('>I', b[128:132])[0]):
    sig, off, _ = struct.unpack('>4sII', b[132 + 12 * i:144 + 12 * i])
    if sig in (b'rTRC', b'gTRC', b'bTRC'):
        b[off + 12:off + 16] = struct.pack('>i', 2 * 65536)
Image.new('RGB', (32, 24), (200, 100, 50)).save(f'{sys.argv[1]}/icc.png', icc_profile=bytes(b))
PY
cjxl --quiet -d 0 "$tmp/icc.png" "$out/jxl/icc.jxl"

# Animations whose first frame is red and second blue: the first must win.
python3 - "$tmp" <<'PY'
import sys
from PIL import Image
tmp = sys.argv[1]
red, blue = Image.new('RGB', (96, 64), (220, 20, 20)), Image.new('RGB', (96, 64), (20, 20, 220))
red.save(f'{tmp}/anim.gif', save_all=True, append_images=[blue], duration=200, loop=0)
red.save(f'{tmp}/anim.png', save_all=True, append_images=[blue], duration=200, loop=0)
red.save(f'{tmp}/red.png'); blue.save(f'{tmp}/blue.png')
PY
cp "$tmp/anim.gif" "$out/anim/anim-gif.gif"
cp "$tmp/anim.png" "$out/anim/anim-apng.png"
img2webp -lossy -q 80 "$tmp/red.png" -d 200 "$tmp/blue.png" -o "$out/anim/anim-webp.webp"
cjxl --quiet "$tmp/anim.gif" "$out/jxl/anim.jxl"
