"""The static OpenAPI schema of Python predictors (cog.schema): documents, inputs and outputs."""

from __future__ import annotations

import json
import os
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.path.dirname(HERE)
REPO = os.path.dirname(PYTHON)
FIXTURES = os.path.join(HERE, "schema_fixtures")
GOLDEN = os.path.join(REPO, "packages", "runtime", "test", "golden", "worked-example.components.json")


if PYTHON not in sys.path:
    sys.path.insert(0, PYTHON)

from cog import schema  # noqa: E402 - after the path is set

openapi_schema = schema.openapi_schema
SchemaError = schema.SchemaError


def dumps(value) -> str:
    """JSON text: equal texts mean equal values, key order and float-ness (50.0 vs 50) included."""
    return json.dumps(value)


def write(folder, files: dict[str, str]) -> str:
    for name, text in files.items():
        path = os.path.join(str(folder), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(text).lstrip("\n"))
    return str(folder)


def doc_of(tmp_path, source: str, ref: str = "predict.py:Predictor", mode: str = "predict", extra: dict | None = None) -> dict:
    name = ref.split(":")[0]
    write(tmp_path, {name: source, **(extra or {})})
    return openapi_schema(str(tmp_path), ref, mode)


def components(tmp_path, source: str, **kwargs) -> dict:
    return doc_of(tmp_path, source, **kwargs)["components"]["schemas"]


def predictor(params: str, returns: str = "str", header: str = "") -> str:
    """A predictor source with the given parameter list (one per line) and return annotation."""
    lines = "".join(f"        {p.strip()},\n" for p in params.strip().splitlines() if p.strip())
    return (
        "from typing import Any, AsyncIterator, Dict, Iterator, List, Literal, Optional, Union\n"
        "from cog import BasePredictor, Input, Path, File, Secret\n"
        f"{textwrap.dedent(header)}\n"
        "class Predictor(BasePredictor):\n"
        "    def predict(\n"
        "        self,\n"
        f"{lines}"
        f"    ) -> {returns}:\n"
        "        raise NotImplementedError\n"
    )


def input_of(tmp_path, params: str, header: str = "") -> dict:
    return components(tmp_path, predictor(params, header=header))["Input"]


def prop(tmp_path, param: str, header: str = "") -> dict:
    inp = input_of(tmp_path, param, header)
    return next(iter(inp["properties"].values()))


def output_of(tmp_path, returns: str, header: str = "") -> dict:
    return components(tmp_path, predictor("", returns=returns, header=header))["Output"]


# ---------------------------------------------------------------------------------------------
# The whole document
# ---------------------------------------------------------------------------------------------


def test_worked_example_components_match_the_golden_file_key_order_included():
    doc = openapi_schema(os.path.join(FIXTURES, "worked_example"), "predict.py:Predictor")
    with open(GOLDEN, encoding="utf-8") as f:
        golden = json.load(f)
    schemas = doc["components"]["schemas"]
    for name, expected in golden.items():
        assert dumps(schemas[name]) == dumps(expected), name
    assert list(schemas) == [
        "Input",
        "Output",
        "mode",
        "Status",
        "WebhookEvent",
        "PredictionRequest",
        "PredictionResponse",
        "HTTPValidationError",
        "ValidationError",
    ]
    assert schemas["Input"]["properties"]["steps"]["maximum"] == 50.0
    assert isinstance(schemas["Input"]["properties"]["steps"]["maximum"], float)


