#!/usr/bin/env python3
"""Mean SSIM (luma, 7x7 window, as scikit-image's default) and total bytes of
the lossy outputs in TEST_DIR against the lossless outputs of the same tool in
REF_DIR, matched by relative path without extension. The chroma SSIM (mean of
Cb and Cr, BT.601, full resolution) shows what chroma subsampling costs,
which luma SSIM cannot see.
Usage: ssim.py REF_DIR TEST_DIR  (needs numpy and Pillow with AVIF support)"""
import os
import sys

import numpy as np
from PIL import Image


def planes(path):
    img = Image.open(path).convert("RGB")
    a = np.asarray(img, dtype=np.float64)
    y = 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]
    cb = (a[..., 2] - y) / 1.772 + 128
    cr = (a[..., 0] - y) / 1.402 + 128
    return y, cb, cr


def box(a, k=7):
    # Mean over every k x k window, by summed-area table.
    s = np.pad(a, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    return (s[k:, k:] - s[:-k, k:] - s[k:, :-k] + s[:-k, :-k]) / (k * k)


def ssim(x, y):
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    n = 49
    mx, my = box(x), box(y)
    vx = (box(x * x) - mx * mx) * n / (n - 1)
    vy = (box(y * y) - my * my) * n / (n - 1)
    cxy = (box(x * y) - mx * my) * n / (n - 1)
    m = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(m.mean())


def files(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            out[os.path.splitext(os.path.relpath(p, root))[0]] = p
    return out


ref, test = files(sys.argv[1]), files(sys.argv[2])
scores, chroma, size = [], [], 0
for key, path in sorted(test.items()):
    if key not in ref:
        sys.exit(f"no reference for {key}")
    a, b = planes(ref[key]), planes(path)
    if a[0].shape != b[0].shape:
        sys.exit(f"{key}: {a[0].shape} vs {b[0].shape}")
    scores.append(ssim(a[0], b[0]))
    chroma.append((ssim(a[1], b[1]) + ssim(a[2], b[2])) / 2)
    size += os.path.getsize(path)
print(f"files {len(scores)}  mean SSIM {np.mean(scores):.5f}  min {np.min(scores):.5f}  "
      f"chroma SSIM {np.mean(chroma):.5f}  bytes {size}")
