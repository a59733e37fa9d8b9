"""The model object vlmc.load returns."""

import json


class ModelConfig(dict):
    """config.json as a dict whose keys also read as attributes
    (model.config.model_type, as with MLX-VLM's config objects)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Model:
    """A compiled model ready to generate (one KV cache: generations on one
    Model run one at a time).

    Resources (the mapped artifact, the KV cache, the worker threads) are freed
    by close(), by leaving a `with` block, or when the object is collected.
    """

    def __init__(self, impl):
        self._impl = impl
        self.config = ModelConfig(json.loads(impl.config_json))

    # -- lifetime ---------------------------------------------------------
    def close(self):
        """Frees the model now. A generation running in another thread stops at
        its next token. Calling it again does nothing."""
        self._impl.close()

    @property
    def closed(self):
        return self._impl.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- description ------------------------------------------------------
    @property
    def path(self):
        """The path given to load (artifact or checkpoint directory)."""
        return self._impl.source_path

    @property
    def artifact_path(self):
        """The .vlmc file that runs (the cached compile of a directory)."""
        return self._impl.artifact_path

    @property
    def model_type(self):
        return self._impl.model_type

    @property
    def target(self):
        return self._impl.target

    @property
    def quantize_activations(self):
        return self._impl.quantize_activations

    @property
    def has_vision(self):
        return self._impl.has_vision

    @property
    def max_context(self):
        return self._impl.max_context

    def __repr__(self):
        state = "closed" if self.closed else self.target
        return "<vlmc.Model {} ({}) from {!r}>".format(self.model_type, state, self.path)