def test_document_envelope_is_the_classic_servers():
    doc = openapi_schema(os.path.join(FIXTURES, "worked_example"), "predict.py:Predictor")
    assert list(doc) == ["openapi", "info", "paths", "components"]
    assert doc["openapi"] == "3.0.2"
    assert doc["info"] == {"title": "Cog", "version": "0.1.0"}
    assert list(doc["paths"]) == [
        "/",
        "/health-check",
        "/predictions",
        "/predictions/{prediction_id}",
        "/predictions/{prediction_id}/cancel",
        "/shutdown",
    ]
    post = doc["paths"]["/predictions"]["post"]
    assert list(post) == ["summary", "description", "operationId", "parameters", "requestBody", "responses"]
    assert post["parameters"] == [{"in": "header", "name": "prefer", "required": False, "schema": {"title": "Prefer", "type": "string"}}]
    assert post["requestBody"] == {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictionRequest"}}}}
    assert list(post["responses"]) == ["200", "422"]
    put = doc["paths"]["/predictions/{prediction_id}"]["put"]
    assert put["parameters"][0] == {
        "in": "path",
        "name": "prediction_id",
        "required": True,
        "schema": {"title": "Prediction ID", "type": "string"},
    }
    cancel = doc["paths"]["/predictions/{prediction_id}/cancel"]["post"]
    assert cancel["responses"]["200"]["content"]["application/json"]["schema"] == {
        "title": "Response Cancel Predictions  Prediction Id  Cancel Post"
    }
    validation = doc["components"]["schemas"]["ValidationError"]
    assert dumps(validation) == dumps(
        {
            "title": "ValidationError",
            "required": ["loc", "msg", "type"],
            "type": "object",
            "properties": {
                "loc": {"title": "Location", "type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                "msg": {"title": "Message", "type": "string"},
                "type": {"title": "Error Type", "type": "string"},
            },
        }
    )


def test_documents_do_not_share_mutable_parts(tmp_path):
    one = doc_of(tmp_path, predictor("x: str"))
    one["components"]["schemas"]["Status"]["enum"].append("bogus")
    one["paths"]["/"]["get"]["summary"] = "changed"
    two = doc_of(tmp_path, predictor("x: str"))
    assert "bogus" not in two["components"]["schemas"]["Status"]["enum"]
    assert two["paths"]["/"]["get"]["summary"] == "Root"


def test_a_predictor_whose_packages_are_not_installed_still_gets_its_schema():
    doc = openapi_schema(os.path.join(FIXTURES, "heavy_imports"), "predict.py:Predictor")
    inp = doc["components"]["schemas"]["Input"]
    assert list(inp["properties"]) == ["prompt", "scale"]
    assert inp["properties"]["scale"]["minimum"] == 1.0
    assert doc["components"]["schemas"]["Output"] == {"title": "Output", "type": "string", "format": "uri"}
    assert "torch" not in sys.modules and "diffusers" not in sys.modules


# ---------------------------------------------------------------------------------------------
# Input types
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "keys"),
    [
        ("str", {"type": "string"}),
        ("int", {"type": "integer"}),
        ("float", {"type": "number"}),
        ("bool", {"type": "boolean"}),
        ("Path", {"type": "string", "format": "uri"}),
        ("File", {"type": "string", "format": "uri"}),
        ("dict", {"type": "object"}),
        ("Dict[str, Any]", {"type": "object"}),
        ("dict[str, Any]", {"type": "object"}),
        ("Any", {}),
    ],
)
def test_plain_input_types(tmp_path, annotation, keys):
    inp = input_of(tmp_path, f"value: {annotation}")
    assert dumps(inp) == dumps(
        {"title": "Input", "type": "object", "required": ["value"], "properties": {"value": {**keys, "title": "Value", "x-order": 0}}}
    )


def test_secret_input(tmp_path):
    assert dumps(prop(tmp_path, "api_key: Secret = Input(description='Key')")) == dumps(
        {
            "type": "string",
            "format": "password",
            "title": "Api Key",
            "description": "Key",
            "writeOnly": True,
            "x-cog-secret": True,
            "x-order": 0,
        }
    )


def test_optional_secret_input_is_nullable(tmp_path):
    assert dumps(prop(tmp_path, "token: Optional[Secret] = Input(default=None)")) == dumps(
        {
            "title": "Token",
            "writeOnly": True,
            "x-cog-secret": True,
            "x-order": 0,
            "type": "string",
            "format": "password",
            "nullable": True,
        }
    )


@pytest.mark.parametrize(
    "param",
    [
        "seed: Optional[int]",
        "seed: Optional[int] = None",
        "seed: Optional[int] = Input(default=None)",
        "seed: Optional[int] = Input()",
        "seed: int | None",
        "seed: None | int = None",
        "seed: Union[int, None]",
        "seed: t.Optional[int]",
        "seed: typing.Optional[int] = None",
        "seed: 'Optional[int]'",
    ],
)
def test_optional_inputs_are_nullable_not_required_and_have_no_default(tmp_path, param):
    inp = input_of(tmp_path, param, header="import typing\nimport typing as t\n")
    assert "required" not in inp
    assert dumps(inp["properties"]["seed"]) == dumps({"title": "Seed", "x-order": 0, "type": "integer", "nullable": True})


