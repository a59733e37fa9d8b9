"""vlmc.convert: mlx_vlm.convert over vlm-convert's library."""

import os
from dataclasses import dataclass, field
from typing import Dict, List

from . import _vlmc


@dataclass
class ConvertSummary:
    """What a conversion did; str() is vlm-convert's summary line."""

    summary: str
    quantized_layers: Dict[str, int] = field(default_factory=dict)  # "affine 4-bit g64" -> n
    not_divisible: List[str] = field(default_factory=list)  # left in float (dim % group)
    dequantized_layers: int = 0
    tensors_written: int = 0
    dropped: List[str] = field(default_factory=list)
    bytes_in: int = 0
    bytes_out: int = 0
    bits_per_weight: float = 0.0
    seconds: float = 0.0

    def __str__(self):
        return self.summary


def convert(hf_path, mlx_path="mlx_model", *, quantize=False, q_bits=None, q_group_size=None,
            q_mode="affine", quant_predicate=None, dtype=None, dequantize=False,
            quantize_vision=False, nvfp4_global_scale=False, force=False):
    """Converts a Hugging Face checkpoint directory to the MLX-VLM format
    (renamed tensors, MLX config.json), quantizing with quantize=True
    (q_mode "affine", "mxfp4", "mxfp8" or "nvfp4"; q_bits/q_group_size default
    to the mode's; quant_predicate a mixed_L_H recipe), or dequantizes an MLX
    checkpoint with dequantize=True. dtype: "float16", "bfloat16" or
    "float32" for the float tensors (default: the checkpoint's).

    vlm-convert's semantics and messages: mlx_path must not exist (unless
    force=True, which replaces it) and nothing is left there on error.
    Options after mlx_path are keyword-only (MLX-VLM's positional order
    differs between its versions). Returns a ConvertSummary.
    """
    raw = _vlmc.convert(
        os.fspath(hf_path),
        os.fspath(mlx_path),
        quantize=bool(quantize),
        dequantize=bool(dequantize),
        q_bits=None if q_bits is None else int(q_bits),
        q_group_size=None if q_group_size is None else int(q_group_size),
        q_mode=q_mode or "affine",
        quant_predicate=quant_predicate or "",
        dtype=dtype or "",
        quantize_vision=bool(quantize_vision),
        nvfp4_global_scale=bool(nvfp4_global_scale),
        force=bool(force),
    )
    return ConvertSummary(**raw)
