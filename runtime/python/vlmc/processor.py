"""The processor vlmc.load returns: tokenizer and chat template, shaped like
the transformers processor MLX-VLM hands out."""

import json

from . import _vlmc


class FormattedPrompt(str):
    """A prompt rendered by apply_chat_template. When it was rendered from a
    single user turn (optionally after a system message) it remembers that
    turn, so vlmc.generate can take it as MLX-VLM's generate does: the runtime
    applies the chat template itself and needs the plain text."""

    # (user text, system text or None, number of images) or None.
    _vlmc_turn = None


def _turn_of(conversation):
    """The (prompt, system, num_images) of a single-turn conversation whose
    images all come before its one text part (the layout the runtime
    renders), else None."""
    if not isinstance(conversation, (list, tuple)) or not conversation:
        return None
    messages = list(conversation)
    system = None
    if isinstance(messages[0], dict) and messages[0].get("role") == "system":
        content = messages[0].get("content")
        if isinstance(content, str):
            system = content
        elif isinstance(content, list) and len(content) == 1 and _part_type(content[0]) == "text":
            system = content[0].get("text")
        else:
            return None
        messages = messages[1:]
    if len(messages) != 1 or not isinstance(messages[0], dict):
        return None
    if messages[0].get("role") != "user" or set(messages[0]) - {"role", "content"}:
        return None
    content = messages[0].get("content")
    if isinstance(content, str):
        return (content, system, 0)
    if not isinstance(content, list):
        return None
    images, texts = 0, []
    for part in content:
        kind = _part_type(part)
        if kind == "image" and not texts:
            images += 1
        elif kind == "text":
            texts.append(part.get("text"))
        else:
            return None
    if len(texts) != 1 or not isinstance(texts[0], str):
        return None
    return (texts[0], system, images)


def _part_type(part):
    return part.get("type") if isinstance(part, dict) else None


def _jsonable(value):
    # Templates look at message structure, not at attached objects (a PIL
    # image in {"type": "image", "image": img}): those become a placeholder.
    return "<{}>".format(type(value).__name__)


class Tokenizer:
    """processor.tokenizer: encode/decode with the model's tokenizer.json
    (id-for-id with Hugging Face tokenizers)."""

    def __init__(self, impl):
        self._impl = impl

    def encode(self, text, add_special_tokens=True):
        return self._impl.encode(text, add_special_tokens)

    def decode(self, ids, skip_special_tokens=False):
        if isinstance(ids, int):
            ids = [ids]
        return self._impl.decode(list(ids), skip_special_tokens)

    def batch_decode(self, sequences, skip_special_tokens=False):
        return [self.decode(ids, skip_special_tokens) for ids in sequences]

    def __call__(self, text, add_special_tokens=True):
        if isinstance(text, str):
            ids = self.encode(text, add_special_tokens)
            return {"input_ids": ids, "attention_mask": [1] * len(ids)}
        encoded = [self.encode(t, add_special_tokens) for t in text]
        return {"input_ids": encoded, "attention_mask": [[1] * len(i) for i in encoded]}

    def convert_ids_to_tokens(self, ids):
        if isinstance(ids, int):
            return self._impl.id_to_token(ids)
        return [self._impl.id_to_token(i) for i in ids]

    def convert_tokens_to_ids(self, tokens):
        if isinstance(tokens, str):
            return self._impl.token_to_id(tokens)
        return [self._impl.token_to_id(t) for t in tokens]

    def _special(self, name, index):
        entry = self._impl.special_tokens.get(name)
        return entry[index] if entry else None

    bos_token = property(lambda self: self._special("bos_token", 0))
    bos_token_id = property(lambda self: self._special("bos_token", 1))
    eos_token = property(lambda self: self._special("eos_token", 0))
    eos_token_id = property(lambda self: self._special("eos_token", 1))
    unk_token = property(lambda self: self._special("unk_token", 0))
    unk_token_id = property(lambda self: self._special("unk_token", 1))
    pad_token = property(lambda self: self._special("pad_token", 0))
    pad_token_id = property(lambda self: self._special("pad_token", 1))

    @property
    def all_special_tokens(self):
        return [content for _, content, special in self._impl.added_tokens if special]

    @property
    def all_special_ids(self):
        return [i for i, _, special in self._impl.added_tokens if special]

    @property
    def vocab_size(self):
        return self._impl.vocab_size

    def __len__(self):
        return self._impl.vocab_size

    @property
    def chat_template(self):
        return self._impl.chat_template

    def apply_chat_template(self, conversation, **kwargs):
        return _apply_chat_template(self, conversation, **kwargs)