def test_optional_input_with_a_default(tmp_path):
    assert dumps(prop(tmp_path, "n: Optional[int] = Input(default=3, ge=0)")) == dumps(
        {"title": "N", "default": 3, "x-order": 0, "type": "integer", "minimum": 0.0, "nullable": True}
    )


def test_a_plain_none_default_makes_an_input_optional_without_a_default(tmp_path):
    inp = input_of(tmp_path, "n: int = None")
    assert "required" not in inp
    assert dumps(inp["properties"]["n"]) == dumps({"type": "integer", "title": "N", "x-order": 0})


@pytest.mark.parametrize(
    ("annotation", "items"),
    [
        ("List[str]", {"type": "string"}),
        ("list[int]", {"type": "integer"}),
        ("List[Path]", {"type": "string", "format": "uri"}),
        ("list[float]", {"type": "number"}),
        ("list", {}),
        ("List[Literal['a', 'b']]", {"type": "string", "enum": ["a", "b"]}),
    ],
)
def test_list_inputs(tmp_path, annotation, items):
    assert dumps(prop(tmp_path, f"xs: {annotation}")) == dumps({"items": items, "type": "array", "title": "Xs", "x-order": 0})


def test_literal_input_makes_an_enum_component_like_choices(tmp_path):
    schemas = components(tmp_path, predictor("count: Literal[1, 2, 4]\nsize: Literal['small', 'large'] = 'small'"))
    assert dumps(schemas["Input"]["properties"]) == dumps(
        {
            "count": {"x-order": 0, "allOf": [{"$ref": "#/components/schemas/count"}]},
            "size": {"default": "small", "x-order": 1, "allOf": [{"$ref": "#/components/schemas/size"}]},
        }
    )
    assert schemas["Input"]["required"] == ["count"]
    assert dumps(schemas["size"]) == dumps({"type": "string", "enum": ["small", "large"], "title": "size", "description": "An enumeration."})
    assert dumps(schemas["count"]) == dumps({"type": "integer", "enum": [1, 2, 4], "title": "count", "description": "An enumeration."})
    assert list(schemas)[:4] == ["Input", "Output", "count", "size"]


def test_optional_choices_are_nullable(tmp_path):
    assert dumps(prop(tmp_path, "style: Optional[str] = Input(choices=['a', 'b'], deprecated=True)")) == dumps(
        {"x-order": 0, "allOf": [{"$ref": "#/components/schemas/style"}], "deprecated": True, "nullable": True}
    )


def test_integer_choices(tmp_path):
    schemas = components(tmp_path, predictor("n: int = Input(choices=[1, 2, 4], default=1)"))
    assert schemas["n"] == {"type": "integer", "enum": [1, 2, 4], "title": "n", "description": "An enumeration."}
    assert dumps(schemas["Input"]) == dumps(
        {"title": "Input", "type": "object", "properties": {"n": {"default": 1, "x-order": 0, "allOf": [{"$ref": "#/components/schemas/n"}]}}}
    )


@pytest.mark.parametrize(
    ("param", "any_of", "nullable"),
    [
        ("v: Union[str, int]", [{"type": "string"}, {"type": "integer"}], False),
        ("v: str | float | bool", [{"type": "string"}, {"type": "number"}, {"type": "boolean"}], False),
        ("v: Union[dict, list[str], None]", [{"type": "object"}, {"items": {"type": "string"}, "type": "array"}], True),
    ],
)
def test_union_inputs_use_any_of(tmp_path, param, any_of, nullable):
    got = prop(tmp_path, param)
    if nullable:
        assert dumps(got) == dumps({"title": "V", "x-order": 0, "anyOf": any_of, "nullable": True})
    else:
        assert dumps(got) == dumps({"anyOf": any_of, "title": "V", "x-order": 0})


def test_string_annotations_and_postponed_annotations(tmp_path):
    source = """
        from __future__ import annotations
        from typing import Optional
        from cog import BasePredictor, Path

        class Predictor(BasePredictor):
            def predict(self, image: "Path", n: Optional["int"] = None, tags: "list[str]" = []) -> "Path":
                return image
    """
    schemas = components(tmp_path, source)
    assert dumps(schemas["Input"]["properties"]) == dumps(
        {
            "image": {"type": "string", "format": "uri", "title": "Image", "x-order": 0},
            "n": {"title": "N", "x-order": 1, "type": "integer", "nullable": True},
            "tags": {"items": {"type": "string"}, "type": "array", "title": "Tags", "default": [], "x-order": 2},
        }
    )
    assert schemas["Output"] == {"title": "Output", "type": "string", "format": "uri"}


