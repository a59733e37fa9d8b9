"""Errors surface as Python exceptions with the runtime's message; models
free their resources on close(), at the end of a `with` block and when
collected."""

import _thread
import gc
import os
import shutil
import threading

import pytest

import vlmc
from conftest import data

STORY = data("tinystories-656k")


@pytest.fixture
def private_story(story, tmp_path):
    """A private copy of the TinyStories artifact: the session's models map
    the cached one, so only a copy shows whether a model unmapped its file."""
    path = str(tmp_path / "story.vlmc")
    shutil.copyfile(story[0].artifact_path, path)
    return path


def mapped(path):
    """Whether `path` is mapped into this process (the artifact of a live model)."""
    with open("/proc/self/maps", encoding="utf-8") as f:
        return any(line.rstrip().endswith(path) for line in f)


def test_missing_model_is_file_not_found():
    with pytest.raises(FileNotFoundError, match="no such model: '/nonexistent/model'"):
        vlmc.load("/nonexistent/model")


def test_directory_without_config(tmp_path):
    with pytest.raises(FileNotFoundError, match="no config.json"):
        vlmc.load(tmp_path)


def test_corrupt_artifact(tmp_path):
    bad = tmp_path / "bad.vlmc"
    bad.write_bytes(b"not an artifact at all" * 10)
    with pytest.raises(ValueError, match="bad.vlmc"):
        vlmc.load(bad)


def test_bad_arguments():
    with pytest.raises(TypeError, match="unexpected keyword"):
        vlmc.load(STORY, no_such_option=1)
    with pytest.raises(ValueError, match="device must be"):
        vlmc.load(STORY, device="tpu")
    with pytest.raises(ValueError, match="max_context must be positive"):
        vlmc.load(STORY, max_context=0)


def test_cuda_device_without_a_gpu_is_refused_clearly():
    # The checkpoint compiles for the cuda target; running it needs a GPU.
    try:
        model, _ = vlmc.load(STORY, device="cuda")
    except RuntimeError as error:
        assert "NVIDIA driver" in str(error) or "CUDA device" in str(error), str(error)
    else:
        model.close()  # a GPU is there: loading works


def test_generation_errors(story, tmp_path):
    model, processor = story
    with pytest.raises(ValueError, match=r"top-p must be in \(0, 1\], got 2"):
        vlmc.generate(model, processor, "hi", temperature=0.5, top_p=2)
    with pytest.raises(ValueError, match="max tokens must be positive"):
        vlmc.generate(model, processor, "hi", max_tokens=0)
    with pytest.raises(ValueError, match="text-only: it cannot take images"):
        vlmc.generate(model, processor, "hi", image=data("images", "chelsea.png"))
    with pytest.raises(FileNotFoundError, match="missing.png"):
        vlmc.generate(model, processor, "hi", image=str(tmp_path / "missing.png"))
    with pytest.raises(TypeError, match="unexpected keyword"):
        vlmc.generate(model, processor, "hi", max_token=3)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        vlmc.generate(model, processor, "hi", seed=-1)
    with pytest.raises(TypeError, match="model must come from vlmc.load"):
        vlmc.generate("model", processor, "hi")
    # Still fine afterwards.
    assert vlmc.generate(model, processor, "hi", max_tokens=2).generation_tokens == 2


@pytest.mark.compiler
def test_prompt_longer_than_context(vlmc):
    model, processor = vlmc.load(STORY, max_context=4)
    with model:
        with pytest.raises(ValueError, match="the context holds 4"):
            vlmc.generate(model, processor, "Once upon a time there was a")


