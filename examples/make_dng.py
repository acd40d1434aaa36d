#!/usr/bin/env python3
"""Writes small DNG test files for imgbatch's camera-RAW tests.

No real camera RAW can be downloaded where the tests are made, so this
builds DNGs the way cameras and Adobe's converter lay them out: IFD0 is a
small uncompressed RGB thumbnail carrying the orientation and the DNG tags,
and its SubIFDs hold the raw Bayer (RGGB) sensor data and a JPEG preview.
The scene is fixtures/photos/lake.jpg; the "camera" is linear sRGB, so its
ColorMatrix1 is the XYZ(D65) -> linear sRGB matrix and a correct develop
gives back the photo.

usage: python3 examples/make_dng.py [OUT_DIR]   (needs Pillow and numpy)
"""
import io, os, struct, sys

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'fixtures', 'formats')

BYTE, ASCII, SHORT, LONG, RATIONAL, SRATIONAL = 1, 2, 3, 4, 5, 10
SIZES = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8, SRATIONAL: 8}


class Tiff:
    """A little-endian TIFF assembled in memory: blobs first, IFDs last."""

    def __init__(self):
        self.buf = bytearray(b'II*\0\0\0\0\0')

    def blob(self, data):
        if len(self.buf) % 2:
            self.buf += b'\0'
        off = len(self.buf)
        self.buf += data
        return off

    def ifd(self, entries, next_ifd=0):
        """entries: {tag: (type, values)}; returns the IFD's offset."""
        packed = []
        for tag in sorted(entries):
            typ, vals = entries[tag]
            if typ == ASCII:
                data = vals.encode() + b'\0'
                count = len(data)
            elif typ in (RATIONAL, SRATIONAL):
                fmt = '<II' if typ == RATIONAL else '<ii'
                data = b''.join(struct.pack(fmt, n, d) for n, d in vals)
                count = len(vals)
            else:
                fmt = {BYTE: 'B', SHORT: 'H', LONG: 'I'}[typ]
                data = struct.pack('<%d%s' % (len(vals), fmt), *vals)
                count = len(vals)
            if len(data) <= 4:
                field = data.ljust(4, b'\0')
            else:
                field = struct.pack('<I', self.blob(data))
            packed.append(struct.pack('<HHI', tag, typ, count) + field)
        if len(self.buf) % 2:
            self.buf += b'\0'
        off = len(self.buf)
        self.buf += struct.pack('<H', len(packed)) + b''.join(packed) + struct.pack('<I', next_ifd)
        return off

    def first(self, off):
        self.buf[4:8] = struct.pack('<I', off)


def srgb_to_linear(v):
    v = v / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


# XYZ (D65) -> linear sRGB: the ColorMatrix1 of a camera that sees linear sRGB.
XYZ_TO_SRGB = [[3.2404542, -1.5371385, -0.4985314], [-0.9692660, 1.8760108, 0.0415560],
               [0.0556434, -0.2040259, 1.0572252]]


