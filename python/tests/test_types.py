"""The public `cog` API in-process, and the worker's pure helpers (encode, input conversion)."""

from __future__ import annotations

import ast
import dataclasses
import enum
import io
import os
import pathlib
import subprocess
import sys
import typing
from typing import Iterator, List, Optional

import pytest

import cog
from cog import (
    AsyncConcatenateIterator,
    BaseModel,
    BasePredictor,
    BaseRunner,
    CancelationException,
    ConcatenateIterator,
    File,
    Input,
    Path,
    Secret,
    current_scope,
    emit_metric,
)
from cog.input import FieldInfo
from cog.scope import Scope
from cog.server.encode import OutputError, encode
from cog.server.inputs import InputError, signature_of

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_public_names():
    for name in cog.__all__:
        assert hasattr(cog, name), name
    assert cog.__version__.startswith("0.")
    assert issubclass(cog.ExperimentalFeatureWarning, Warning)
    from cog.server.exceptions import CancelationException as from_server

    assert from_server is CancelationException
    assert issubclass(CancelationException, BaseException)
    assert not issubclass(CancelationException, Exception)


def test_input_keeps_its_default_and_options():
    required = Input(description="needed")
    assert isinstance(required, FieldInfo) and required.required and required.default is ...
    optional = Input(default=3, ge=1, le=5, description="n", deprecated=True)
    assert not optional.required and optional.default == 3
    assert (optional.ge, optional.le, optional.description, optional.deprecated) == (1, 5, "n", True)
    assert Input(default=None).default is None and not Input(default=None).required
    assert Input(choices=("a", "b"), regex="^a", min_length=1, max_length=2).choices == ["a", "b"]


def test_path_is_a_posix_path():
    path = Path("/tmp") / "x.txt"
    assert isinstance(path, Path) and isinstance(path, pathlib.PosixPath)
    assert str(path) == "/tmp/x.txt"
    assert type(path.with_suffix(".png")) is Path


def test_secret_is_masked():
    secret = Secret("hunter2")
    assert str(secret) == repr(secret) == "**********"
    assert f"{secret}" == "**********"
    assert secret.get_secret_value() == "hunter2"
    assert secret == Secret("hunter2") and secret != Secret("other")
    assert str(Secret("")) == "" and Secret().get_secret_value() is None


def test_iterator_aliases_are_generic():
    hint = ConcatenateIterator[str]
    assert typing.get_origin(hint) is ConcatenateIterator and typing.get_args(hint) == (str,)
    assert typing.get_args(AsyncConcatenateIterator[str]) == (str,)

    def tokens() -> ConcatenateIterator[str]:
        yield "a"

    assert typing.get_type_hints(tokens)["return"] == ConcatenateIterator[str]


def test_base_model_subclasses_are_keyword_dataclasses():
    class Output(BaseModel):
        image: Optional[Path] = None
        text: str  # pydantic allowed a required field after a default: still fine
        tags: List[str] = []

    out = Output(text="hi")
    assert dataclasses.is_dataclass(out)
    assert (out.image, out.text, out.tags) == (None, "hi", [])
    assert Output(text="x").tags is not out.tags  # a literal list default is per instance
    with pytest.raises(TypeError):
        Output("positional")  # type: ignore[misc]
    assert out.model_dump() == {"image": None, "text": "hi", "tags": []}

    class TrainingOutput(BaseModel):
        weights: Path

    class Extended(TrainingOutput):
        notes: str = ""

    assert [f.name for f in dataclasses.fields(Extended)] == ["weights", "notes"]
    assert Extended(weights=Path("/w")).weights == Path("/w")


def test_scope_outside_a_prediction_is_inert():
    scope = current_scope()
    assert scope.context == {}
    scope.record_metric("anything", 1)  # no-op, no error
    scope.metrics["x"] = 2
    with pytest.warns(DeprecationWarning):
        emit_metric("legacy", 1)

    class Predictor(BasePredictor):
        def predict(self) -> str:
            return "x"

    predictor = Predictor()
    predictor.record_metric("k", 1, mode="incr")
    assert isinstance(predictor.scope, Scope)
    predictor.scope = "mine"  # a predictor may use the name for its own attribute
    assert predictor.scope == "mine"


def test_scope_validates_metrics():
    sent = []
    scope = Scope({"a": "b"}, sink=lambda *args: sent.append(args))
    scope.record_metric("n", 1)
    scope.record_metric("n", 2, mode="increment")
    scope.metrics.record("l", 0.5, mode="append")
    del scope.metrics["n"]
    with pytest.warns(UserWarning):
        scope.record_metric("predict_time", 3.0)
    assert sent == [("n", 1, "replace"), ("n", 2, "incr"), ("l", 0.5, "append"), ("n", None, "replace")]
    for bad in [("", 1), (3, 1)]:
        with pytest.raises(ValueError):
            scope.record_metric(*bad)
    with pytest.raises(ValueError):
        scope.record_metric("n", 1, mode="sum")
    with pytest.raises(ValueError):
        scope.record_metric("n", float("inf"))
    with pytest.raises(TypeError):
        scope.record_metric("n", "text", mode="append")
    with pytest.raises(TypeError):
        scope.record_metric("n", object())


