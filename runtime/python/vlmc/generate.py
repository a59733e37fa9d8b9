"""vlmc.generate and vlmc.stream_generate (MLX-VLM's signatures)."""

import queue
import sys
import threading
from dataclasses import dataclass, field
from typing import List, Optional

from ._images import image_sources
from .model import Model
from .processor import FormattedPrompt


@dataclass
class GenerationResult:
    """What generate returns; str(result) is the text. Field names follow
    MLX-VLM's GenerationResult (peak_memory in GB, as there)."""

    text: str
    token_ids: List[int] = field(default_factory=list)
    prompt_ids: List[int] = field(default_factory=list)
    prompt_tokens: int = 0
    generation_tokens: int = 0
    prompt_tps: float = 0.0
    generation_tps: float = 0.0
    peak_memory: float = 0.0  # GB: peak resident memory of the process
    finish_reason: str = "length"  # "stop" (EOS or a stop string), "length" or "callback"
    time_to_first_token: float = 0.0  # seconds
    logprobs = None  # MLX-VLM's field; vlmc does not compute log-probabilities

    @property
    def token(self) -> Optional[int]:
        """The last generated token (MLX-VLM's field)."""
        return self.token_ids[-1] if self.token_ids else None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.generation_tokens

    def __str__(self):
        return self.text


class StreamChunk(str):
    """One piece of text from stream_generate: a str (so the chunks join into
    the text) that also carries MLX-VLM's per-step fields. `.text` is the
    piece, `.token` the token that completed it, `.generation_tokens` the
    count so far. The statistics (prompt_tokens, prompt_tps, generation_tps,
    peak_memory, finish_reason) are None until the generation has finished,
    then set on the last chunk."""

    def __new__(cls, text, token, generation_tokens):
        chunk = super().__new__(cls, text)
        chunk.token = token
        chunk.generation_tokens = generation_tokens
        chunk.prompt_tokens = None
        chunk.prompt_tps = None
        chunk.generation_tps = None
        chunk.peak_memory = None
        chunk.finish_reason = None
        return chunk

    @property
    def text(self):
        return str.__str__(self)

    def _finish(self, result):
        self.prompt_tokens = result.prompt_tokens
        self.prompt_tps = result.prompt_tps
        self.generation_tps = result.generation_tps
        self.peak_memory = result.peak_memory
        self.finish_reason = result.finish_reason


def _result(raw):
    return GenerationResult(
        text=raw["text"],
        token_ids=list(raw["token_ids"]),
        prompt_ids=list(raw["prompt_ids"]),
        prompt_tokens=raw["prompt_tokens"],
        generation_tokens=raw["generation_tokens"],
        prompt_tps=raw["prompt_tps"],
        generation_tps=raw["generation_tps"],
        peak_memory=raw["peak_memory_bytes"] / 1e9,
        finish_reason=raw["finish_reason"],
        time_to_first_token=raw["time_to_first_token"],
    )


def _template_tokens(model):
    """Special tokens that the model's chat template writes itself: a plain
    prompt containing one was formatted already."""
    tokens = model.__dict__.get("_vlmc_template_tokens")
    if tokens is None:
        proc = model._impl.processor
        source = proc.chat_template or ""
        tokens = [content for _, content, special in proc.added_tokens
                  if special and source and content in source]
        model.__dict__["_vlmc_template_tokens"] = tokens
    return tokens


def _resolve_prompt(model, prompt, system, num_images):
    """The raw user prompt and system prompt the runtime renders itself."""
    if isinstance(prompt, FormattedPrompt):
        turn = prompt._vlmc_turn
        if turn is not None:
            text, turn_system, images = turn
            if system is not None and turn_system is not None and system != turn_system:
                raise ValueError("system= differs from the system message the prompt was "
                                 "rendered with")
            if images != num_images:
                raise ValueError("the prompt was rendered for {} image(s) but {} were given"
                                 .format(images, num_images))
            system = system if system is not None else turn_system
            # Exactly what the runtime will render? (A string system message
            # may render differently from the runtime's list form.)
            if model._impl.render_prompt(text, system, num_images) == str(prompt):
                return text, system
        raise ValueError(
            "vlmc.generate renders the chat template itself and runs one user turn (an "
            "optional system message, then the images, then one text part); this prompt was "
            "rendered from a conversation it cannot reproduce. Pass the plain user prompt "
            "(and system=...)")
    if not isinstance(prompt, str):
        raise TypeError("prompt must be a str, got {}".format(type(prompt).__name__))
    for token in _template_tokens(model):
        if token in prompt:
            raise ValueError(
                "the prompt contains {!r}, which the model's chat template writes itself: "
                "vlmc.generate applies the chat template, so pass the plain user prompt (or "
                "one returned by processor.apply_chat_template / "
                "vlmc.prompt_utils.apply_chat_template)".format(token))
    return prompt, system


