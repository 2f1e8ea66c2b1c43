"""The components of a document that the predictor decides, for :mod:`cog.schema`: the Input (or
TrainingInput) object and the enums of inputs with choices, the Output (or TrainingOutput) schema,
and a component for each BaseModel the output refers to. Every message names the file and line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ._schema_envelope import _component_names
from ._schema_source import SchemaError, _Module, _NotLiteral, _Project, _literal
from ._schema_types import _Type, _TypeProblem, _Types


def _source(module: _Module, node: ast.AST) -> str:
    """An expression as the author wrote it (on one line), for messages."""
    segment = ast.get_source_segment(module.text, node) if module.text else None
    return " ".join(segment.split()) if segment else ast.unparse(node)


def _humanize(name: str) -> str:
    """`snake_case` → `Snake Case`, as the TypeScript runtime titles fields."""
    return " ".join(w[:1].upper() + w[1:] for w in name.split("_") if w)


_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
_MISSING = object()
_INPUT_OPTIONS = ("default", "description", "ge", "le", "min_length", "max_length", "regex", "choices", "deprecated", "accept")


@dataclass
class _Param:
    name: str
    node: ast.arg
    annotation: ast.expr
    default: ast.expr | None


class _Builder:
    """Builds the components of one document."""

    def __init__(self, project: _Project, mode: str) -> None:
        self.project = project
        self.types = _Types(project)
        self.output_name = _component_names(mode)[1]
        self.enums: dict[str, dict] = {}
        self.models: dict[str, dict] = {}
        self.model_origin: dict[str, tuple[str, int]] = {}
        self.inlining: set[tuple[str, int]] = set()

    # -- errors ---------------------------------------------------------------------------------

    @staticmethod
    def fail(module: _Module, node: ast.AST | None, message: str) -> SchemaError:
        line = getattr(node, "lineno", None)
        return SchemaError(f"{module.display}:{line}: {message}" if line else f"{module.display}: {message}")

    @staticmethod
    def not_literal(module: _Module, node: ast.AST, where: str, what: str) -> SchemaError:
        return _Builder.fail(
            module,
            node,
            f"{where}: {what} is not a literal value; the schema is read without running the code, so write the value itself",
        )

    def type_of(self, expr: ast.expr, module: _Module, where: str) -> _Type:
        try:
            return self.types.of(expr, module)
        except _TypeProblem as problem:
            raise self.fail(problem.module or module, problem.node or expr, f"{where}: {problem}") from None

    # -- inputs ---------------------------------------------------------------------------------

    def inputs(self, params: list[_Param], module: _Module, owner: str, title: str) -> dict:
        properties: dict[str, dict] = {}
        required: list[str] = []
        for order, param in enumerate(params):
            where = f"parameter '{param.name}' of {owner}"
            prop, is_required = self.input_property(param, order, module, where)
            properties[param.name] = prop
            if is_required:
                required.append(param.name)
        schema: dict = {"title": title, "type": "object"}
        if required:
            schema["required"] = required
        schema["properties"] = properties
        return schema

    def input_options(self, param: _Param, module: _Module, where: str) -> dict[str, Any]:
        opts: dict[str, Any] = {}
        default = param.default
        if default is None:
            return opts
        if isinstance(default, ast.Call):
            callee = self.project.resolve(default.func, module)
            if callee is not None and callee[0] == "qual" and callee[1] == "cog.Input":
                if len(default.args) > 1:
                    raise self.fail(module, default, f"{where}: Input() takes only the default positionally; name the other options")
                pairs = [("default", a) for a in default.args] + [(k.arg, k.value) for k in default.keywords]
                for key, value in pairs:
                    if key is None:
                        raise self.fail(module, value, f"{where}: Input(**...) is not supported; write the options out")
                    if key == "default_factory":
                        raise self.fail(module, value, f"{where}: Input(default_factory=...) is not supported; use a literal default")
                    if key not in _INPUT_OPTIONS:
                        raise self.fail(module, value, f"{where}: unknown Input() option '{key}'")
                    if key == "default" and isinstance(value, ast.Constant) and value.value is Ellipsis:
                        continue
                    try:
                        opts[key] = _literal(self.project, value, module)
                    except _NotLiteral:
                        raise self.not_literal(module, value, where, f"Input({key}={_source(module, value)})") from None
                return opts
        if isinstance(default, ast.Constant) and default.value is Ellipsis:
            return opts
        try:
            opts["default"] = _literal(self.project, default, module)
        except _NotLiteral:
            raise self.not_literal(module, default, where, f"the default {_source(module, default)}") from None
        return opts

    def input_property(self, param: _Param, order: int, module: _Module, where: str) -> tuple[dict, bool]:
        t = self.type_of(param.annotation, module, where)
        opts = self.input_options(param, module, where)
        nullable = t.nullable
        written = t.text or ast.unparse(param.annotation)

        def bad(message: str) -> SchemaError:
            return self.fail(module, param.node, f"{where}: {message}")

        if t.kind in ("iterator", "model", "none"):
            raise bad(f"unsupported input type '{written}'")
        choices = opts.get("choices")
        if t.kind == "literal":
            if choices is not None:
                raise bad("use either Literal[...] or choices=, not both")
            choices = t.values
            kinds = {type(v) for v in choices}
            if kinds == {str}:
                t = _Type("str", nullable=nullable)
            elif kinds == {int}:
                t = _Type("int", nullable=nullable)
            else:
                raise bad(f"Literal values must be all strings or all integers in '{written}'")
        elif choices is not None:
            if t.kind not in ("str", "int"):
                raise bad(f"choices can only be used with str or int inputs, not '{written}'")
            expected = str if t.kind == "str" else int
            if not isinstance(choices, list) or not choices or any(type(c) is not expected for c in choices):
                raise bad(f"choices must be a non-empty list of {expected.__name__} values")
        if t.kind == "list":
            item = t.item
            assert item is not None
            if item.nullable or item.kind not in ("str", "int", "float", "bool", "path", "file", "secret", "any", "dict", "literal"):
                raise bad(f"unsupported list item type in '{written}' (nested lists, unions and models are not supported)")
            if item.kind == "literal" and {type(v) for v in item.values} not in ({str}, {int}):
                raise bad(f"Literal values must be all strings or all integers in '{written}'")
        if t.kind == "union":
            for m in t.members:
                ok = m.kind in ("str", "int", "float", "bool", "dict") or (
                    m.kind == "list" and m.item is not None and m.item.kind in ("str", "int", "float", "bool", "dict", "any")
                )
                if not ok:
                    raise bad(f"unsupported member '{m.text or m.kind}' in the union '{written}' (only str, int, float, bool, dict and lists of them)")
        # Constraints only where they mean something.
        for key in ("ge", "le"):
            if key in opts:
                if t.kind not in ("int", "float") or choices is not None:
                    raise bad(f"{key}= applies to int and float inputs only")
                if isinstance(opts[key], bool) or not isinstance(opts[key], (int, float)):
                    raise bad(f"{key}= must be a number")
        for key in ("min_length", "max_length", "regex"):
            if key in opts:
                if t.kind != "str" or choices is not None:
                    raise bad(f"{key}= applies to str inputs only")
                wanted = str if key == "regex" else int
                if type(opts[key]) is not wanted:
                    raise bad(f"{key}= must be {'a string' if wanted is str else 'an integer'}")
        if "accept" in opts and (t.kind not in ("path", "file") or not isinstance(opts["accept"], str)):
            raise bad("accept= applies to Path and File inputs only, as a string like 'image/*,.png'")
        if "description" in opts and not isinstance(opts["description"], str):
            raise bad("description= must be a string")
        deprecated = opts.get("deprecated") is True

        default_given = "default" in opts
        default = opts.get("default")
        has_default = default_given and default is not None
        described: dict = {}
        if "description" in opts:
            described["description"] = opts["description"]
        if has_default:
            described["default"] = default

        if choices is not None:
            if param.name in _RESERVED or param.name in self.models:
                raise bad(f"the name '{param.name}' clashes with a schema component; rename the parameter")
            self.enums[param.name] = {
                "type": _JSON_TYPES[t.kind],
                "enum": list(choices),
                "title": param.name,
                "description": "An enumeration.",
            }
            prop = {**described, "x-order": order, "allOf": [{"$ref": f"#/components/schemas/{param.name}"}]}
            if deprecated:
                prop["deprecated"] = True
            if nullable:
                prop["nullable"] = True
            return prop, not default_given and not nullable

        keys = self.type_keys(t, opts)
        extra: dict = {}
        if deprecated:
            extra["deprecated"] = True
        if t.kind == "secret":
            extra["writeOnly"] = True
            extra["x-cog-secret"] = True
        if "accept" in opts:
            extra["x-cog-accept"] = opts["accept"]
        if nullable:
            prop = {"title": _humanize(param.name), **described, **extra, "x-order": order, **keys, "nullable": True}
        else:
            prop = {**keys, "title": _humanize(param.name), **described, **extra, "x-order": order}
        return prop, not default_given and not nullable

    def type_keys(self, t: _Type, opts: dict) -> dict:
        """The JSON-schema type keys of an input, in the TypeScript runtime's order."""
        kind = t.kind
        if kind == "str":
            keys: dict = {"type": "string"}
            if "max_length" in opts:
                keys["maxLength"] = opts["max_length"]
            if "min_length" in opts:
                keys["minLength"] = opts["min_length"]
            if "regex" in opts:
                keys["pattern"] = opts["regex"]
            return keys
        if kind in ("int", "float"):
            keys = {"type": _JSON_TYPES[kind]}
            # The classic server emits the bounds as floats (`"maximum": 50.0`).
            if "le" in opts:
                keys["maximum"] = float(opts["le"])
            if "ge" in opts:
                keys["minimum"] = float(opts["ge"])
            return keys
        if kind == "bool":
            return {"type": "boolean"}
        if kind in ("path", "file"):
            return {"type": "string", "format": "uri"}
        if kind == "secret":
            return {"type": "string", "format": "password"}
        if kind == "any":
            return {}
        if kind == "dict":
            return {"type": "object"}
        if kind == "literal":
            values = t.values
            return {"type": "string" if isinstance(values[0], str) else "integer", "enum": list(values)}
        if kind == "list":
            assert t.item is not None
            return {"items": self.type_keys(t.item, {}), "type": "array"}
        if kind == "union":
            return {"anyOf": [self.type_keys(m, {}) for m in t.members]}
        raise AssertionError(kind)

    # -- outputs --------------------------------------------------------------------------------

    def output(self, t: _Type, title: str | None, module: _Module, node: ast.AST, where: str, top: bool = False) -> dict:
        titled = {} if title is None else {"title": title}
        nullable = {"nullable": True} if t.nullable else {}
        kind = t.kind
        if kind in _JSON_TYPES:
            return {**titled, "type": _JSON_TYPES[kind], **nullable}
        if kind in ("path", "file"):
            return {**titled, "type": "string", "format": "uri", **nullable}
        if kind == "list":
            assert t.item is not None
            return {"items": self.output(t.item, None, module, node, where), "type": "array", **titled, **nullable}
        if kind == "iterator":
            assert t.item is not None
            if not top:
                raise self.fail(module, node, f"{where}: an iterator can only be the whole output, not part of it ('{t.text}')")
            if t.item.kind == "iterator":
                raise self.fail(module, node, f"{where}: an iterator of iterators is not supported ('{t.text}')")
            schema = {"items": self.output(t.item, None, module, node, where), "type": "array", **titled, "x-cog-array-type": "iterator"}
            if t.concatenate:
                schema["x-cog-array-display"] = "concatenate"
            return schema
        if kind == "dict":
            schema = {**titled, "type": "object"}
            if t.item is not None and t.item.kind != "any":
                schema["additionalProperties"] = self.output(t.item, None, module, node, where)
            return {**schema, **nullable}
        if kind == "any":
            return {**titled, **nullable}
        if kind == "union":
            return {**titled, "anyOf": [self.output(m, None, module, node, where) for m in t.members], **nullable}
        if kind == "model":
            assert t.model is not None
            name = t.model[2].name
            if name == self.output_name:
                # Classic quirk: a model named `Output` is the Output component itself.
                key = (t.model[1].path, t.model[2].lineno)
                if key in self.inlining:
                    raise self.fail(t.model[1], t.model[2], f"{where}: the model {name} contains itself; give it another name so it becomes a component")
                self.inlining.add(key)
                try:
                    return {**self.model_schema(t.model, where, title=title if title is not None else name), **nullable}
                finally:
                    self.inlining.discard(key)
            self.register_model(t.model, where)
            return {"$ref": f"#/components/schemas/{name}", **titled, **nullable}
        text = t.text or kind
        if kind == "none":
            raise self.fail(module, node, f"{where}: None is not a supported output type; return a value")
        raise self.fail(module, node, f"{where}: unsupported output type '{text}'")

    def register_model(self, bound: tuple, where: str) -> None:
        _, module, node = bound
        name = node.name
        origin = (module.path, node.lineno)
        if name in self.models:
            if self.model_origin[name] != origin:
                raise self.fail(module, node, f"{where}: two different output models are named '{name}'; rename one")
            return
        if name in _RESERVED or name == self.output_name or name in ("Input", "TrainingInput") or name in self.enums:
            raise self.fail(module, node, f"{where}: the model name '{name}' clashes with a schema component; rename the class")
        self.models[name] = {}  # placeholder: a model may refer to itself
        self.model_origin[name] = origin
        self.models[name] = self.model_schema(bound, where, title=name)

    def model_schema(self, bound: tuple, where: str, title: str | None = None) -> dict:
        _, module, node = bound
        properties: dict[str, dict] = {}
        required: list[str] = []
        for name, stmt, field_module in self.types.model_fields(bound):
            field_where = f"field '{name}' of {node.name}"
            ft = self.type_of(stmt.annotation, field_module, field_where)
            prop = self.output(ft, _humanize(name), field_module, stmt, field_where)
            has_default, default = self.field_default(stmt, field_module)
            if has_default and default is not _MISSING and default is not None:
                nullable = prop.pop("nullable", None)
                prop["default"] = default
                if nullable:
                    prop["nullable"] = True
            properties[name] = prop
            if not has_default and not ft.nullable:
                required.append(name)
        schema: dict = {"properties": properties}
        if required:
            schema["required"] = required
        if title is not None:
            schema["title"] = title
        schema["type"] = "object"
        return schema

    def field_default(self, stmt: ast.AnnAssign, module: _Module) -> tuple[bool, Any]:
        """(has a default, its literal value or _MISSING when it is not a literal)."""
        value = stmt.value
        if value is None:
            return False, _MISSING
        if isinstance(value, ast.Call):
            given = None
            for kw in value.keywords:
                if kw.arg == "default":
                    given = kw.value
                elif kw.arg == "default_factory":
                    return True, _MISSING
            if given is None and value.args:
                given = value.args[0]
            if given is None:
                return False, _MISSING
            value = given
        if isinstance(value, ast.Constant) and value.value is Ellipsis:
            return False, _MISSING
        try:
            return True, _literal(self.project, value, module)
        except _NotLiteral:
            return True, _MISSING


_RESERVED = {
    "Input",
    "Output",
    "TrainingInput",
    "TrainingOutput",
    "Status",
    "WebhookEvent",
    "PredictionRequest",
    "PredictionResponse",
    "TrainingRequest",
    "TrainingResponse",
    "HTTPValidationError",
    "ValidationError",
}