def test_corrupt_image(qwen2vl, tmp_path):
    model, processor = qwen2vl
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(ValueError):
        vlmc.generate(model, processor, "hi", image=str(bad))
    with pytest.raises(ValueError):
        vlmc.generate(model, processor, "hi", image=b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(TypeError, match="an image must be"):
        vlmc.generate(model, processor, "hi", image=[42])
    with pytest.raises(ValueError, match="does not download"):
        vlmc.generate(model, processor, "hi", image="https://example.com/cat.png")


def test_callback_exception_propagates(story):
    model, _ = story

    class Boom(Exception):
        pass

    def callback(token, text):
        raise Boom("from the callback")

    with pytest.raises(Boom, match="from the callback"):
        model._impl.generate("Once upon a time", max_tokens=8, callback=callback)
    seen = []
    result = model._impl.generate("Once upon a time", max_tokens=8,
                                  callback=lambda t, s: seen.append(t) or len(seen) < 3)
    assert result["finish_reason"] == "callback" and len(seen) == 3


def test_keyboard_interrupt_stops_generation(story):
    """Ctrl-C between tokens: the runtime checks for signals after each one."""
    model, _ = story
    calls = []

    def interrupt(token, text):
        calls.append(token)
        if len(calls) == 2:
            _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        model._impl.generate("Once upon a time", max_tokens=500, callback=interrupt)
    assert len(calls) == 2


@pytest.mark.compiler
def test_close_and_context_manager(vlmc, private_story):
    model, processor = vlmc.load(private_story)
    path = model.artifact_path
    assert os.path.isfile(path) and mapped(path) and not model.closed
    model.close()
    assert model.closed and not mapped(path)
    model.close()  # idempotent
    with pytest.raises(ValueError, match="the model is closed"):
        vlmc.generate(model, processor, "hi", max_tokens=2)
    # The processor stays usable.
    assert processor.tokenizer.decode(processor.tokenizer.encode("Once upon a time",
                                                                 add_special_tokens=False)) \
        == "Once upon a time"

    with vlmc.load(private_story)[0] as model:
        assert mapped(model.artifact_path)
        assert repr(model).startswith("<vlmc.Model llama (cpu) from ")
    assert model.closed and not mapped(model.artifact_path)


@pytest.mark.compiler
def test_garbage_collection_frees_the_model(vlmc, private_story):
    model, processor = vlmc.load(private_story)
    path = model.artifact_path
    assert vlmc.generate(model, processor, "hi", max_tokens=2).generation_tokens == 2
    del model
    gc.collect()
    assert not mapped(path)


@pytest.mark.compiler
def test_close_from_another_thread_stops_generation(vlmc, private_story):
    """close() while another thread generates: the generation stops at its
    next token (raising), close waits for it, then frees the model."""
    model, _ = vlmc.load(private_story)
    path = model.artifact_path
    in_callback, resume = threading.Event(), threading.Event()
    calls, outcome = [], []

    def callback(token, text):
        calls.append(token)
        in_callback.set()
        resume.wait()  # hold the generation until close() has started

    def run():
        try:
            model._impl.generate("Once upon a time", max_tokens=100, callback=callback)
            outcome.append(None)
        except Exception as e:
            outcome.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    assert in_callback.wait(10)
    closer = threading.Thread(target=model.close)
    closer.start()
    while not model.closed:  # close() has asked the generation to stop
        pass
    assert closer.is_alive()  # ... and waits for it
    resume.set()
    worker.join(10)
    closer.join(10)
    assert len(calls) == 1
    assert isinstance(outcome[0], ValueError) and "closed" in str(outcome[0])
    assert not mapped(path)


def test_concurrent_generations_are_serialized(story):
    model, processor = story
    expected = vlmc.generate(model, processor, "Once upon a time", max_tokens=32).token_ids
    results, errors = [], []

    def run():
        try:
            results.append(vlmc.generate(model, processor, "Once upon a time",
                                         max_tokens=32).token_ids)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [expected] * 4


@pytest.mark.compiler
def test_cache_is_reused(vlmc, capfd):
    a, _ = vlmc.load(STORY, verbose=True)
    b, _ = vlmc.load(STORY, verbose=True)
    err = capfd.readouterr().err
    assert a.artifact_path == b.artifact_path
    assert "vlmc: using the cached artifact" in err
    assert a.artifact_path.startswith(os.environ["VLMC_CACHE_DIR"])
    a.close()
    b.close()
    # An artifact loads directly.
    with vlmc.load(b.artifact_path)[0] as direct:
        assert direct.artifact_path == b.artifact_path
    assert vlmc.load_config(b.artifact_path)["model_type"] == "llama"
    assert vlmc.load_config(STORY)["model_type"] == "llama"


def test_gil_is_released_while_generating(qwen2vl):
    """Another Python thread keeps running during a generation (the tiny
    Qwen2-VL has random weights: it never stops early at EOS)."""
    model, processor = qwen2vl
    done = []
    worker = threading.Thread(target=lambda: done.append(
        vlmc.generate(model, processor, "Hi", max_tokens=1000)))
    spins = 0
    worker.start()
    while worker.is_alive():
        spins += 1
    worker.join()
    assert done[0].generation_tokens == 1000
    # Holding the GIL for the whole generation would leave this near zero.
    assert spins > 1000
