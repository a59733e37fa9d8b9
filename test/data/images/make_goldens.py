#!/usr/bin/env python3
"""Regenerates the image-test goldens in this folder (not needed by the tests).

Expected pixels come from Pillow, the reference the image processors use:
  resize/   a small source and Pillow's Image.resize for every filter
  formats/  PNG color types / bit depths (written with ImageMagick's `convert`)
            and JPEG variants, each with `<name>.expected.png` holding
            Pillow's Image.open(f).convert("RGB")
  exif/     one JPEG per EXIF orientation 1..8 and Pillow's
            ImageOps.exif_transpose(...).convert("RGB") of it
Run with Debian's python3-pil, python3-numpy and imagemagick (Pillow 9.4 with
the system libjpeg62-turbo 2.1.5, the library vlmc links, so JPEG pixels are
comparable exactly).
"""
import os
import subprocess

import numpy as np
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240601)


def pattern(w, h):
    yy, xx = np.mgrid[0:h, 0:w]
    a = np.stack([(xx * 13 + yy * 3) % 256, (yy * 11) % 256, ((xx ^ yy) * 9) % 256], -1)
    a[h // 3 : h // 2, :, :] = 255  # hard edges: overshoot must clamp
    a[:, w // 4, :] = 0
    noise = rng.integers(-20, 21, a.shape)
    return np.clip(a + noise, 0, 255).astype(np.uint8)


def save_expected(path_in, path_out, exif=False):
    im = Image.open(path_in)
    if exif:
        im = ImageOps.exif_transpose(im)
    rgb = im.convert("RGB")
    # A fresh image: convert() keeps info["transparency"], which PNG cannot
    # save for RGB when it came from a gray or palette image.
    Image.frombytes("RGB", rgb.size, rgb.tobytes()).save(path_out)


def resize_goldens():
    d = os.path.join(HERE, "resize")
    os.makedirs(d, exist_ok=True)
    src = Image.fromarray(pattern(37, 23))
    src.save(os.path.join(d, "src.png"))
    names = {1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}
    sizes = [(13, 7), (37, 9), (11, 23), (80, 51), (5, 60), (1, 1)]
    for f, name in names.items():
        for w, h in sizes:
            src.resize((w, h), resample=f).save(os.path.join(d, f"{name}_{w}x{h}.png"))


def format_goldens():
    d = os.path.join(HERE, "formats")
    os.makedirs(d, exist_ok=True)
    base = pattern(19, 13)
    alpha = ((np.arange(19)[None, :] * 13 + np.arange(13)[:, None] * 7) % 256).astype(np.uint8)
    rgba = Image.fromarray(np.dstack([base, alpha]), "RGBA")
    rgba_path = os.path.join(d, "_rgba_source.png")
    rgba.save(rgba_path)
    gray16 = (np.arange(19 * 13).reshape(13, 19) * 1.5).astype(np.uint16)  # some > 255
    Image.fromarray(gray16.astype(np.int32), "I").save(os.path.join(d, "gray16.png"))
    im_variants = {
        "gray1": ["-colorspace", "Gray", "-threshold", "50%", "-define", "png:color-type=0", "-define", "png:bit-depth=1"],
        "gray2": ["-colorspace", "Gray", "-define", "png:color-type=0", "-define", "png:bit-depth=2"],
        "gray4": ["-colorspace", "Gray", "-define", "png:color-type=0", "-define", "png:bit-depth=4"],
        "gray8": ["-colorspace", "Gray", "-alpha", "off", "-define", "png:color-type=0", "-define", "png:bit-depth=8"],
        "graya8": ["-colorspace", "Gray", "-define", "png:color-type=4", "-define", "png:bit-depth=8"],
        "graya16": ["-colorspace", "Gray", "-depth", "16", "-define", "png:color-type=4", "-define", "png:bit-depth=16"],
        "rgb16": ["-alpha", "off", "-depth", "16", "-define", "png:color-type=2", "-define", "png:bit-depth=16"],
        "rgba8": ["-define", "png:color-type=6", "-define", "png:bit-depth=8"],
        "rgba16": ["-depth", "16", "-define", "png:color-type=6", "-define", "png:bit-depth=16"],
        "palette": ["-alpha", "off", "-colors", "40", "-define", "png:color-type=3"],
        "interlaced": ["-alpha", "off", "-interlace", "PNG", "-define", "png:color-type=2"],
    }
    for name, args in im_variants.items():
        out = os.path.join(d, name + ".png")
        subprocess.run(["convert", rgba_path, *args, "PNG:" + out], check=True)
    os.remove(rgba_path)
    # Palette with a tRNS chunk (ImageMagick drops it when quantizing).
    Image.fromarray(base).quantize(40).save(os.path.join(d, "palette_trns.png"), transparency=5)
    rgb = Image.fromarray(pattern(23, 17))
    rgb.save(os.path.join(d, "jpeg420.jpg"), quality=85, subsampling=2)
    rgb.save(os.path.join(d, "jpeg444.jpg"), quality=92, subsampling=0)
    rgb.save(os.path.join(d, "jpeg422.jpg"), quality=80, subsampling=1)
    rgb.save(os.path.join(d, "jpegprog.jpg"), quality=85, progressive=True)
    rgb.convert("L").save(os.path.join(d, "jpeggray.jpg"), quality=90)
    rgb.convert("CMYK").save(os.path.join(d, "jpegcmyk.jpg"), quality=90)
    for f in sorted(os.listdir(d)):
        if f.endswith(".expected.png"):
            continue
        stem = f.rsplit(".", 1)[0]
        save_expected(os.path.join(d, f), os.path.join(d, stem + ".expected.png"))


def exif_goldens():
    d = os.path.join(HERE, "exif")
    os.makedirs(d, exist_ok=True)
    src = Image.fromarray(pattern(24, 14))
    for k in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = k
        path = os.path.join(d, f"orient{k}.jpg")
        src.save(path, quality=95, exif=exif.tobytes())
        save_expected(path, os.path.join(d, f"orient{k}.expected.png"), exif=True)


if __name__ == "__main__":
    resize_goldens()
    format_goldens()
    exif_goldens()