@pytest.mark.parametrize(
    "header",
    [
        "from cog import Path as P, Input as In",
        "import cog as c\nP = c.Path\nIn = c.Input",
        "from cog.types import Path as P\nfrom cog import Input as In",
        "from cog import *\nP = Path\nIn = Input",
    ],
)
def test_names_resolve_through_the_modules_imports(tmp_path, header):
    source = f"""
{header}
import typing as t

class Predictor:
    def predict(self, image: P = In(description="x"), many: t.List[P] = In(default=[])) -> t.Iterator[P]:
        yield image
"""
    schemas = components(tmp_path, source)
    assert schemas["Input"]["properties"]["image"] == {"type": "string", "format": "uri", "title": "Image", "description": "x", "x-order": 0}
    assert schemas["Input"]["properties"]["many"]["items"] == {"type": "string", "format": "uri"}
    assert schemas["Output"]["x-cog-array-type"] == "iterator"


def test_qualified_cog_names(tmp_path):
    source = """
        import cog

        class Predictor(cog.BasePredictor):
            def predict(self, image: cog.Path = cog.Input(description="img"), key: cog.Secret = None) -> cog.File:
                return image
    """
    schemas = components(tmp_path, source)
    assert schemas["Input"]["required"] == ["image"]
    assert schemas["Input"]["properties"]["key"]["format"] == "password"
    assert schemas["Output"] == {"title": "Output", "type": "string", "format": "uri"}


# ---------------------------------------------------------------------------------------------
# Input options and defaults
# ---------------------------------------------------------------------------------------------


def test_string_options(tmp_path):
    assert dumps(prop(tmp_path, "code: str = Input(description='A code', min_length=2, max_length=8, regex='^[a-z]+$', default='ab')")) == dumps(
        {
            "type": "string",
            "maxLength": 8,
            "minLength": 2,
            "pattern": "^[a-z]+$",
            "title": "Code",
            "description": "A code",
            "default": "ab",
            "x-order": 0,
        }
    )


def test_number_bounds_are_floats(tmp_path):
    got = prop(tmp_path, "t: float = Input(ge=-1, le=2.5, default=-0.5)")
    assert dumps(got) == dumps({"type": "number", "maximum": 2.5, "minimum": -1.0, "title": "T", "default": -0.5, "x-order": 0})
    assert json.dumps(got["minimum"]) == "-1.0"


def test_deprecated(tmp_path):
    assert dumps(prop(tmp_path, "old: bool = Input(default=True, deprecated=True)")) == dumps(
        {"type": "boolean", "title": "Old", "default": True, "deprecated": True, "x-order": 0}
    )
    assert "deprecated" not in prop(tmp_path, "old: bool = Input(default=True, deprecated=False)")


def test_accept_on_files(tmp_path):
    assert dumps(prop(tmp_path, "image: Path = Input(accept='image/*,.png')")) == dumps(
        {"type": "string", "format": "uri", "title": "Image", "x-cog-accept": "image/*,.png", "x-order": 0}
    )


@pytest.mark.parametrize(
    ("param", "default"),
    [
        ("x: int = 3", 3),
        ("x: int = -3", -3),
        ("x: float = -0.25", -0.25),
        ("x: str = 'hi'", "hi"),
        ("x: list[int] = [1, -2]", [1, -2]),
        ("x: list[int] = (1, 2)", [1, 2]),
        ("x: dict = {'a': [1, None], 'b': {'c': True}}", {"a": [1, None], "b": {"c": True}}),
        ("x: int = Input(5)", 5),
        ("x: int = Input(default=DEFAULT_STEPS)", 28),
        ("x: str = Input(choices=SIZES, default=SIZES[0] if False else 'small')", None),
    ],
)
def test_defaults_are_literals(tmp_path, param, default):
    header = "DEFAULT_STEPS = 28\nSIZES = ['small', 'large']\n"
    if default is None:
        with pytest.raises(SchemaError, match="not a literal"):
            input_of(tmp_path, param, header)
        return
    inp = input_of(tmp_path, param, header)
    assert "required" not in inp
    assert dumps(inp["properties"]["x"]["default"]) == dumps(default)


