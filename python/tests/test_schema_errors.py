"""cog.schema: what authors are told when a predictor cannot be described, and the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.path.dirname(HERE)
FIXTURES = os.path.join(HERE, "schema_fixtures")


if PYTHON not in sys.path:
    sys.path.insert(0, PYTHON)

from cog import schema  # noqa: E402 - after the path is set

openapi_schema = schema.openapi_schema
SchemaError = schema.SchemaError


def error_of(tmp_path, source: str, ref: str = "predict.py:Predictor", mode: str = "predict") -> str:
    with open(os.path.join(str(tmp_path), ref.split(":")[0]), "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(source).lstrip("\n"))
    with pytest.raises(SchemaError) as info:
        openapi_schema(str(tmp_path), ref, mode)
    return str(info.value)


def with_param(param: str, header: str = "", returns: str = "-> str") -> str:
    # The parameter is always on line 6 of the file.
    return (
        "from typing import Any, Iterator, List, Literal, Optional, Union\n"
        f"from cog import BasePredictor, BaseModel, Input, Path, Secret{header}\n"
        "\n"
        "class Predictor(BasePredictor):\n"
        "    def predict(self,\n"
        f"            {param},\n"
        f"    ) {returns}:\n"
        "        ...\n"
    )


# ---------------------------------------------------------------------------------------------
# Finding the predictor
# ---------------------------------------------------------------------------------------------


def test_missing_project_folder(tmp_path):
    with pytest.raises(SchemaError, match="no such folder"):
        openapi_schema(str(tmp_path / "nope"), "predict.py:Predictor")


def test_missing_file(tmp_path):
    with pytest.raises(SchemaError) as info:
        openapi_schema(str(tmp_path), "predict.py:Predictor")
    assert str(info.value) == f"predict.py: file not found in {tmp_path}"


def test_missing_class(tmp_path):
    message = error_of(tmp_path, "class Other:\n    pass\n")
    assert message == "predict.py: 'Predictor' is not defined; expected a predictor class or function named 'Predictor'"


def test_name_that_is_not_a_class_or_function(tmp_path):
    assert "'Predictor' is not a class or function" in error_of(tmp_path, "Predictor = 3\n")


def test_no_default_class(tmp_path):
    message = error_of(tmp_path, "class Other:\n    pass\n", ref="predict.py")
    assert message.startswith("predict.py: no class named 'Runner' or 'Predictor'")


def test_class_without_predict(tmp_path):
    message = error_of(tmp_path, "class Predictor:\n    def setup(self):\n        pass\n")
    assert message == "predict.py:1: class Predictor has no run() or predict() method"


def test_class_without_train(tmp_path):
    message = error_of(tmp_path, "class Trainer:\n    def predict(self) -> str:\n        ...\n", ref="train.py:Trainer", mode="train")
    assert message == "train.py:1: class Trainer has no train() method"


def test_both_run_and_predict(tmp_path):
    source = "class Predictor:\n    def predict(self) -> str: ...\n    def run(self) -> str: ...\n"
    assert error_of(tmp_path, source) == "predict.py:3: Predictor defines both predict and run; keep one"


def test_syntax_error(tmp_path):
    assert error_of(tmp_path, "class Predictor:\n    def predict(self) -> str\n").startswith("predict.py:2: syntax error:")


def test_unknown_mode(tmp_path):
    with pytest.raises(SchemaError, match="unknown mode"):
        openapi_schema(str(tmp_path), "predict.py", "serve")


# ---------------------------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------------------------


def test_no_return_annotation(tmp_path):
    message = error_of(tmp_path, with_param("x: str", returns=""))
    assert message == "predict.py:5: Predictor.predict has no return annotation; add one, e.g. '-> str'"


def test_function_without_return_annotation(tmp_path):
    message = error_of(tmp_path, "def run(x: str):\n    return x\n", ref="predict.py:run")
    assert message == "predict.py:1: run has no return annotation; add one, e.g. '-> str'"


def test_parameter_without_annotation(tmp_path):
    message = error_of(tmp_path, with_param("steps=4"))
    assert message == "predict.py:6: parameter 'steps' of Predictor.predict has no type annotation; add one, e.g. 'steps: str'"


def test_positional_only_parameter(tmp_path):
    message = error_of(tmp_path, with_param("x: str, /"))
    assert message == "predict.py:6: parameter 'x' of Predictor.predict is positional-only; inputs are passed by name, remove the '/'"


def test_self_alone_may_be_positional_only(tmp_path):
    (tmp_path / "predict.py").write_text("class Predictor:\n    def predict(self, /, x: str) -> str: ...\n")
    doc = openapi_schema(str(tmp_path), "predict.py:Predictor")
    assert list(doc["components"]["schemas"]["Input"]["properties"]) == ["x"]


def test_star_args(tmp_path):
    message = error_of(tmp_path, with_param("*images: Path"))
    assert message == "predict.py:6: Predictor.predict takes *images; inputs must be named parameters"


def test_star_star_kwargs(tmp_path):
    message = error_of(tmp_path, with_param("**extra: Any"))
    assert message == "predict.py:6: Predictor.predict takes **extra; inputs must be named parameters"


def test_method_without_self(tmp_path):
    message = error_of(tmp_path, "class Predictor:\n    def predict() -> str: ...\n")
    assert message == "predict.py:2: Predictor.predict must take self as its first parameter"


# ---------------------------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "header", "says"),
    [
        ("x: torch.Tensor", "\nimport torch", "unsupported type 'torch.Tensor'"),
        ("x: np.ndarray", "\nimport numpy as np", "unsupported type 'np.ndarray'"),
        ("x: Image", "\nfrom PIL import Image", "unsupported type 'Image'"),
        ("x: Undefined", "", "unsupported type 'Undefined' (the name is not defined or imported)"),
        ("x: pathlib.Path", "\nimport pathlib", "unsupported type 'pathlib.Path': use cog.Path for files"),
        ("x: Iterator[str]", "", "unsupported input type 'Iterator[str]'"),
        ("x: List[List[str]]", "", "unsupported list item type in 'List[List[str]]'"),
        ("x: Union[str, Path]", "", "unsupported member 'Path' in the union 'Union[str, Path]'"),
        ("x: Literal['a', 1]", "", "Literal values must be all strings or all integers in 'Literal['a', 1]'"),
        ("x: Iterator", "", "'Iterator' needs an item type, e.g. Iterator[str]"),
        ("x: Helper", "\nclass Helper: pass", "unsupported type 'Helper': the class is not a BaseModel subclass"),
        ("x: Thing", "\nclass Thing(BaseModel): pass", "unsupported input type 'Thing'"),
        ("x: 'List[str'", "", "cannot parse the string annotation 'List[str'"),
    ],
)
def test_unsupported_input_types_are_named(tmp_path, param, header, says):
    message = error_of(tmp_path, with_param(param, header=header))
    assert message.startswith("predict.py:"), message
    assert "parameter 'x' of Predictor.predict: " in message, message
    assert says in message, message


def test_unsupported_input_type_names_its_line(tmp_path):
    message = error_of(tmp_path, with_param("x: torch.Tensor", returns="-> str").replace("from cog", "import torch\nfrom cog"))
    assert message == "predict.py:7: parameter 'x' of Predictor.predict: unsupported type 'torch.Tensor'"


@pytest.mark.parametrize(
    ("returns", "says"),
    [
        ("-> torch.Tensor", "return type of Predictor.predict: unsupported type 'torch.Tensor'"),
        ("-> None", "return type of Predictor.predict: None is not a supported output type; return a value"),
        ("-> Secret", "return type of Predictor.predict: unsupported output type 'Secret'"),
        ("-> List[Iterator[str]]", "an iterator can only be the whole output"),
        ("-> 'ConcatenateIterator[int]'", "a ConcatenateIterator yields strings only"),
    ],
)
def test_unsupported_output_types_are_named(tmp_path, returns, says):
    source = "import torch\nfrom typing import Iterator, List\nfrom cog import ConcatenateIterator, Secret\n\nclass Predictor:\n    def predict(self) " + returns + ": ...\n"
    message = error_of(tmp_path, source)
    assert message.startswith("predict.py:6: "), message
    assert says in message, message


def test_bad_field_in_an_output_model_names_the_field(tmp_path):
    source = """
        from cog import BaseModel

        class Output(BaseModel):
            ok: str
            tensor: "torch.Tensor"

        class Predictor:
            def predict(self) -> Output: ...
    """
    assert error_of(tmp_path, source) == "predict.py:5: field 'tensor' of Output: unsupported type 'torch.Tensor' (the name is not defined or imported)"


# ---------------------------------------------------------------------------------------------
# Input() arguments
# ---------------------------------------------------------------------------------------------


def test_default_that_is_a_call(tmp_path):
    message = error_of(tmp_path, with_param("seed: int = Input(default=some_call())"))
    assert message == (
        "predict.py:6: parameter 'seed' of Predictor.predict: Input(default=some_call()) is not a literal value; "
        "the schema is read without running the code, so write the value itself"
    )


@pytest.mark.parametrize(
    ("param", "says"),
    [
        ("x: str = os.environ['X']", "the default os.environ['X'] is not a literal value"),
        ("x: str = Input(description=DESCRIPTIONS['x'])", "Input(description=DESCRIPTIONS['x']) is not a literal value"),
        ("x: int = Input(ge=1 + 1)", "Input(ge=1 + 1) is not a literal value"),
        ("x: str = Input(choices=list(MODES))", "Input(choices=list(MODES)) is not a literal value"),
        ("x: list = Input(default_factory=list)", "Input(default_factory=...) is not supported; use a literal default"),
        ("x: str = Input(placeholder='hi')", "unknown Input() option 'placeholder'"),
        ("x: str = Input('a', 'b')", "Input() takes only the default positionally"),
        ("x: str = Input(**opts)", "Input(**...) is not supported"),
    ],
)
def test_input_arguments_must_be_literals(tmp_path, param, says):
    message = error_of(tmp_path, with_param(param))
    assert message.startswith("predict.py:6: parameter 'x' of Predictor.predict: "), message
    assert says in message, message


@pytest.mark.parametrize(
    ("param", "says"),
    [
        ("x: float = Input(choices=[0.5, 1.0])", "choices can only be used with str or int inputs, not 'float'"),
        ("x: bool = Input(choices=[True])", "choices can only be used with str or int inputs, not 'bool'"),
        ("x: list[str] = Input(choices=['a'])", "choices can only be used with str or int inputs, not 'list[str]'"),
        ("x: Path = Input(choices=['a'])", "choices can only be used with str or int inputs, not 'Path'"),
        ("x: str = Input(choices=['a', 1])", "choices must be a non-empty list of str values"),
        ("x: int = Input(choices=[])", "choices must be a non-empty list of int values"),
        ("x: Literal['a'] = Input(choices=['a'])", "use either Literal[...] or choices=, not both"),
        ("x: str = Input(ge=1)", "ge= applies to int and float inputs only"),
        ("x: int = Input(min_length=1)", "min_length= applies to str inputs only"),
        ("x: int = Input(le='9')", "le= must be a number"),
        ("x: str = Input(regex=3)", "regex= must be a string"),
        ("x: str = Input(accept='image/*')", "accept= applies to Path and File inputs only"),
        ("x: str = Input(description=3)", "description= must be a string"),
    ],
)
def test_options_that_do_not_fit_the_type(tmp_path, param, says):
    message = error_of(tmp_path, with_param(param))
    assert message.startswith("predict.py:6: parameter 'x' of Predictor.predict: "), message
    assert says in message, message


def test_choices_input_named_like_an_envelope_component(tmp_path):
    message = error_of(tmp_path, with_param("Status: str = Input(choices=['a'])"))
    assert "the name 'Status' clashes with a schema component" in message


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": PYTHON + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "cog.schema", *args], capture_output=True, text=True, env=env, cwd=str(HERE), timeout=60)


def test_cli_prints_the_document():
    folder = os.path.join(FIXTURES, "worked_example")
    result = run_cli(folder, "predict.py:Predictor")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith('{\n  "openapi": "3.0.2",\n')
    assert json.loads(result.stdout) == openapi_schema(folder, "predict.py:Predictor")
    assert '"maximum": 50.0' in result.stdout


def test_cli_train_mode():
    result = run_cli("--train", os.path.join(FIXTURES, "trainer"), "train.py:train")
    assert result.returncode == 0, result.stderr
    assert "/trainings" in json.loads(result.stdout)["paths"]


def test_cli_reports_errors_on_stderr(tmp_path):
    (tmp_path / "predict.py").write_text("class Predictor:\n    def predict(self, x):\n        return x\n")
    result = run_cli(str(tmp_path), "predict.py:Predictor")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "error: predict.py:2: parameter 'x' of Predictor.predict has no type annotation; add one, e.g. 'x: str'\n"


def test_cli_usage():
    result = run_cli("only-one-argument")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_non_finite_numbers_are_not_literals(tmp_path):
    assert "Input(default=1e999) is not a literal value" in error_of(tmp_path, with_param("x: float = Input(default=1e999)"))


def test_an_output_model_that_contains_itself_inline(tmp_path):
    source = """
        from typing import List
        from cog import BaseModel

        class Output(BaseModel):
            children: List["Output"]

        class Predictor:
            def predict(self) -> Output: ...
    """
    message = error_of(tmp_path, source)
    assert message.startswith("predict.py:4: ")
    assert "the model Output contains itself" in message


def test_file_that_is_not_utf8(tmp_path):
    (tmp_path / "predict.py").write_bytes(b"# \xff\xfe\nclass Predictor: pass\n")
    with pytest.raises(SchemaError, match="predict.py: the file is not UTF-8 text"):
        openapi_schema(str(tmp_path), "predict.py:Predictor")


def test_a_broken_sibling_file_is_reported_when_needed(tmp_path):
    (tmp_path / "types_out.py").write_text("class Result(:\n")
    (tmp_path / "predict.py").write_text("from types_out import Result\n\nclass Predictor:\n    def predict(self) -> Result: ...\n")
    with pytest.raises(SchemaError, match=r"^types_out.py:1: syntax error"):
        openapi_schema(str(tmp_path), "predict.py:Predictor")


def test_a_name_the_sibling_file_does_not_define(tmp_path):
    (tmp_path / "shapes.py").write_text("class Other: pass\n")
    (tmp_path / "predict.py").write_text("from shapes import Result\n\nclass Predictor:\n    def predict(self) -> Result: ...\n")
    with pytest.raises(SchemaError) as info:
        openapi_schema(str(tmp_path), "predict.py:Predictor")
    assert str(info.value) == "predict.py:4: return type of Predictor.predict: unsupported type 'Result': shapes.py defines no 'Result'"
