"""quantize_activations (vlm-generate's -qa) and weight quantization at load,
with the CLI's messages as ValueError."""

import pytest

import vlmc
from conftest import data

pytestmark = pytest.mark.compiler  # every test here loads a checkpoint directory

QWEN = data("qwen2vl-tiny")
CHELSEA = data("images", "chelsea.png")


@pytest.mark.parametrize("mode", ["nvfp4", "mxfp8"])
def test_quantize_activations_on_fp_modes(mode):
    model, processor = vlmc.load(QWEN, quantize_activations=True, q_mode=mode)
    with model:
        assert model.quantize_activations
        assert model.artifact_path.endswith("-cpu-{}-qa.vlmc".format(mode))
        result = vlmc.generate(model, processor, "Describe this image.", image=CHELSEA,
                               max_tokens=4)
        assert result.generation_tokens == 4 and result.prompt_tokens == 65


@pytest.mark.parametrize("mode", ["affine", "mxfp4"])
def test_quantize_activations_refused_for_mode(mode):
    with pytest.raises(ValueError) as info:
        vlmc.load(QWEN, quantize_activations=True, q_mode=mode)
    message = str(info.value)
    assert ("mode {} does not support activation quantization; supported modes: mxfp8, "
            "nvfp4".format(mode)) in message
    assert message.count("does not support activation quantization") == 1  # once, not per layer


def test_quantize_activations_refused_for_float_model():
    with pytest.raises(ValueError, match="Activation quantization requires the model to be "
                                         "quantized first"):
        vlmc.load(QWEN, quantize_activations=True)


def test_fp_weights_on_cuda_need_quantize_activations():
    with pytest.raises(ValueError, match="uses mxfp8 weights, which the cuda target runs only "
                                         "with activation quantization"):
        vlmc.load(QWEN, q_mode="mxfp8", device="cuda")
    # With it the configuration is valid: it compiles, and runs where a GPU is.
    try:
        vlmc.load(QWEN, q_mode="mxfp8", quantize_activations=True, device="cuda")[0].close()
    except RuntimeError as error:
        assert "NVIDIA driver" in str(error) or "CUDA device" in str(error), str(error)


def test_artifact_must_match_quantize_activations():
    plain, _ = vlmc.load(QWEN, q_mode="nvfp4")
    qa, _ = vlmc.load(QWEN, q_mode="nvfp4", quantize_activations=True)
    plain.close()
    qa.close()
    with pytest.raises(ValueError, match="was compiled without activation quantization: "
                                         "recompile it with vlm-compile -qa, or drop "
                                         "quantize_activations=True"):
        vlmc.load(plain.artifact_path, quantize_activations=True)
    with pytest.raises(ValueError, match=r"was compiled with activation quantization \(-qa\): "
                                         "pass quantize_activations=True"):
        vlmc.load(qa.artifact_path)
    with pytest.raises(ValueError, match="apply to checkpoint directories only"):
        vlmc.load(plain.artifact_path, q_mode="nvfp4")


def test_affine_quantization_at_load():
    model, processor = vlmc.load(QWEN, q_bits=4, q_group_size=32)
    with model:
        assert not model.quantize_activations
        assert model.artifact_path.endswith("-cpu-affine.vlmc")
        assert vlmc.generate(model, processor, "Hi", max_tokens=3).generation_tokens == 3
    with pytest.raises(ValueError):
        vlmc.load(QWEN, q_mode="no-such-mode")


def test_mlx_format_checkpoint_with_quantize_activations(tmp_path):
    """MLX-VLM's own example: an mxfp8 MLX checkpoint loaded with -qa."""
    mlx = tmp_path / "qwen-mxfp8"
    vlmc.convert(QWEN, mlx, quantize=True, q_mode="mxfp8")
    model, processor = vlmc.load(mlx, quantize_activations=True)
    with model:
        assert model.quantize_activations
        result = vlmc.generate(model, processor, "Describe this image.", image=[CHELSEA],
                               max_tokens=4)
        assert result.generation_tokens == 4
    with pytest.raises(ValueError, match="uses mxfp8 weights, which the cuda target"):
        vlmc.load(mlx, device="cuda")
