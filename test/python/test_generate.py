"""End to end on the CPU: checkpoint directories compiled in-process, then
transformers' greedy ids reproduced from the raw image file and prompt."""

import json
import threading

import pytest

import vlmc
from conftest import data

pytestmark = pytest.mark.compiler  # every test here loads a checkpoint directory

CHELSEA = data("images", "chelsea.png")
ASTRONAUT_CROP = data("images", "astronaut_crop.png")

# transformers' greedy ids (the same the vlm-generate lit test checks).
QWEN2_CHELSEA = [1385, 539, 626, 765, 661, 470, 1086, 682, 951, 409, 470, 140, 489, 470, 1083,
                 1214]
QWEN25_CHELSEA = [1414, 92, 353, 131, 129, 131, 129, 131, 1285, 619, 660, 1397, 1350, 1360, 1414,
                  92]
SMOL_ASTRONAUT = [33676, 43135, 14859, 5086, 16597, 35638, 3636, 30811, 35366, 14859, 5086, 16597,
                  47907, 38038, 47512, 43135]
STORY_START = (", a little girl named Lily lived in a small house with her mom, dad, and her "
               "dog, Spot")


@pytest.mark.parametrize("fixture, image, expected, prompt_tokens", [
    ("qwen2vl", CHELSEA, QWEN2_CHELSEA, 65),
    ("qwen25vl", CHELSEA, QWEN25_CHELSEA, 65),
    ("smolvlm", ASTRONAUT_CROP, SMOL_ASTRONAUT, 105),
])
def test_vision_fixtures_match_transformers(request, fixture, image, expected, prompt_tokens):
    model, processor = request.getfixturevalue(fixture)
    result = vlmc.generate(model, processor, "Describe this image.", image=image, max_tokens=16)
    assert result.token_ids == expected
    assert result.prompt_tokens == prompt_tokens == len(result.prompt_ids)
    assert result.generation_tokens == 16
    assert result.finish_reason == "length"
    assert str(result) == result.text == processor.tokenizer.decode(expected,
                                                                    skip_special_tokens=True)
    assert result.prompt_tps > 0 and result.generation_tps > 0 and result.peak_memory > 0
    assert result.token == expected[-1]


def test_image_list_and_path_like(qwen2vl):
    import pathlib

    model, processor = qwen2vl
    result = vlmc.generate(model, processor, "Describe this image.",
                           [pathlib.Path(CHELSEA)], max_tokens=16)
    assert result.token_ids == QWEN2_CHELSEA


def test_tinystories_story(story):
    model, processor = story
    ref = json.load(open(data("tinystories-656k-ref", "reference.json"), encoding="utf-8"))
    result = vlmc.generate(model, processor, "Once upon a time", max_tokens=64)
    assert result.text.startswith(STORY_START)
    case = ref["case0"]
    assert result.prompt_ids == case["input_ids"]
    assert result.token_ids == case["generated_ids"]
    assert result.text == case["generated_text"]


@pytest.mark.parametrize("fixture, prompt, image, max_tokens", [
    ("qwen2vl", "Describe this image.", CHELSEA, 16),
    ("smolvlm", "Describe this image.", ASTRONAUT_CROP, 16),
    ("story", "Once upon a time", None, 64),
])
def test_stream_generate_concatenates_to_generate(request, fixture, prompt, image, max_tokens):
    model, processor = request.getfixturevalue(fixture)
    whole = vlmc.generate(model, processor, prompt, image=image, max_tokens=max_tokens)
    chunks = list(vlmc.stream_generate(model, processor, prompt, image=image,
                                       max_tokens=max_tokens))
    assert chunks and all(isinstance(c, str) and c for c in chunks)
    assert "".join(chunks) == "".join(c.text for c in chunks) == whole.text
    assert [c.generation_tokens for c in chunks] == sorted(c.generation_tokens for c in chunks)
    last = chunks[-1]
    assert last.finish_reason == "length"
    assert last.prompt_tokens == whole.prompt_tokens
    assert chunks[0].prompt_tps is None or len(chunks) == 1


def test_stream_generate_returns_the_result(story):
    model, processor = story
    stream = vlmc.stream_generate(model, processor, "Once upon a time", max_tokens=8)
    text = []
    while True:
        try:
            text.append(next(stream))
        except StopIteration as stop:
            result = stop.value
            break
    assert isinstance(result, vlmc.GenerationResult)
    assert result.text == "".join(text) and len(result.token_ids) == 8


