#!/usr/bin/env bash
# Square thumbnails of a photo folder cropped three ways — imgbatch's
# centre crop, imgbatch's attention crop and vipsthumbnail --smartcrop
# attention — compared box by box, and a contact sheet of the three
# (benches/README.md, "Smart crops").
#
# Usage: benches/smartcrop_vs_vips.sh PHOTO_DIR [WORK_DIR] [SHEET.jpg]
#   PHOTO_DIR: JPEG photos (e.g. ../shared/bench/corpus.sh's photos/)
# Needs: vipsthumbnail (libvips-tools), python3 with numpy and Pillow.
#
# vipsthumbnail does not say where it cropped: its box is found by sliding
# its 256x256 output along the same photo shrunk to cover 256x256, where
# the pixels match best (mean difference under 2/255 on every photo here).
set -euo pipefail
cd "$(dirname "$0")/.."
photos=${1:?PHOTO_DIR}
work=${2:-target/smartcrop-vs-vips}
sheet=${3:-}
bin=target/release/imgbatch
[ -x "$bin" ] || cargo build --release
rm -rf "$work" && mkdir -p "$work/vips" "$work/in"
# One flat folder of JPEGs, so that every tool names outputs alike.
n=0
while IFS= read -r -d '' jpg; do
    n=$((n + 1))
    cp "$jpg" "$work/in/$(printf 'p%02d' "$n").jpg"
done < <(find "$photos" -iname '*.jpg' -print0 | sort -z)
for s in centre attention entropy; do
    "$bin" thumbs "$work/in" -o "$work/$s" --sizes 256 --crop "$s" --report "$work/$s.json" --quiet
done
for f in "$work"/in/*.jpg; do
    vipsthumbnail "$f" --smartcrop attention -s 256x256 -o "$work/vips/%s_256.jpg[Q=90]" 2>/dev/null
done
python3 - "$work" "$sheet" <<'PY'
import json, sys, os
import numpy as np
from PIL import Image, ImageOps

work, sheet = sys.argv[1], sys.argv[2]
def boxes(name):
    r = json.load(open(f"{work}/{name}.json"))
    return {os.path.basename(f["input"]): f["outputs"][0]["crop"] for f in r["files"]}

ours = {s: boxes(s) for s in ("centre", "attention", "entropy")}

def vips_box(name):
    """Where vipsthumbnail's crop lies in the full photo, by best match."""
    img = ImageOps.exif_transpose(Image.open(f"{work}/in/{name}")).convert("L")
    w, h = img.size
    k = 256 / min(w, h)
    small = np.asarray(img.resize((max(256, round(w * k)), max(256, round(h * k))), Image.LANCZOS), dtype=np.float32)
    out = np.asarray(Image.open(f"{work}/vips/{name[:-4]}_256.jpg").convert("L"), dtype=np.float32)
    sh, sw = small.shape
    best = min(((np.abs(small[y:y + 256, x:x + 256] - out).mean(), x, y)
                for x in range(sw - 255) for y in range(sh - 255)))
    err, x, y = best
    side = min(w, h)
    return {"x": round(x / k), "y": round(y / k), "width": side, "height": side}, err

def iou(a, b):
    ix = max(0, min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"]))
    iy = max(0, min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"]))
    inter = ix * iy
    return inter / (a["width"] * a["height"] + b["width"] * b["height"] - inter)

names = sorted(ours["attention"])
rows, worst_match = [], 0.0
for n in names:
    vb, err = vips_box(n)
    worst_match = max(worst_match, err)
    img = ImageOps.exif_transpose(Image.open(f"{work}/in/{n}"))
    free = max(img.size) - min(img.size)  # how far a square crop can move
    c = {s: ours[s][n] for s in ours}
    shift = lambda b: abs((b["x"] + b["y"]) - (vb["x"] + vb["y"])) / max(free, 1)
    rows.append((n, iou(c["attention"], vb), iou(c["centre"], vb), iou(c["entropy"], vb), shift(c["attention"]), iou(c["attention"], c["centre"]), free))

moved = [r for r in rows if r[6] > 0]
print(f"{len(rows)} photos, {len(moved)} where a square crop can move; vips box found to within {worst_match:.2f}/255")
for label, i in (("attention", 1), ("centre", 2), ("entropy", 3)):
    v = [r[i] for r in moved]
    print(f"  imgbatch {label:9} vs vips attention: mean IoU {np.mean(v):.3f}, IoU >= 0.9 on {sum(x >= 0.9 for x in v)}/{len(v)}, >= 0.75 on {sum(x >= 0.75 for x in v)}/{len(v)}")
v = [r[4] for r in moved]
print(f"  imgbatch attention moved off the centre crop (IoU < 0.9 with it) on {sum(r[5] < 0.9 for r in moved)}/{len(moved)}")
print(f"  attention offset from vips, as a share of the room to move: median {np.median(v):.2f}, within 0.25 on {sum(x <= 0.25 for x in v)}/{len(v)}")
for r in rows:
    print(f"    {r[0]}  IoU attention {r[1]:.2f}  centre {r[2]:.2f}  entropy {r[3]:.2f}")

if sheet:
    # Photos where attention moved the crop furthest from the centre: the sheet shows what moved.
    pick = sorted(moved, key=lambda r: r[5])[:12]
    t = 128
    cols = ("centre", "attention", "entropy", "vips")
    out = Image.new("RGB", (len(cols) * (t + 4) + 4, len(pick) * (t + 4) + 4), "white")
    for i, r in enumerate(pick):
        stem = r[0][:-4]
        for j, col in enumerate(cols):
            p = f"{work}/vips/{stem}_256.jpg" if col == "vips" else f"{work}/{col}/{stem}_256.jpg"
            out.paste(Image.open(p).convert("RGB").resize((t, t), Image.LANCZOS), (4 + j * (t + 4), 4 + i * (t + 4)))
    out.save(sheet, quality=80, optimize=True)
    print(f"contact sheet: {sheet} (columns: {', '.join(cols)})")
PY
