#!/usr/bin/env bash
# --keep-metadata checked by other tools: exiftool writes a photographer's
# metadata into the bundled photo (camera, capture date, copyright, GPS,
# Orientation 6, an EXIF thumbnail, XMP and IPTC); imgbatch makes JPEG, PNG,
# WebP and AVIF thumbnails of it; exiftool must read the capture date, camera
# and copyright back, Orientation 1 or none, no thumbnail, the output's size,
# and no GPS under --strip-gps; libvips and Pillow must open every output.
# Needs libimage-exiftool-perl, libvips-tools and python3-pil (apt).
# Usage: tests/metadata-tools.sh [IMGBATCH]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$repo/target/release/imgbatch}")
# The first python3 that has Pillow: apt's python3-pil goes to the system
# Python, which a pyenv or venv python3 earlier on PATH does not see.
python=python3
python3 -c 'import PIL' 2>/dev/null || python=/usr/bin/python3
tmp=$(mktemp -d /tmp/imgbatch-metadata.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir in
cp "$repo/fixtures/photos/lake.jpg" in/photo.jpg
"$bin" thumbs in -o thumb --sizes 160 --quiet
exiftool -q -overwrite_original -Orientation#=6 -Make=Canon -Model="EOS R5" \
    -DateTimeOriginal="2024:05:01 10:20:30" -Copyright="(c) Anne Photographer" \
    -GPSLatitude=48.85 -GPSLatitudeRef=N -GPSLongitude=2.35 -GPSLongitudeRef=E \
    -XMP-dc:Creator="Anne Photographer" -XMP-tiff:Orientation#=6 -XMP-exif:GPSLatitude=48.85 \
    -IPTC:By-line="Anne Photographer" "-ThumbnailImage<=thumb/photo_160.jpg" in/photo.jpg

fail() { echo "metadata test: $*" >&2; exit 1; }
tag() { exiftool -s3 -n "-$2" "$1"; }

for format in jpeg png webp avif; do
    "$bin" thumbs in -o "out-$format" --sizes 256 --format "$format" --keep-metadata --quiet
    f=$(ls "out-$format"/photo_256.*)
    [ "$(tag "$f" DateTimeOriginal)" = "2024:05:01 10:20:30" ] || fail "$f: capture date lost"
    [ "$(tag "$f" Model)" = "EOS R5" ] || fail "$f: camera lost"
    [ "$(tag "$f" EXIF:Copyright)" = "(c) Anne Photographer" ] || fail "$f: copyright lost"
    for o in $(exiftool -a -s3 -n -Orientation "$f"); do
        [ "$o" = 1 ] || fail "$f: orientation $o left"
    done
    [ -z "$(tag "$f" ThumbnailImage)" ] || fail "$f: EXIF thumbnail kept"
    [ -n "$(tag "$f" GPSLatitude)" ] || fail "$f: GPS lost without --strip-gps"
    size=$(vipsheader -f width "$f")x$(vipsheader -f height "$f")
    [ "$(tag "$f" ExifImageWidth)x$(tag "$f" ExifImageHeight)" = "$size" ] || fail "$f: EXIF size is not $size"
    if [ "$format" != avif ]; then
        [ -n "$(tag "$f" XMP-dc:Creator)" ] || fail "$f: XMP lost"
    fi
    if [ "$format" = jpeg ]; then
        [ "$(tag "$f" IPTC:By-line)" = "Anne Photographer" ] || fail "$f: IPTC lost"
    fi
    "$python" - "$f" <<'PY'
import sys
from PIL import Image, features
path = sys.argv[1]
if path.endswith(".avif") and not features.check("avif"):
    sys.exit(0)
with Image.open(path) as im:
    im.load()
PY
    echo "metadata test: $f ($size): date, camera, copyright, GPS kept; orientation 1; no thumbnail; opens in libvips and Pillow"
done

"$bin" thumbs in -o stripped --sizes 256 --keep-metadata --strip-gps --quiet
f=stripped/photo_256.jpg
[ -z "$(exiftool -a -s3 '-GPS*' '-XMP-exif:GPS*' "$f")" ] || fail "$f: GPS left under --strip-gps"
[ "$(tag "$f" EXIF:Copyright)" = "(c) Anne Photographer" ] || fail "$f: copyright lost under --strip-gps"
echo "metadata test: --strip-gps: no GPS in EXIF or XMP, the rest kept"

"$bin" thumbs in -o plain --sizes 256 --quiet
[ -z "$(exiftool -s3 -EXIF:all -XMP:all -IPTC:all plain/photo_256.jpg)" ] || fail "metadata written without --keep-metadata"
echo "metadata test: without --keep-metadata nothing is written"
