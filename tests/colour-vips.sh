#!/usr/bin/env bash
# --colour srgb against libvips: the bundled photo is tagged with Adobe RGB,
# ProPhoto, Wide Gamut and SwappedRedAndGreen (colord-data's profiles) and
# turned into a CMYK JPEG with Ghostscript's default CMYK profile by
# `vips icc_transform`, then converted back to sRGB by imgbatch (at full size,
# PNG out: only the colour conversion differs) and by `vips icc_transform`
# (perceptual intent, as imgbatch). Fails if the mean absolute difference
# passes 1/255, or any pixel differs by more than 2 levels (4 for CMYK, whose
# 4-D lookup tables lcms and moxcms interpolate differently), or if an output
# still carries a profile. Then an AVIF output must open in libvips at the
# right size and within a few levels of the PNG.
# Needs libvips-tools, colord-data and libgs-common (apt).
# Usage: tests/colour-vips.sh [IMGBATCH]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$repo/target/release/imgbatch}")
icc=/usr/share/color/icc/colord
tmp=$(mktemp -d /tmp/imgbatch-colour.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
vips copy "$repo/fixtures/photos/lake.jpg" src.v
width=$(vipsheader -f width src.v)
# compare NAME OUT REF MAX: mean ≤ 1 level and max ≤ MAX.
compare() {
    vips subtract "$2" "$3" diff.v
    vips abs diff.v absdiff.v
    local mean max
    mean=$(vips avg absdiff.v)
    max=$(vips max absdiff.v)
    echo "colour test: $1: mean |imgbatch - libvips| = $mean levels, max $max"
    awk -v m="$mean" -v x="$max" -v lim="$4" 'BEGIN { exit !(m <= 1 && x <= lim) }' || {
        echo "colour test: $1 differs from libvips beyond 1/255 on average or $4 levels anywhere" >&2
        exit 1
    }
}
no_profile() {
    if vipsheader -f icc-profile-data "$1" > /dev/null 2>&1; then
        echo "colour test: $1 still carries a profile" >&2
        exit 1
    fi
}
for name in AdobeRGB1998 ProPhotoRGB WideGamutRGB SwappedRedAndGreen; do
    vips icc_transform src.v "$name.png" "$icc/$name.icc" --embedded --input-profile "$icc/sRGB.icc"
    vips icc_transform "$name.png" "ref-$name.v" "$icc/sRGB.icc" --embedded --intent perceptual
    "$bin" resize "$name.png" -o out --width "$width" --format png --quiet
    no_profile "out/$name.png"
    compare "$name" "out/$name.png" "ref-$name.v" 2
done

# CMYK, stored the way Photoshop does (Adobe APP14, inverted samples), with
# its profile; --colour keep too, since a CMYK profile cannot go with RGB.
vips icc_transform src.v cmyk.jpg[Q=95] /usr/share/color/icc/ghostscript/default_cmyk.icc --intent perceptual
# libvips' own sRGB, a matrix profile like moxcms' (colord's sRGB.icc has a
# perceptual table of its own, which lcms would use here).
vips icc_transform cmyk.jpg ref-cmyk.v srgb --embedded --intent perceptual
for mode in srgb keep; do
    "$bin" resize cmyk.jpg -o "out-$mode" --width "$width" --format png --colour "$mode" --quiet
    no_profile "out-$mode/cmyk.png"
    compare "CMYK (--colour $mode)" "out-$mode/cmyk.png" ref-cmyk.v 4
done

# AVIF out: libvips (libheif) reads it, same size, close to the lossless PNG.
"$bin" resize "$repo/fixtures/photos/lake.jpg" -o avif --width "$width" --format avif --quality 90 --quiet
"$bin" resize "$repo/fixtures/photos/lake.jpg" -o png --width "$width" --format png --quiet
[ "$(vipsheader -f width avif/lake.avif)x$(vipsheader -f height avif/lake.avif)" = \
  "$(vipsheader -f width png/lake.png)x$(vipsheader -f height png/lake.png)" ]
vips subtract avif/lake.avif png/lake.png diff.v
vips abs diff.v absdiff.v
mean=$(vips avg absdiff.v)
echo "colour test: AVIF q90 against the PNG: mean difference $mean levels"
awk -v m="$mean" 'BEGIN { exit !(m <= 3) }' || { echo "colour test: the AVIF's colours are off" >&2; exit 1; }
