"""Shared fixtures for the vlmc Python tests.

Run by ctest (`ctest -R python`) with PYTHONPATH pointing at build/python, or
by hand:
    PYTHONPATH=build/python /usr/bin/python3 -m pytest -q test/python
"""

import json
import os
import shutil
import tempfile

import pytest

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
DATA = os.path.normpath(DATA)
IMAGES = os.path.join(DATA, "images")


MODEL_FIXTURES = {"qwen2vl", "qwen25vl", "smolvlm", "story"}


def have_compiler():
    from vlmc import _vlmc

    return _vlmc.HAVE_COMPILER


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "compiler: compiles a checkpoint directory (skipped in runtime-only builds)")


def pytest_collection_modifyitems(config, items):
    # A runtime-only build (-DVLMC_BUILD_COMPILER=OFF) cannot compile the
    # fixtures: run what needs no model (processor, convert, argument checks).
    if have_compiler():
        return
    skip = pytest.mark.skip(reason="this build of vlmc has no compiler")
    for item in items:
        if item.get_closest_marker("compiler") or MODEL_FIXTURES & set(item.fixturenames):
            item.add_marker(skip)


def data(*parts):
    return os.path.join(DATA, *parts)


def reference(model_dir):
    with open(data(model_dir, "reference.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session", autouse=True)
def artifact_cache():
    """A fresh artifact cache per run, under $VLMC_CACHE_DIR when set (ctest
    sets it inside the build tree), never the user's ~/.cache: every run
    compiles with the compiler under test, and the tests' artifacts go away."""
    parent = os.environ.get("VLMC_CACHE_DIR")
    if parent:
        os.makedirs(parent, exist_ok=True)
    path = tempfile.mkdtemp(prefix="session-", dir=parent or None)
    previous = os.environ.get("VLMC_CACHE_DIR")
    os.environ["VLMC_CACHE_DIR"] = path  # the extension reads it with getenv
    yield path
    if previous is None:
        del os.environ["VLMC_CACHE_DIR"]
    else:
        os.environ["VLMC_CACHE_DIR"] = previous
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def vlmc(artifact_cache):
    import vlmc as module

    return module


def _loaded(vlmc, name):
    model, processor = vlmc.load(data(name))
    return model, processor


@pytest.fixture(scope="session")
def qwen2vl(vlmc):
    model, processor = _loaded(vlmc, "qwen2vl-tiny")
    yield model, processor
    model.close()


@pytest.fixture(scope="session")
def qwen25vl(vlmc):
    model, processor = _loaded(vlmc, "qwen2_5vl-tiny")
    yield model, processor
    model.close()


@pytest.fixture(scope="session")
def smolvlm(vlmc):
    model, processor = _loaded(vlmc, "smolvlm-tiny")
    yield model, processor
    model.close()


@pytest.fixture(scope="session")
def story(vlmc):
    model, processor = _loaded(vlmc, "tinystories-656k")
    yield model, processor
    model.close()
