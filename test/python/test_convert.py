"""vlmc.convert: vlm-convert's library from Python (HF -> MLX, quantize,
dequantize), and MLX-format directories loading like HF ones."""

import glob
import json
import os
import struct

import pytest

import vlmc
from conftest import data

STORY = data("tinystories-656k")


def tensor_names(directory):
    names = set()
    for path in glob.glob(os.path.join(directory, "*.safetensors")):
        with open(path, "rb") as f:
            (size,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(size))
        names.update(k for k in header if k != "__metadata__")
    return names


def config(directory):
    with open(os.path.join(directory, "config.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.mark.compiler
def test_quantize_dequantize_round_trip(tmp_path):
    plain, quantized, restored = (str(tmp_path / n) for n in ("plain", "q4", "restored"))
    summary = vlmc.convert(STORY, plain)
    assert summary.tensors_written == len(tensor_names(plain)) > 0
    summary = vlmc.convert(STORY, quantized, quantize=True, q_bits=4, q_group_size=64)
    assert isinstance(summary, vlmc.ConvertSummary) and "4-bit" in str(summary)
    assert sum(summary.quantized_layers.values()) > 0
    q_config = config(quantized)
    assert q_config["quantization"]["bits"] == 4 and q_config["quantization"]["group_size"] == 64
    q_names = tensor_names(quantized)
    assert any(n.endswith(".scales") for n in q_names) and any(n.endswith(".biases")
                                                                for n in q_names)

    summary = vlmc.convert(quantized, restored, dequantize=True)
    assert summary.dequantized_layers == sum(
        vlmc.convert(STORY, str(tmp_path / "again"), quantize=True).quantized_layers.values())
    assert tensor_names(restored) == tensor_names(plain)
    restored_config, plain_config = config(restored), config(plain)
    assert "quantization" not in restored_config and "quantization_config" not in restored_config
    # vlm-convert -d writes an empty vision_config even for a text-only model.
    assert {k: v for k, v in restored_config.items() if v != {}} == plain_config

    # Every form loads and generates (MLX-format directories compile like HF ones).
    for directory in (plain, quantized, restored):
        model, processor = vlmc.load(directory)
        with model:
            assert vlmc.generate(model, processor, "Once upon a time",
                                 max_tokens=4).generation_tokens == 4


def test_convert_errors(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="Choose either quantize or dequantize, not both."):
        vlmc.convert(STORY, out, quantize=True, dequantize=True)
    with pytest.raises(ValueError, match="dtype"):
        vlmc.convert(STORY, out, dtype="float64")
    assert not out.exists()  # nothing is left behind on error
    os.mkdir(out)
    with pytest.raises((ValueError, FileExistsError, RuntimeError)) as info:
        vlmc.convert(STORY, out)
    assert str(out) in str(info.value)
    vlmc.convert(STORY, out, force=True)  # replaces it
    assert tensor_names(str(out))
    with pytest.raises(FileNotFoundError):
        vlmc.convert(str(tmp_path / "missing"), str(tmp_path / "x"))
    with pytest.raises(TypeError):
        vlmc.convert(STORY, str(tmp_path / "y"), True)  # options are keyword-only