class Processor:
    """What vlmc.load returns next to the model: the tokenizer
    (processor.tokenizer) and the chat template. Usable after the model is
    closed."""

    def __init__(self, impl):
        self._impl = impl
        self.tokenizer = Tokenizer(impl)

    @classmethod
    def from_pretrained(cls, path):
        """The processor of a checkpoint directory (tokenizer and chat template
        files), without compiling the model."""
        import os

        return cls(_vlmc.Processor.from_directory(os.fspath(path)))

    @property
    def chat_template(self):
        return self._impl.chat_template

    def apply_chat_template(self, conversation, **kwargs):
        """Renders `conversation` (a list of {"role", "content"} dicts, content
        a str or a list of {"type": "text"/"image", ...} parts; or a list of
        such conversations) with the model's chat template, as transformers'
        apply_chat_template(..., tokenize=False) does."""
        return _apply_chat_template(self.tokenizer, conversation, **kwargs)

    def encode(self, text, add_special_tokens=True):
        return self.tokenizer.encode(text, add_special_tokens)

    def decode(self, ids, skip_special_tokens=False):
        return self.tokenizer.decode(ids, skip_special_tokens)

    def batch_decode(self, sequences, skip_special_tokens=False):
        return self.tokenizer.batch_decode(sequences, skip_special_tokens)


def _apply_chat_template(
    tokenizer,
    conversation,
    add_generation_prompt=None,
    tokenize=False,
    tools=None,
    documents=None,
    continue_final_message=False,
    return_dict=False,
    **kwargs
):
    # add_generation_prompt defaults to True here (MLX-VLM's prompt_utils
    # default; transformers' is False) unless the final message is continued.
    if add_generation_prompt is None:
        add_generation_prompt = not continue_final_message
    if continue_final_message and add_generation_prompt:
        raise ValueError(
            "continue_final_message and add_generation_prompt are not compatible. Use "
            "continue_final_message when you want the model to continue the final message, "
            "and add_generation_prompt when you want to add a header that will prompt it to "
            "start a new assistant message instead."
        )
    if kwargs.pop("chat_template", None) is not None:
        raise NotImplementedError("vlmc renders the model's own chat template only")
    if kwargs.pop("return_tensors", None) is not None:
        raise NotImplementedError("vlmc returns token ids as lists (return_tensors=None)")
    batched = (
        isinstance(conversation, (list, tuple))
        and len(conversation) > 0
        and isinstance(conversation[0], (list, tuple))
    )
    conversations = list(conversation) if batched else [conversation]
    impl = tokenizer._impl
    rendered = []
    for chat in conversations:
        messages = [dict(m) if isinstance(m, dict) else m for m in chat]
        # The context transformers renders with: messages, tools, documents,
        # add_generation_prompt, the tokenizer's special tokens, then kwargs.
        context = {
            "messages": messages,
            "tools": tools,
            "documents": documents,
            "add_generation_prompt": bool(add_generation_prompt),
        }
        for name, (text, _) in impl.special_tokens.items():
            context[name] = text
        context.update(kwargs)
        if impl.has_chat_template:
            text = impl.render_chat_template(
                json.dumps(context, ensure_ascii=False, default=_jsonable)
            )
        else:
            # Like Generator: a model without a template takes the prompt as is.
            turn = _turn_of(messages)
            if turn is None or turn[1] is not None:
                raise ValueError(
                    "this model has no chat template: only a single user message can be "
                    "rendered (as its text)"
                )
            text = turn[0]
        if continue_final_message:
            text = _continue_final_message(text, messages)
        rendered.append(text)
    if tokenize:
        ids = [tokenizer.encode(t, add_special_tokens=False) for t in rendered]
        if return_dict:
            masks = [[1] * len(i) for i in ids]
            return {"input_ids": ids if batched else ids[0],
                    "attention_mask": masks if batched else masks[0]}
        return ids if batched else ids[0]
    results = []
    for chat, text in zip(conversations, rendered):
        out = FormattedPrompt(text)
        if (add_generation_prompt and not continue_final_message and tools is None
                and documents is None and not kwargs):
            out._vlmc_turn = _turn_of(chat)
        results.append(out)
    return results if batched else results[0]


def _continue_final_message(rendered, messages):
    # transformers' rule: cut the rendering after the final message's text.
    final = messages[-1].get("content") if messages and isinstance(messages[-1], dict) else None
    if isinstance(final, (list, tuple)):
        for block in reversed(final):
            if isinstance(block, dict) and "text" in block:
                final = block["text"]
                break
        else:
            raise ValueError(
                "continue_final_message is set but we could not find any text to continue "
                "in the final message!"
            )
    if not isinstance(final, str) or final.strip() not in rendered:
        raise ValueError(
            "continue_final_message is set but the final message does not appear in the "
            "chat after applying the chat template!"
        )
    at = rendered.rindex(final.strip())
    if rendered[at:at + len(final.lstrip())] == final:
        return rendered[:at + len(final.lstrip())]
    return rendered[:at + len(final.strip())]