def test_stream_early_close_stops_generation(story):
    model, processor = story
    threads = threading.active_count()
    stream = vlmc.stream_generate(model, processor, "Once upon a time", max_tokens=3000)
    first = next(stream)
    assert first
    stream.close()  # stops the worker at its next token and joins it
    assert threading.active_count() == threads
    # The model is usable again, from a clean session.
    again = vlmc.generate(model, processor, "Once upon a time", max_tokens=64)
    assert again.text.startswith(STORY_START)


def test_break_out_of_stream(story):
    model, processor = story
    for i, _ in enumerate(vlmc.stream_generate(model, processor, "Once upon a time",
                                               max_tokens=3000)):
        if i == 2:
            break
    assert vlmc.generate(model, processor, "Once upon a time", max_tokens=4).token_ids == \
        vlmc.generate(model, processor, "Once upon a time", max_tokens=4).token_ids


def test_verbose_prints_mlx_vlm_stats(story, capsys):
    model, processor = story
    result = vlmc.generate(model, processor, "Once upon a time", max_tokens=16, verbose=True)
    out = capsys.readouterr().out
    assert out.startswith("==========\nPrompt: Once upon a time\n")
    assert result.text in out
    assert "Prompt: 6 tokens, " in out and "tokens-per-sec" in out
    assert "Generation: 16 tokens, " in out
    assert "Peak memory: " in out and out.rstrip().endswith("GB")


def test_sampling_seed_is_reproducible(story):
    model, processor = story
    kw = dict(max_tokens=32, temperature=0.8, top_p=0.9, top_k=50)
    a = vlmc.generate(model, processor, "Once upon a time", seed=7, **kw)
    b = vlmc.generate(model, processor, "Once upon a time", seed=7, **kw)
    c = vlmc.generate(model, processor, "Once upon a time", seed=8, **kw)
    assert a.token_ids == b.token_ids
    assert a.token_ids != c.token_ids
    # MLX-VLM's older spelling of temperature.
    d = vlmc.generate(model, processor, "Once upon a time", seed=7, temp=0.8, max_tokens=32,
                      top_p=0.9, top_k=50)
    assert d.token_ids == a.token_ids


def test_stop_strings(story):
    model, processor = story
    result = vlmc.generate(model, processor, "Once upon a time", max_tokens=64, stop="Spot")
    assert result.text == ", a little girl named Lily lived in a small house with her mom, " \
                          "dad, and her dog, "
    assert result.finish_reason == "stop"


def test_system_prompt(qwen2vl):
    model, processor = qwen2vl
    rendered = model._impl.render_prompt("Hi", "Be brief.", 0)
    assert rendered.startswith("<|im_start|>system\nBe brief.<|im_end|>")
    result = vlmc.generate(model, processor, "Hi", system="Be brief.", max_tokens=4)
    assert result.prompt_tokens == len(processor.tokenizer.encode(rendered))


def test_formatted_prompt_from_prompt_utils(qwen2vl):
    """MLX-VLM's usual flow: format with apply_chat_template, then generate."""
    from vlmc.prompt_utils import apply_chat_template

    model, processor = qwen2vl
    formatted = apply_chat_template(processor, model.config, "Describe this image.",
                                    num_images=1)
    result = vlmc.generate(model, processor, formatted, [CHELSEA], max_tokens=16)
    assert result.token_ids == QWEN2_CHELSEA
    with pytest.raises(ValueError, match="rendered for 1 image"):
        vlmc.generate(model, processor, formatted, max_tokens=4)


def test_hand_formatted_prompt_is_refused(qwen2vl):
    model, processor = qwen2vl
    with pytest.raises(ValueError, match="applies the chat template"):
        vlmc.generate(model, processor, "<|im_start|>user\nhi<|im_end|>\n", max_tokens=4)
    multi_turn = processor.apply_chat_template([
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "bye"},
    ])
    with pytest.raises(ValueError, match="cannot reproduce"):
        vlmc.generate(model, processor, multi_turn, max_tokens=4)


def test_stop_string_spanning_pieces(story):
    model, processor = story
    result = vlmc.generate(model, processor, "Once upon a time", max_tokens=20, stop="a little")
    assert result.text == ", " and result.finish_reason == "stop"