def test_choices_from_a_module_constant(tmp_path):
    schemas = components(tmp_path, predictor("size: str = Input(choices=SIZES, default='small')", header="SIZES = ['small', 'large']"))
    assert schemas["size"]["enum"] == ["small", "large"]


@pytest.mark.parametrize("param", ["x: int = Input()", "x: int = Input(...)", "x: int = Input(default=...)", "x: int = Input(description='d')"])
def test_input_without_a_default_is_required(tmp_path, param):
    assert input_of(tmp_path, param)["required"] == ["x"]


def test_order_titles_and_keyword_only_parameters(tmp_path):
    source = """
        from cog import BasePredictor, Input

        class Predictor(BasePredictor):
            def predict(self, num_inference_steps: int = 4, *, image_URL: str, double__under: str = "") -> str:
                return ""
    """
    props = components(tmp_path, source)["Input"]["properties"]
    assert [(k, v["title"], v["x-order"]) for k, v in props.items()] == [
        ("num_inference_steps", "Num Inference Steps", 0),
        ("image_URL", "Image URL", 1),
        ("double__under", "Double Under", 2),
    ]


def test_a_predictor_with_no_inputs(tmp_path):
    inp = input_of(tmp_path, "")
    assert dumps(inp) == dumps({"title": "Input", "type": "object", "properties": {}})


# ---------------------------------------------------------------------------------------------
# Finding the predictor
# ---------------------------------------------------------------------------------------------


def test_function_predictor(tmp_path):
    source = """
        from cog import Input

        def run(text: str = Input(description="t")) -> str:
            return text
    """
    schemas = components(tmp_path, source, ref="predict.py:run")
    assert list(schemas["Input"]["properties"]) == ["text"]
    assert schemas["Output"] == {"title": "Output", "type": "string"}


def test_runner_with_run_method_and_default_class_names(tmp_path):
    write(
        tmp_path,
        {
            "run.py": """
                from cog import BaseRunner

                class Runner(BaseRunner):
                    async def run(self, x: int) -> int:
                        return x
            """,
            "predict.py": """
                class Predictor:
                    def predict(self, y: str) -> str:
                        return y
            """,
            "both.py": """
                class Predictor:
                    def predict(self, p: str) -> str:
                        return p

                class Runner:
                    def run(self, r: str) -> str:
                        return r
            """,
        },
    )
    assert list(openapi_schema(str(tmp_path), "run.py")["components"]["schemas"]["Input"]["properties"]) == ["x"]
    assert list(openapi_schema(str(tmp_path), "predict.py")["components"]["schemas"]["Input"]["properties"]) == ["y"]
    assert list(openapi_schema(str(tmp_path), "both.py")["components"]["schemas"]["Input"]["properties"]) == ["r"]
    assert list(openapi_schema(str(tmp_path), "both.py:Predictor")["components"]["schemas"]["Input"]["properties"]) == ["p"]


def test_predict_inherited_from_a_base_class_in_the_file(tmp_path):
    source = """
        from cog import BasePredictor

        class Base(BasePredictor):
            def predict(self, x: str) -> str:
                return x

        class Predictor(Base):
            def setup(self):
                pass
    """
    assert list(components(tmp_path, source)["Input"]["properties"]) == ["x"]


def test_predictor_class_imported_from_another_file(tmp_path):
    write(
        tmp_path,
        {
            "src/model.py": """
                from cog import BasePredictor

                class Predictor(BasePredictor):
                    def predict(self, x: str) -> str:
                        return x
            """
        },
    )
    source = "from src.model import Predictor\n"
    assert list(components(tmp_path, source)["Input"]["properties"]) == ["x"]


def test_predictor_in_a_subfolder(tmp_path):
    write(tmp_path, {"src/predict.py": predictor("x: str")})
    assert list(openapi_schema(str(tmp_path), "src/predict.py:Predictor")["components"]["schemas"]["Input"]["properties"]) == ["x"]


def test_static_predict_method_has_no_self(tmp_path):
    source = """
        class Predictor:
            @staticmethod
            def predict(x: str) -> str:
                return x
    """
    assert list(components(tmp_path, source)["Input"]["properties"]) == ["x"]