def test_base_runner_has_run():
    class Runner(BaseRunner):
        def run(self, n: int = 1) -> int:
            return n

    assert isinstance(Runner(), BasePredictor)
    assert Runner().run(n=2) == 2


# -- encode -----------------------------------------------------------------------------------


class Mood(enum.Enum):
    HAPPY = "happy"


def test_encode_values(tmp_path):
    @dataclasses.dataclass
    class Inner:
        when: object
        mood: Mood

    class Out(BaseModel):
        path: Path
        inner: Inner
        pair: tuple = (1, 2)

    value = Out(path=Path("rel.txt"), inner=Inner(when=__import__("datetime").date(2024, 5, 6), mood=Mood.HAPPY))
    assert encode(value) == {
        "path": os.path.join(os.getcwd(), "rel.txt"),
        "inner": {"when": "2024-05-06", "mood": "happy"},
        "pair": [1, 2],
    }
    assert encode({Mood.HAPPY: 1, 2: [pathlib.PurePosixPath("/a")]}) == {"happy": 1, "2": ["/a"]}
    assert encode(b"text") == "text"
    saved = encode(io.StringIO("some text"))
    assert os.path.basename(saved) == "output" and open(saved).read() == "some text"


@pytest.mark.parametrize("value", [float("inf"), object(), b"\xff", {(1, 2): 3}, [lambda: 1]])
def test_encode_rejects_non_json(value):
    with pytest.raises(OutputError):
        encode(value)


# -- input conversion -------------------------------------------------------------------------


def test_signature_converts_by_type_hint(tmp_path):
    (tmp_path / "f").write_bytes(b"data")

    def predict(
        p: Path,
        f: File,
        s: Secret,
        ps: Optional[list[Path]] = None,
        n: float = Input(default=1),
        o: Optional[str] = Input(),
        extra: dict = Input(default={"k": 1}),
        **kwargs,
    ) -> Iterator[str]:
        yield ""

    plan = signature_of(predict)
    opened: list = []
    args = plan.arguments({"p": "/x", "f": str(tmp_path / "f"), "s": "pw", "ps": ["/a", "/b"], "n": 2, "more": True}, opened)
    assert args["p"] == Path("/x") and type(args["p"]) is Path
    assert args["f"].read() == b"data" and opened == [args["f"]]
    assert isinstance(args["s"], Secret) and args["s"].get_secret_value() == "pw"
    assert args["ps"] == [Path("/a"), Path("/b")] and all(type(p) is Path for p in args["ps"])
    assert args["n"] == 2.0 and type(args["n"]) is float
    assert args["o"] is None and args["extra"] == {"k": 1} and args["more"] is True
    args["f"].close()
    with pytest.raises(InputError):
        plan.arguments({}, [])


# -- stdlib only ------------------------------------------------------------------------------


def test_cog_imports_only_the_standard_library():
    """Every import statement in python/cog names a stdlib module (or cog itself)."""
    allowed = set(sys.stdlib_module_names) | {"cog"}
    offenders = []
    for folder, _, files in os.walk(os.path.join(PYTHON_DIR, "cog")):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            for node in ast.walk(ast.parse(open(path).read(), path)):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    modules = [node.module or ""]
                else:
                    continue
                offenders += [f"{path}: {m}" for m in modules if m.split(".")[0] not in allowed]
    assert offenders == []


def test_importing_cog_and_the_worker_loads_only_the_standard_library():
    code = (
        "import sys, sysconfig, os\n"
        "before = set(sys.modules)\n"
        "import cog, cog.server.worker, cog.server.logs\n"
        "stdlib = {os.path.realpath(sysconfig.get_paths()[k]) for k in ('stdlib', 'platstdlib')}\n"
        "for name in sorted(set(sys.modules) - before):\n"
        "    f = getattr(sys.modules[name], '__file__', None)\n"
        "    if f and not name.startswith('cog') and not any(os.path.realpath(f).startswith(s) for s in stdlib):\n"
        "        print(name, f)\n"
    )
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    out = subprocess.run([sys.executable, "-S", "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout == ""


def test_newer_cog_decorators_are_accepted():
    import cog

    @cog.streaming
    def run() -> str:
        return "x"

    @cog.concurrent(max=4)
    async def predict() -> str:
        return "y"

    assert run() == "x" and run.__cog_streaming__ is True
    assert predict.__cog_concurrent_max__ == 4
    import pytest

    with pytest.raises(ValueError):
        cog.concurrent(max=0)