def _prepare(model, prompt, image, max_tokens=256, temperature=0.0, top_p=1.0, top_k=0,
             min_p=0.0, repetition_penalty=None, repetition_context_size=20, seed=None,
             system=None, stop=None, **kwargs):
    if "temp" in kwargs:  # older MLX-VLM spelling
        temperature = kwargs.pop("temp")
    if kwargs:
        raise TypeError("unexpected keyword argument(s): {}".format(", ".join(sorted(kwargs))))
    if not isinstance(model, Model):
        raise TypeError("model must come from vlmc.load, got {}".format(type(model).__name__))
    images = image_sources(image)
    text, system = _resolve_prompt(model, prompt, system, len(images))
    if seed is not None and int(seed) < 0:
        raise ValueError("seed must be >= 0, got {}".format(seed))
    if int(repetition_context_size) < 1:
        raise ValueError("repetition_context_size must be >= 1, got {}".format(
            repetition_context_size))
    if isinstance(stop, str):
        stop = [stop]
    return dict(
        prompt=text,
        system=system,
        images=images,
        max_tokens=int(max_tokens),
        temperature=float(temperature),
        top_p=float(top_p),
        top_k=int(top_k),
        min_p=float(min_p),
        repetition_penalty=None if repetition_penalty is None else float(repetition_penalty),
        repetition_context_size=int(repetition_context_size),
        seed=None if seed is None else int(seed),
        stop=list(stop or []),
    )


def generate(model, processor, prompt, image=None, max_tokens=256, temperature=0.0,
             top_p=1.0, top_k=0, min_p=0.0, repetition_penalty=None, seed=None,
             verbose=False, system=None, stop=None, **kwargs):
    """Generates text for `prompt` (the plain user prompt: the model's chat
    template is applied here, as vlm-generate does) and `image` (a path, PNG
    or JPEG bytes, a PIL image, a numpy HxWx3 uint8 array, or a list of them).

    Greedy at temperature 0 (the default); temperature/top_p/top_k/min_p/
    repetition_penalty/seed as MLX-VLM. `stop`: strings that end generation
    (not included in the text). `processor` is accepted for MLX-VLM's
    signature; the model carries its own tokenizer and template.

    With verbose=True the text is streamed to stdout followed by MLX-VLM's
    statistics lines. Ctrl-C stops a generation between two tokens.
    """
    call = _prepare(model, prompt, image, max_tokens=max_tokens, temperature=temperature,
                    top_p=top_p, top_k=top_k, min_p=min_p,
                    repetition_penalty=repetition_penalty, seed=seed, system=system,
                    stop=stop, **kwargs)
    if not verbose:
        return _result(model._impl.generate(**call))

    print("=" * 10)
    if call["images"]:
        files = image if isinstance(image, (list, tuple)) else [image]
        print("Files:", [f if isinstance(f, str) else "<{}>".format(type(f).__name__)
                         for f in files], "\n")
    print("Prompt:", model._impl.render_prompt(call["prompt"], call["system"],
                                               len(call["images"])))

    def echo(_token, text):
        sys.stdout.write(text)
        sys.stdout.flush()

    result = _result(model._impl.generate(callback=echo, **call))
    print("\n" + "=" * 10)
    if not result.text:
        print("No text generated for this prompt")
        return result
    print("Prompt: {} tokens, {:.3f} tokens-per-sec".format(result.prompt_tokens,
                                                          result.prompt_tps))
    print("Generation: {} tokens, {:.3f} tokens-per-sec".format(result.generation_tokens,
                                                              result.generation_tps))
    print("Peak memory: {:.3f} GB".format(result.peak_memory))
    return result


_END = object()


def stream_generate(model, processor, prompt, image=None, **kwargs):
    """Like generate, but returns a generator of StreamChunk (str pieces of
    the text, as the tokens are produced); the chunks concatenate to
    generate's text. The generator's return value (StopIteration.value) is
    the GenerationResult.

    Generation runs in a worker thread (the GIL is released between tokens);
    closing the generator early (break, .close(), garbage collection) stops it
    at the next token and waits for the worker. Arguments are checked here,
    before the first chunk is asked for.
    """
    call = _prepare(model, prompt, image, **kwargs)
    return _stream(model, call)


def _stream(model, call):
    chunks = queue.SimpleQueue()
    cancel = threading.Event()

    def on_token(token, text):
        chunks.put((token, text))
        return not cancel.is_set()

    def run():
        try:
            chunks.put((_END, model._impl.generate(callback=on_token, **call)))
        except BaseException as e:  # handed to the consumer, which raises it
            chunks.put((_END, e))

    worker = threading.Thread(target=run, name="vlmc-stream-generate", daemon=True)
    worker.start()
    count = 0
    last = None
    try:
        while True:
            token, payload = chunks.get()
            if token is _END:
                if isinstance(payload, BaseException):
                    raise payload
                result = _result(payload)
                if last is not None:
                    last._finish(result)
                return result
            count += 1
            # Tokens that end inside a UTF-8 sequence complete no text yet.
            if payload:
                last = StreamChunk(payload, token, count)
                yield last
    finally:
        cancel.set()
        worker.join()
