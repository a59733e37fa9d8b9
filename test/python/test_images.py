"""Image inputs other than paths: encoded bytes always; PIL images and numpy
arrays when those packages are installed (skipped otherwise - vlmc itself
never imports them)."""

import pytest

import vlmc
from conftest import data
from test_generate import QWEN2_CHELSEA

pytestmark = pytest.mark.compiler  # every test here loads a checkpoint directory

CHELSEA = data("images", "chelsea.png")


def test_encoded_bytes(qwen2vl):
    model, processor = qwen2vl
    with open(CHELSEA, "rb") as f:
        png = f.read()
    result = vlmc.generate(model, processor, "Describe this image.", image=png, max_tokens=16)
    assert result.token_ids == QWEN2_CHELSEA


def test_pil_image(qwen2vl):
    Image = pytest.importorskip("PIL.Image")
    model, processor = qwen2vl
    img = Image.open(CHELSEA)
    result = vlmc.generate(model, processor, "Describe this image.", image=img, max_tokens=16)
    assert result.token_ids == QWEN2_CHELSEA
    # RGBA is flattened to RGB the way PIL's convert("RGB") does it.
    rgba = img.convert("RGBA")
    assert vlmc.generate(model, processor, "Describe this image.", image=[rgba],
                         max_tokens=16).token_ids == QWEN2_CHELSEA


def test_numpy_array(qwen2vl):
    np = pytest.importorskip("numpy")
    Image = pytest.importorskip("PIL.Image")  # to read the PNG into an array
    model, processor = qwen2vl
    arr = np.asarray(Image.open(CHELSEA).convert("RGB"))
    result = vlmc.generate(model, processor, "Describe this image.", image=arr, max_tokens=16)
    assert result.token_ids == QWEN2_CHELSEA
    # A non-contiguous view is copied into row order first.
    flipped_twice = arr[::-1][::-1]
    assert vlmc.generate(model, processor, "Describe this image.", image=[flipped_twice],
                         max_tokens=16).token_ids == QWEN2_CHELSEA
    with pytest.raises(ValueError, match="height x width x 3 uint8"):
        vlmc.generate(model, processor, "hi", image=arr.astype(np.float32))
    with pytest.raises(ValueError, match="height x width x 3 uint8"):
        vlmc.generate(model, processor, "hi", image=arr[:, :, 0])


def test_raw_pixels_tuple_checks_size(qwen2vl):
    model, _ = qwen2vl
    with pytest.raises(ValueError, match="contiguous bytes"):
        model._impl.generate("hi", images=[(4, 4, b"\0" * 47)], max_tokens=1)
    with pytest.raises(ValueError, match="out of range"):
        model._impl.generate("hi", images=[(0, 4, b"")], max_tokens=1)