# ---------------------------------------------------------------------------------------------
# Output types
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returns", "expected"),
    [
        ("str", {"title": "Output", "type": "string"}),
        ("int", {"title": "Output", "type": "integer"}),
        ("float", {"title": "Output", "type": "number"}),
        ("bool", {"title": "Output", "type": "boolean"}),
        ("Path", {"title": "Output", "type": "string", "format": "uri"}),
        ("File", {"title": "Output", "type": "string", "format": "uri"}),
        ("Optional[str]", {"title": "Output", "type": "string", "nullable": True}),
        ("List[Path]", {"items": {"type": "string", "format": "uri"}, "type": "array", "title": "Output"}),
        ("list[list[int]]", {"items": {"items": {"type": "integer"}, "type": "array"}, "type": "array", "title": "Output"}),
        ("dict", {"title": "Output", "type": "object"}),
        ("Dict[str, Any]", {"title": "Output", "type": "object"}),
        ("dict[str, int]", {"title": "Output", "type": "object", "additionalProperties": {"type": "integer"}}),
        ("Any", {"title": "Output"}),
        ("Union[str, int]", {"title": "Output", "anyOf": [{"type": "string"}, {"type": "integer"}]}),
    ],
)
def test_plain_output_types(tmp_path, returns, expected):
    assert dumps(output_of(tmp_path, returns)) == dumps(expected)


@pytest.mark.parametrize(
    "returns",
    [
        "Iterator[str]",
        "AsyncIterator[str]",
        "typing.Generator[str, None, None]",
        "typing.AsyncGenerator[str, None]",
        "collections.abc.Iterator[str]",
    ],
)
def test_iterator_outputs(tmp_path, returns):
    got = output_of(tmp_path, returns, header="import typing\nimport collections.abc")
    assert dumps(got) == dumps({"items": {"type": "string"}, "type": "array", "title": "Output", "x-cog-array-type": "iterator"})


@pytest.mark.parametrize("returns", ["ConcatenateIterator[str]", "cog.AsyncConcatenateIterator[str]"])
def test_concatenate_iterator_outputs(tmp_path, returns):
    got = output_of(tmp_path, returns, header="import cog\nfrom cog import ConcatenateIterator")
    assert dumps(got) == dumps(
        {
            "items": {"type": "string"},
            "type": "array",
            "title": "Output",
            "x-cog-array-type": "iterator",
            "x-cog-array-display": "concatenate",
        }
    )


def test_iterator_of_files(tmp_path):
    assert dumps(output_of(tmp_path, "Iterator[Path]")) == dumps(
        {"items": {"type": "string", "format": "uri"}, "type": "array", "title": "Output", "x-cog-array-type": "iterator"}
    )


MODELS = """
from cog import BaseModel

class Output(BaseModel):
    text: str
    image: Optional[Path] = None
    paths: List[Path]
    score: float = 0.5
    _private: int = 0

class Detection(BaseModel):
    label: str
    box: list[int]
    confidence: float | None
"""


def test_a_model_named_output_is_inlined(tmp_path):
    schemas = components(tmp_path, predictor("", returns="Output", header=MODELS))
    assert dumps(schemas["Output"]) == dumps(
        {
            "properties": {
                "text": {"title": "Text", "type": "string"},
                "image": {"title": "Image", "type": "string", "format": "uri", "nullable": True},
                "paths": {"items": {"type": "string", "format": "uri"}, "type": "array", "title": "Paths"},
                "score": {"title": "Score", "type": "number", "default": 0.5},
            },
            "required": ["text", "paths"],
            "title": "Output",
            "type": "object",
        }
    )
    assert "Detection" not in schemas


def test_a_model_with_another_name_is_its_own_component(tmp_path):
    schemas = components(tmp_path, predictor("", returns="Detection", header=MODELS))
    assert dumps(schemas["Output"]) == dumps({"$ref": "#/components/schemas/Detection", "title": "Output"})
    assert dumps(schemas["Detection"]) == dumps(
        {
            "properties": {
                "label": {"title": "Label", "type": "string"},
                "box": {"items": {"type": "integer"}, "type": "array", "title": "Box"},
                "confidence": {"title": "Confidence", "type": "number", "nullable": True},
            },
            "required": ["label", "box"],
            "title": "Detection",
            "type": "object",
        }
    )
    assert list(schemas)[:3] == ["Input", "Output", "Detection"]


