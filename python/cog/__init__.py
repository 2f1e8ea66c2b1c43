"""Cog's Python predictor API, stdlib only, for Replicant.

The names and behaviour are those of Cog's Python SDK (classic names, plus the Cog >= 0.20
`BaseRunner`/`run` spelling): a model's `predict.py` imports from here, and the worker
(`python -m cog.server.worker`) runs it behind Replicant's TypeScript model server.
"""

from .base_model import BaseModel
from .decorators import concurrent, streaming
from .input import Input
from .predictor import BasePredictor, BaseRunner
from .scope import current_scope, emit_metric
from .server.exceptions import CancelationException
from .types import AsyncConcatenateIterator, ConcatenateIterator, ExperimentalFeatureWarning, File, Path, Secret

#: The Cog SDK version whose API this package follows, marked as Replicant's implementation.
__version__ = "0.22.0+replicant"

__all__ = [
    "AsyncConcatenateIterator",
    "BaseModel",
    "BasePredictor",
    "BaseRunner",
    "CancelationException",
    "ConcatenateIterator",
    "ExperimentalFeatureWarning",
    "File",
    "Input",
    "Path",
    "Secret",
    "__version__",
    "concurrent",
    "current_scope",
    "emit_metric",
    "streaming",
]
