"""processor.apply_chat_template against transformers' renderings recorded in
the fixtures' reference.json, and the tokenizer against its ids."""

import pytest

import vlmc
from conftest import data, reference

VISION = ["qwen2vl-tiny", "qwen2_5vl-tiny", "smolvlm-tiny"]


def conversation(key, case):
    # The image cases are named img_* (SmolVLM's record no file name).
    content = [{"type": "image"}] if key.startswith("img_") else []
    content.append({"type": "text", "text": case["prompt"]})
    return [{"role": "user", "content": content}]


@pytest.mark.parametrize("name", VISION)
def test_apply_chat_template_matches_transformers(name):
    processor = vlmc.Processor.from_pretrained(data(name))
    cases = {k: v for k, v in reference(name).items() if isinstance(v, dict) and "chat_text" in v}
    assert cases
    for key, case in cases.items():
        rendered = processor.apply_chat_template(conversation(key, case),
                                                  add_generation_prompt=True)
        assert rendered == case["chat_text"], key
        assert isinstance(rendered, str)


def test_loaded_processor_matches_directory_processor(qwen2vl):
    model, processor = qwen2vl
    case = reference("qwen2vl-tiny")["img_chelsea"]
    assert processor.apply_chat_template(conversation("img_chelsea", case)) == case["chat_text"]
    # The runtime renders the same text for the same turn.
    assert model._impl.render_prompt(case["prompt"], None, 1) == case["chat_text"]


def test_apply_chat_template_options(qwen2vl):
    _, processor = qwen2vl
    messages = [{"role": "user", "content": "Hello"}]
    with_prompt = processor.apply_chat_template(messages)
    without = processor.apply_chat_template(messages, add_generation_prompt=False)
    assert with_prompt == without + "<|im_start|>assistant\n"
    ids = processor.apply_chat_template(messages, tokenize=True)
    assert ids == processor.tokenizer.encode(with_prompt, add_special_tokens=False)
    batch = processor.apply_chat_template([messages, messages])
    assert batch == [with_prompt, with_prompt]
    continued = processor.apply_chat_template(
        messages + [{"role": "assistant", "content": "Hi there"}], continue_final_message=True)
    assert continued.endswith("<|im_start|>assistant\nHi there")
    # Objects attached to parts (a PIL image in MLX-VLM scripts) do not matter.
    with_object = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image", "image": object()},
                                      {"type": "text", "text": "Hello"}]}])
    assert "<|vision_start|><|image_pad|><|vision_end|>Hello" in with_object
    # Template errors surface with the template's message.
    with pytest.raises(ValueError):
        processor.apply_chat_template([{"role": "user", "content": "a"}],
                                      add_generation_prompt=True, continue_final_message=True)


@pytest.mark.parametrize("name", ["qwen2vl-tiny", "qwen2_5vl-tiny"])
def test_tokenizer_matches_reference_ids(name):
    tokenizer = vlmc.Processor.from_pretrained(data(name)).tokenizer
    for case in reference(name)["tokenizer"]:
        ids = tokenizer.encode(case["text"], add_special_tokens=False)
        assert ids == case["ids"], case["text"]
        assert tokenizer.decode(ids) == case["text"]
        assert tokenizer(case["text"])["input_ids"] == ids


def test_tokenizer_special_tokens(story):
    _, processor = story
    tok = processor.tokenizer
    assert tok.bos_token_id == 1 and tok.eos_token_id == 2
    assert tok.encode("Once upon a time")[0] == tok.bos_token_id
    assert tok.convert_ids_to_tokens(tok.bos_token_id) == tok.bos_token
    assert tok.convert_tokens_to_ids(tok.bos_token) == 1
    assert tok.decode(tok.encode("Once upon a time"), skip_special_tokens=True) == \
        "Once upon a time"
    assert len(tok) == tok.vocab_size == 2048
    # No chat template: a single user turn renders as its text, like generate.
    assert processor.chat_template is None
    assert processor.apply_chat_template([{"role": "user", "content": "Once"}]) == "Once"


def test_prompt_utils_messages():
    from vlmc.prompt_utils import apply_chat_template, get_messages

    assert get_messages("hi", num_images=2) == [{"role": "user", "content": [
        {"type": "image"}, {"type": "image"}, {"type": "text", "text": "hi"}]}]
    processor = vlmc.Processor.from_pretrained(data("smolvlm-tiny"))
    case = reference("smolvlm-tiny")["img_astronaut"]
    assert apply_chat_template(processor, None, case["prompt"], num_images=1) == \
        case["chat_text"]
    assert apply_chat_template(processor, None, "x", return_messages=True) == \
        get_messages("x")