def test_lists_and_iterators_of_models(tmp_path):
    schemas = components(tmp_path, predictor("", returns="Iterator[Detection]", header=MODELS))
    assert dumps(schemas["Output"]) == dumps(
        {"items": {"$ref": "#/components/schemas/Detection"}, "type": "array", "title": "Output", "x-cog-array-type": "iterator"}
    )
    assert schemas["Detection"]["title"] == "Detection"


def test_pydantic_models_and_inherited_fields(tmp_path):
    header = """
        import pydantic
        from typing import ClassVar

        class Base(pydantic.BaseModel):
            a: int

        class Output(Base):
            kind: ClassVar[str] = "x"
            b: str = pydantic.Field(default="z", description="ignored")
            c: int = pydantic.Field(...)
    """
    got = components(tmp_path, predictor("", returns="Output", header=header))["Output"]
    assert dumps(got) == dumps(
        {
            "properties": {
                "a": {"title": "A", "type": "integer"},
                "b": {"title": "B", "type": "string", "default": "z"},
                "c": {"title": "C", "type": "integer"},
            },
            "required": ["a", "c"],
            "title": "Output",
            "type": "object",
        }
    )


def test_models_from_other_files_of_the_project():
    doc = openapi_schema(os.path.join(FIXTURES, "cross_file"), "predict.py:Predictor")
    schemas = doc["components"]["schemas"]
    assert dumps(schemas["Output"]) == dumps({"$ref": "#/components/schemas/Result", "title": "Output"})
    assert dumps(schemas["Result"]) == dumps(
        {
            "properties": {
                "label": {"title": "Label", "type": "string"},
                "score": {"title": "Score", "type": "number"},
                "image": {"title": "Image", "type": "string", "format": "uri", "nullable": True},
                "boxes": {"items": {"$ref": "#/components/schemas/Box"}, "type": "array", "title": "Boxes"},
                "version": {"title": "Version", "type": "integer", "default": 2},
            },
            "required": ["label", "score", "boxes"],
            "title": "Result",
            "type": "object",
        }
    )
    assert dumps(schemas["Box"]) == dumps(
        {
            "properties": {
                "x": {"title": "X", "type": "integer"},
                "y": {"title": "Y", "type": "integer"},
                "w": {"title": "W", "type": "integer", "default": 0},
            },
            "required": ["x", "y"],
            "title": "Box",
            "type": "object",
        }
    )
    assert list(schemas)[:4] == ["Input", "Output", "Result", "Box"]
    boxes = openapi_schema(os.path.join(FIXTURES, "cross_file"), "predict.py:BoxPredictor")["components"]["schemas"]
    assert boxes["Output"] == {"items": {"$ref": "#/components/schemas/Box"}, "type": "array", "title": "Output"}


def test_relative_import_of_a_model(tmp_path):
    write(
        tmp_path,
        {
            "types.py": """
                from cog import BaseModel

                class Output(BaseModel):
                    n: int
            """
        },
    )
    source = """
        from . import types
        from .types import Output as Out

        class Predictor:
            def predict(self) -> Out:
                ...

        class Other:
            def predict(self) -> types.Output:
                ...
    """
    schemas = components(tmp_path, source)
    assert schemas["Output"] == {"properties": {"n": {"title": "N", "type": "integer"}}, "required": ["n"], "title": "Output", "type": "object"}
    assert components(tmp_path, source, ref="predict.py:Other")["Output"] == schemas["Output"]


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


def test_training_schema():
    doc = openapi_schema(os.path.join(FIXTURES, "trainer"), "train.py:train", mode="train")
    assert list(doc["paths"]) == ["/", "/health-check", "/trainings", "/trainings/{training_id}", "/trainings/{training_id}/cancel", "/shutdown"]
    schemas = doc["components"]["schemas"]
    assert list(schemas) == [
        "TrainingInput",
        "TrainingOutput",
        "schedule",
        "Status",
        "WebhookEvent",
        "TrainingRequest",
        "TrainingResponse",
        "HTTPValidationError",
        "ValidationError",
    ]
    assert dumps(schemas["TrainingInput"]) == dumps(
        {
            "title": "TrainingInput",
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {"type": "string", "format": "uri", "title": "Data", "description": "Training data", "x-order": 0},
                "epochs": {"type": "integer", "minimum": 1.0, "title": "Epochs", "default": 3, "x-order": 1},
                "schedule": {"default": "linear", "x-order": 2, "allOf": [{"$ref": "#/components/schemas/schedule"}]},
            },
        }
    )
    assert dumps(schemas["TrainingOutput"]) == dumps(
        {"properties": {"weights": {"title": "Weights", "type": "string", "format": "uri"}}, "required": ["weights"], "title": "TrainingOutput", "type": "object"}
    )
    assert schemas["TrainingRequest"]["title"] == "TrainingRequest"
    assert schemas["TrainingRequest"]["properties"]["input"] == {"$ref": "#/components/schemas/TrainingInput", "nullable": True}
    assert schemas["TrainingResponse"]["properties"]["output"] == {"$ref": "#/components/schemas/TrainingOutput"}
    post = doc["paths"]["/trainings"]["post"]
    assert post["operationId"] == "train_trainings_post"
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/TrainingRequest"}
    assert doc["paths"]["/trainings/{training_id}"]["put"]["parameters"][0]["schema"] == {"title": "Training ID", "type": "string"}


