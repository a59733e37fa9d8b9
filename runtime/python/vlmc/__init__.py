"""vlmc: compiled vision-language models, driven from Python the way MLX-VLM is.

    import vlmc
    model, processor = vlmc.load("path/to/checkpoint-or.vlmc")
    result = vlmc.generate(model, processor, "Describe this image.", image=["cat.png"])
    print(result.text)

A checkpoint directory (Hugging Face or MLX format) is compiled in-process on
first use and cached, as `vlm-generate` does; a `.vlmc` artifact loads
directly. The heavy lifting (compilation, image decoding, generation) runs
with the GIL released.
"""

try:
    from . import _vlmc
except ImportError as e:  # pragma: no cover - depends on the installation
    raise ImportError(
        "vlmc: the compiled extension _vlmc could not be imported ({}); build it with "
        "`ninja -C build vlmc_python` and put build/python on PYTHONPATH, or install it "
        "with `cmake --install build`".format(e)
    ) from e

from .convert import ConvertSummary, convert
from .generate import GenerationResult, StreamChunk, generate, stream_generate
from .model import Model, ModelConfig
from .processor import Processor, Tokenizer
from .utils import load, load_config

__version__ = _vlmc.__version__

__all__ = [
    "ConvertSummary",
    "GenerationResult",
    "Model",
    "ModelConfig",
    "Processor",
    "StreamChunk",
    "Tokenizer",
    "convert",
    "generate",
    "load",
    "load_config",
    "stream_generate",
]
