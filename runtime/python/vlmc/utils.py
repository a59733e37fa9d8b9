"""vlmc.load and vlmc.load_config (mlx_vlm.utils' names)."""

import json
import os

from . import _vlmc
from .model import Model
from .processor import Processor

# Weight quantization at load: vlm-convert's options, applied by the compiler
# to a checkpoint directory (the cache key includes them).
_QUANT_OPTIONS = ("q_bits", "q_group_size", "q_mode", "quant_predicate", "quantize_vision",
                  "nvfp4_global_scale")
# mlx_vlm.load options about fetching and lazy loading from the hub: vlmc
# loads local paths into a compiled artifact, so they change nothing.
_IGNORED_OPTIONS = ("trust_remote_code", "lazy", "revision")


def load(path, quantize_activations=False, device=None, **compile_options):
    """Loads a model: `path` is a .vlmc artifact, or a Hugging Face or MLX
    checkpoint directory, compiled in-process on first use and cached (the
    cache vlm-generate uses: $VLMC_CACHE_DIR/artifacts, else
    ~/.cache/vlmc/artifacts). Returns (model, processor).

    quantize_activations: vlm-generate's -qa. Only mxfp8 and nvfp4 weights
    take it; it is refused (ValueError) for affine/mxfp4 weights and for an
    unquantized model, and an artifact must have been compiled with the same
    setting.

    device: None or "cpu" (the CPU backend), or "cuda": compiled for the
    CUDA target and run on the GPU (decode replayed from a CUDA graph, the
    next token picked on the device). Without an NVIDIA driver or device it
    is refused with a RuntimeError, after a directory has been checked
    against the cuda target (so mxfp8/nvfp4 without quantize_activations
    gets the compiler's ValueError either way).

    compile_options (directories only): quantize, q_bits, q_group_size,
    q_mode ("affine", "mxfp4", "mxfp8", "nvfp4"), quant_predicate,
    quantize_vision, nvfp4_global_scale - vlm-convert's options, quantizing
    the weights while compiling (any of them implies quantize=True) - and
    compute_type ("f32", "f16", "bf16"). Session options: max_context
    (KV-cache positions, default 4096), num_threads (0: all cores). verbose:
    say on stderr whether the cache was hit.
    """
    path = os.fspath(path)
    options = dict(compile_options)
    for name in _IGNORED_OPTIONS:
        options.pop(name, None)
    if options.pop("adapter_path", None) is not None:
        raise NotImplementedError("vlmc does not load LoRA adapters")
    quantize = options.pop("quantize", None)
    quant = {}
    for name in _QUANT_OPTIONS:
        value = options.pop(name, None)
        if value is not None and value is not False:
            quant[name] = value
    if quantize is None:
        quantize = bool(quant)
    compute_type = options.pop("compute_type", None) or ""
    max_context = options.pop("max_context", 4096)
    num_threads = options.pop("num_threads", 0)
    verbose = options.pop("verbose", False)
    if options:
        raise TypeError("load() got unexpected keyword argument(s): {}".format(
            ", ".join(sorted(options))))
    if device is None or device == "auto":
        device = "cpu"
    if not isinstance(device, str):
        raise TypeError("device must be None, 'cpu' or 'cuda', got {!r}".format(device))
    impl = _vlmc.Model.load(
        path,
        device=device,
        quantize_activations=bool(quantize_activations),
        quantize=bool(quantize),
        q_mode=quant.get("q_mode", "affine"),
        q_bits=int(quant.get("q_bits", 0)),
        q_group_size=int(quant.get("q_group_size", 0)),
        quant_predicate=quant.get("quant_predicate", ""),
        quantize_vision=bool(quant.get("quantize_vision", False)),
        nvfp4_global_scale=bool(quant.get("nvfp4_global_scale", False)),
        compute_type=compute_type,
        max_context=int(max_context),
        num_threads=int(num_threads),
        verbose=bool(verbose),
    )
    return Model(impl), Processor(impl.processor)


def load_config(path):
    """config.json of a checkpoint directory or of a .vlmc artifact, as a dict."""
    path = os.fspath(path)
    if os.path.isdir(path):
        with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
            return json.load(f)
    if not os.path.exists(path):
        raise FileNotFoundError("no such model: {!r}".format(path))
    data = _vlmc.artifact_file(path, "config.json")
    if data is None:
        raise FileNotFoundError("{} embeds no config.json".format(path))
    return json.loads(data)