def test_training_class_and_scalar_output(tmp_path):
    source = """
        from cog import Path

        class Trainer:
            def setup(self):
                pass

            def train(self, steps: int = 10) -> Path:
                ...
    """
    schemas = components(tmp_path, source, ref="train.py", mode="train")
    assert schemas["TrainingOutput"] == {"title": "TrainingOutput", "type": "string", "format": "uri"}
    assert list(schemas["TrainingInput"]["properties"]) == ["steps"]


# ---------------------------------------------------------------------------------------------
# Values the source alone decides
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choices", "enum"),
    [
        ("SCHEDULERS.keys()", ["DDIM", "Karras"]),
        ("list(SCHEDULERS)", ["DDIM", "Karras"]),
        ("sorted(['b', 'a'])", ["a", "b"]),
        ("tuple(NAMES)", ["x", "y"]),
        ("ALIAS", ["x", "y"]),
    ],
)
def test_choices_from_module_level_names(tmp_path, choices, enum):
    header = """
        from diffusers import DDIMScheduler
        SCHEDULERS = {"DDIM": DDIMScheduler, "Karras": object()}
        NAMES = ("x", "y")
        ALIAS = NAMES
    """
    schemas = components(tmp_path, predictor(f"s: str = Input(choices={choices})", header=header))
    assert schemas["s"]["enum"] == enum


def test_self_referencing_models_become_components(tmp_path):
    header = """
        from cog import BaseModel

        class Node(BaseModel):
            name: str
            children: List["Node"] = []
    """
    schemas = components(tmp_path, predictor("", returns="Node", header=header))
    assert schemas["Output"] == {"$ref": "#/components/schemas/Node", "title": "Output"}
    assert schemas["Node"]["properties"]["children"] == {
        "items": {"$ref": "#/components/schemas/Node"},
        "type": "array",
        "title": "Children",
        "default": [],
    }
    assert schemas["Node"]["required"] == ["name"]


def test_type_aliases(tmp_path):
    header = """
        Files = List[Path]
        MaybeText = Optional[str]
    """
    schemas = components(tmp_path, predictor("files: Files\nnote: MaybeText = None", returns="Files", header=header))
    assert schemas["Input"]["properties"]["files"]["items"] == {"type": "string", "format": "uri"}
    assert schemas["Input"]["properties"]["note"]["nullable"] is True
    assert schemas["Output"]["items"] == {"type": "string", "format": "uri"}


def test_dotted_imports_of_project_modules(tmp_path):
    write(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/outputs.py": "from cog import BaseModel\n\nclass Result(BaseModel):\n    n: int\n",
            "ns/shapes.py": "from cog import BaseModel\n\nclass Shape(BaseModel):\n    sides: int\n",
        },
    )
    source = """
        import lib
        import lib.outputs
        import ns.shapes
        import lib.outputs as lo

        class Predictor:
            def predict(self) -> lib.outputs.Result: ...

        class Shapes:
            def predict(self) -> list[ns.shapes.Shape]: ...

        class Aliased:
            def predict(self) -> lo.Result: ...
    """
    assert components(tmp_path, source)["Result"]["properties"] == {"n": {"title": "N", "type": "integer"}}
    assert components(tmp_path, source, ref="predict.py:Shapes")["Shape"]["required"] == ["sides"]
    assert components(tmp_path, source, ref="predict.py:Aliased")["Output"] == {"$ref": "#/components/schemas/Result", "title": "Output"}
