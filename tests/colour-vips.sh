#!/usr/bin/env bash
# --colour srgb against libvips: the bundled photo is tagged with Adobe RGB,
# ProPhoto, Wide Gamut and SwappedRedAndGreen (colord-data's profiles) by
# `vips icc_transform`, then converted back to sRGB by imgbatch (at full size,
# PNG out: only the colour conversion differs) and by `vips icc_transform`.
# Fails if the mean absolute difference passes 1/255 or any pixel differs by
# more than 2 levels, or if an output still carries a profile.
# Needs libvips-tools and colord-data (apt). Usage: tests/colour-vips.sh [IMGBATCH]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$repo/target/release/imgbatch}")
icc=/usr/share/color/icc/colord
tmp=$(mktemp -d /tmp/imgbatch-colour.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
vips copy "$repo/fixtures/photos/lake.jpg" src.v
width=$(vipsheader -f width src.v)
for name in AdobeRGB1998 ProPhotoRGB WideGamutRGB SwappedRedAndGreen; do
    vips icc_transform src.v "$name.png" "$icc/$name.icc" --embedded --input-profile "$icc/sRGB.icc"
    vips icc_transform "$name.png" "ref-$name.v" "$icc/sRGB.icc" --embedded
    "$bin" resize "$name.png" -o out --width "$width" --format png --quiet
    if vipsheader -f icc-profile-data "out/$name.png" > /dev/null 2>&1; then
        echo "colour test: $name: the output still carries a profile" >&2
        exit 1
    fi
    vips subtract "out/$name.png" "ref-$name.v" diff.v
    vips abs diff.v absdiff.v
    mean=$(vips avg absdiff.v)
    max=$(vips max absdiff.v)
    echo "colour test: $name: mean |imgbatch - libvips| = $mean levels, max $max"
    awk -v m="$mean" -v x="$max" 'BEGIN { exit !(m <= 1 && x <= 2) }' || {
        echo "colour test: $name differs from libvips beyond 1/255 on average or 2 levels anywhere" >&2
        exit 1
    }
done
