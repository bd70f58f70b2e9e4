"""Weft's Python frontend: graph builders, weights files, references, runner.

Builds transformer models (GPT-2, Llama) as ``xf`` MLIR text for the Weft
compiler, writes their weights as ``.safetensors``, computes NumPy reference
logits to check compiled code against, and runs compiled ``.weft`` artifacts
through the runtime's C API. The package depends on NumPy only; PyTorch is
needed by ``weft.torch_reference`` alone, which the tests use as a second,
independent reference.

Modules:

* ``weft.config``      model configuration and presets
* ``weft.dtypes``      element types and bf16 conversion
* ``weft.mlir``        the ``xf`` MLIR text emitter
* ``weft.models``      GPT-2 and Llama builders, weight init and conversion
* ``weft.safetensors`` ``.safetensors`` reader and writer
* ``weft.reference``   float64 NumPy reference ops and forward passes
* ``weft.torch_reference`` the same models from PyTorch modules (tests only)
* ``weft.runner``      ctypes runner over ``libweft_runtime.so``
* ``weft.fileutil``    atomic file writes
* ``weft.build``       ``python3 -m weft.build``: model, weights and expected logits

See docs/python.md.
"""

from weft.config import ModelConfig, preset

__all__ = ["ModelConfig", "preset"]