def make_dng(path, scene, raw_size, preview_size, thumb_size, orientation, make='imgbatch', model='Test DNG'):
    t = Tiff()
    # Raw Bayer RGGB, 12 bits in 16-bit samples.
    rgb = srgb_to_linear(np.asarray(scene.resize(raw_size, Image.LANCZOS).convert('RGB'), dtype=np.float64))
    h, w = rgb.shape[:2]
    cfa = np.empty((h, w), dtype=np.uint16)
    white = 4095
    cfa[0::2, 0::2] = rgb[0::2, 0::2, 0] * white
    cfa[0::2, 1::2] = rgb[0::2, 1::2, 1] * white
    cfa[1::2, 0::2] = rgb[1::2, 0::2, 1] * white
    cfa[1::2, 1::2] = rgb[1::2, 1::2, 2] * white
    raw_off = t.blob(cfa.astype('<u2').tobytes())
    raw_ifd = t.ifd({
        254: (LONG, [0]), 256: (LONG, [w]), 257: (LONG, [h]), 258: (SHORT, [16]), 259: (SHORT, [1]),
        262: (SHORT, [32803]), 273: (LONG, [raw_off]), 277: (SHORT, [1]), 278: (LONG, [h]),
        279: (LONG, [w * h * 2]), 284: (SHORT, [1]), 33421: (SHORT, [2, 2]), 33422: (BYTE, [0, 1, 1, 2]),
        50714: (LONG, [0]), 50717: (LONG, [white]),
    })
    jpeg = io.BytesIO()
    scene.resize(preview_size, Image.LANCZOS).convert('RGB').save(jpeg, 'JPEG', quality=90)
    prev_off = t.blob(jpeg.getvalue())
    pw, ph = preview_size
    prev_ifd = t.ifd({
        254: (LONG, [1]), 256: (LONG, [pw]), 257: (LONG, [ph]), 258: (SHORT, [8, 8, 8]), 259: (SHORT, [7]),
        262: (SHORT, [6]), 273: (LONG, [prev_off]), 277: (SHORT, [3]), 278: (LONG, [ph]),
        279: (LONG, [len(jpeg.getvalue())]), 284: (SHORT, [1]),
    })
    thumb = np.asarray(scene.resize(thumb_size, Image.LANCZOS).convert('RGB'), dtype=np.uint8)
    th_off = t.blob(thumb.tobytes())
    tw, thh = thumb_size
    denom = 10000
    matrix = [(int(round(v * denom)), denom) for row in XYZ_TO_SRGB for v in row]
    ifd0 = t.ifd({
        254: (LONG, [1]), 256: (LONG, [tw]), 257: (LONG, [thh]), 258: (SHORT, [8, 8, 8]), 259: (SHORT, [1]),
        262: (SHORT, [2]), 271: (ASCII, make), 272: (ASCII, model), 273: (LONG, [th_off]),
        274: (SHORT, [orientation]), 277: (SHORT, [3]), 278: (LONG, [thh]), 279: (LONG, [thumb.size]),
        284: (SHORT, [1]), 305: (ASCII, 'imgbatch examples/make_dng.py'), 330: (LONG, [raw_ifd, prev_ifd]),
        50706: (BYTE, [1, 4, 0, 0]), 50707: (BYTE, [1, 1, 0, 0]), 50708: (ASCII, f'{make} {model}'),
        50721: (SRATIONAL, matrix), 50728: (RATIONAL, [(1, 1), (1, 1), (1, 1)]), 50778: (SHORT, [21]),
    })
    t.first(ifd0)
    with open(path, 'wb') as f:
        f.write(t.buf)


def make_fake_nef(path):
    """A Nikon-named TIFF with a thumbnail and no raw data: must fail clearly."""
    t = Tiff()
    pix = t.blob(bytes([90, 120, 200]) * (8 * 6))
    ifd0 = t.ifd({
        254: (LONG, [1]), 256: (LONG, [8]), 257: (LONG, [6]), 258: (SHORT, [8, 8, 8]), 259: (SHORT, [1]),
        262: (SHORT, [2]), 271: (ASCII, 'NIKON CORPORATION'), 272: (ASCII, 'NIKON Z 99'), 273: (LONG, [pix]),
        277: (SHORT, [3]), 278: (LONG, [6]), 279: (LONG, [8 * 6 * 3]),
    })
    t.first(ifd0)
    with open(path, 'wb') as f:
        f.write(t.buf)


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    scene = Image.open(os.path.join(ROOT, 'fixtures', 'photos', 'lake.jpg'))
    # Landscape sensor, camera held upright (Orientation 6: turn 90° clockwise).
    make_dng(os.path.join(OUT, 'raw', 'IMG_1001.dng'), scene, (600, 400), (480, 320), (96, 64), 6)
    make_fake_nef(os.path.join(OUT, 'raw', 'DSC_0001.NEF'))
