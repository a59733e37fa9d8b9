"""Image arguments -> what the extension takes (a path, encoded bytes, or
(width, height, RGB buffer)).

PIL and numpy are optional: an object is recognized as a PIL image or a numpy
array only through modules the caller already imported (sys.modules), so
vlmc never imports them itself and works where they are not installed.
"""

import os
import sys


def _pil_to_source(img):
    # What transformers' and MLX-VLM's load_image do to an image before the
    # processor sees it: EXIF orientation applied, then RGB (alpha dropped).
    from PIL import ImageOps

    img = ImageOps.exif_transpose(img)
    if img.mode != "RGB":
        img = img.convert("RGB")
    return (img.width, img.height, img.tobytes())


def _array_to_source(np, arr):
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(
            "a numpy image must be height x width x 3 uint8 (RGB), got shape {} dtype {}".format(
                arr.shape, arr.dtype
            )
        )
    arr = np.ascontiguousarray(arr)
    return (int(arr.shape[1]), int(arr.shape[0]), arr)


def _source(item):
    if isinstance(item, (str, os.PathLike)):
        path = os.fspath(item)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if path.startswith(("http://", "https://")):
            raise ValueError(
                "vlmc does not download images: fetch {} first and pass the file".format(path)
            )
        return path
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)  # an encoded PNG or JPEG file
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(item, pil.Image):
        return _pil_to_source(item)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(item, np.ndarray):
        return _array_to_source(np, item)
    raise TypeError(
        "an image must be a path, PNG/JPEG bytes, a PIL image or a numpy array "
        "(height x width x 3, uint8); got {}".format(type(item).__name__)
    )


def _is_single(image):
    if isinstance(image, (str, os.PathLike, bytes, bytearray, memoryview)):
        return True
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(image, pil.Image):
        return True
    np = sys.modules.get("numpy")
    # A 3-D array is one image; a list of arrays is several.
    return np is not None and isinstance(image, np.ndarray)


def image_sources(image):
    """None, one image or a sequence of images -> list of extension sources."""
    if image is None:
        return []
    if _is_single(image):
        return [_source(image)]
    return [_source(item) for item in image]
