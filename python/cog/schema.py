"""Static OpenAPI schema of a Cog Python predictor.

The predictor file is read with :mod:`ast`; none of the model's code is imported or run, so the
schema can be made on a machine where the model's packages (torch, numpy, ...) are not installed.
The document has the classic Cog server's layout and key order, the same as the TypeScript
runtime's ``buildOpenApi`` (``packages/runtime/src/schema.ts``) emits for an equivalent predictor.

Usage::

    python3 -m cog.schema [--train] PROJECT_DIR REF

``REF`` is ``predict.py:Predictor``, ``predict.py:run`` (a function) or ``predict.py`` (then the
class ``Runner``, else ``Predictor``).
"""

from __future__ import annotations

import ast
import json
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SchemaError", "openapi_schema", "main"]


class SchemaError(Exception):
    """The predictor cannot be described; the message names the file, line and parameter."""


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

#: Names `from cog import *` brings in that matter to a schema.
_COG_NAMES = {
    "BaseModel",
    "BasePredictor",
    "BaseRunner",
    "ConcatenateIterator",
    "AsyncConcatenateIterator",
    "File",
    "Input",
    "Path",
    "Secret",
}

_BUILTINS = {"str", "int", "float", "bool", "list", "dict", "tuple", "set", "bytes", "object", "type", "sorted"}

#: Modules whose names are typing constructs.
_TYPING_MODULES = {"typing", "typing_extensions", "collections.abc"}


def _normalize(qual: str) -> str:
    """One spelling per name: `typing_extensions.X`/`collections.abc.X` → `typing.X`, `cog.types.X` → `cog.X`."""
    for module in sorted(_TYPING_MODULES, key=len, reverse=True):
        if qual.startswith(module + "."):
            return "typing." + qual[len(module) + 1 :]
    if qual.startswith("cog.") and qual.count(".") > 1:
        return "cog." + qual.rsplit(".", 1)[1]
    if qual.startswith("pydantic.") and qual.endswith(".BaseModel"):
        return "pydantic.BaseModel"
    return qual


@dataclass
class _Module:
    """One parsed Python file of the project and what its top-level names are bound to."""

    path: str
    display: str
    tree: ast.Module
    text: str = ""
    bindings: dict[str, tuple] = field(default_factory=dict)
    star_cog: bool = False
    star_files: list[str] = field(default_factory=list)


class _Project:
    """The project folder: loads its Python files on demand, each once."""

    def __init__(self, project_dir: str) -> None:
        self.root = os.path.realpath(project_dir)
        self.modules: dict[str, _Module] = {}

    def display(self, path: str) -> str:
        rel = os.path.relpath(path, self.root)
        return path if rel.startswith("..") else rel

    def load(self, path: str) -> _Module:
        path = os.path.realpath(path)
        cached = self.modules.get(path)
        if cached is not None:
            return cached
        display = self.display(path)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise SchemaError(f"{display}: cannot read the file: {e.strerror}") from None
        except UnicodeDecodeError:
            raise SchemaError(f"{display}: the file is not UTF-8 text") from None
        try:
            tree = ast.parse(text, filename=display)
        except SyntaxError as e:
            raise SchemaError(f"{display}:{e.lineno}: syntax error: {e.msg}") from None
        except ValueError as e:  # e.g. a NUL byte
            raise SchemaError(f"{display}: cannot parse the file: {e}") from None
        module = _Module(path=path, display=display, tree=tree, text=text)
        self.modules[path] = module
        self._bind(module, tree.body)
        return module

    # -- imports --------------------------------------------------------------------------------

    def _inside(self, path: str) -> bool:
        return os.path.realpath(path).startswith(self.root + os.sep)

    def _module_file(self, dotted: str | None, level: int, importer: _Module) -> str | None:
        """The project file a module name refers to, or None when it is not part of the project."""
        if level > 0:
            base = os.path.dirname(importer.path)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            bases = [base]
        else:
            bases = [self.root, os.path.dirname(importer.path)]
        for base in bases:
            parts = dotted.split(".") if dotted else []
            stem = os.path.join(base, *parts)
            candidates = [stem + ".py", os.path.join(stem, "__init__.py")] if parts else [os.path.join(base, "__init__.py")]
            for candidate in candidates:
                if os.path.isfile(candidate) and self._inside(candidate):
                    return os.path.realpath(candidate)
        return None

    def _bind(self, module: _Module, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname is None:
                        head = alias.name.split(".")[0]
                        file = None if head in ("cog", "typing") else self._module_file(head, 0, module)
                        module.bindings[head] = ("module", file) if file else ("qual", head)
                    else:
                        file = self._module_file(alias.name, 0, module) if not alias.name.startswith("cog") else None
                        module.bindings[alias.asname] = ("module", file) if file else ("qual", alias.name)
            elif isinstance(stmt, ast.ImportFrom):
                self._bind_from(module, stmt)
            elif isinstance(stmt, ast.ClassDef):
                module.bindings[stmt.name] = ("class", module, stmt)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                module.bindings[stmt.name] = ("func", module, stmt)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        module.bindings[target.id] = ("value", module, stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
                module.bindings[stmt.target.id] = ("value", module, stmt.value)
            elif isinstance(stmt, ast.If):
                self._bind(module, stmt.body)
                self._bind(module, stmt.orelse)
            elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
                self._bind(module, stmt.body)
                for handler in stmt.handlers:
                    self._bind(module, handler.body)
                self._bind(module, stmt.orelse)
                self._bind(module, stmt.finalbody)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                self._bind(module, stmt.body)

    def _bind_from(self, module: _Module, stmt: ast.ImportFrom) -> None:
        name = stmt.module or ""
        if stmt.level == 0 and (name == "cog" or name.startswith("cog.")):
            for alias in stmt.names:
                if alias.name == "*":
                    module.star_cog = True
                else:
                    module.bindings[alias.asname or alias.name] = ("qual", _normalize(f"cog.{alias.name}"))
            return
        file = None
        if stmt.level > 0 or name.split(".")[0] not in ("typing", "typing_extensions", "collections", "pydantic", "pathlib"):
            file = self._module_file(stmt.module, stmt.level, module)
        for alias in stmt.names:
            local = alias.asname or alias.name
            if alias.name == "*":
                if file:
                    module.star_files.append(file)
                continue
            if stmt.level > 0 or file:
                # `from . import types` names a module; `from .types import Result` a name in one.
                sub = self._module_file(f"{stmt.module}.{alias.name}" if stmt.module else alias.name, stmt.level, module)
                if sub and (not file or not file.endswith("__init__.py") or not self._defines(file, alias.name)):
                    module.bindings[local] = ("module", sub)
                elif file:
                    module.bindings[local] = ("from", file, alias.name)
                else:
                    module.bindings[local] = ("qual", f"{'.' * stmt.level}{name}.{alias.name}")
            else:
                module.bindings[local] = ("qual", _normalize(f"{name}.{alias.name}"))

    def _defines(self, file: str, name: str) -> bool:
        try:
            return name in self.load(file).bindings
        except SchemaError:  # a broken file that may never be needed: complain only if it is
            return False

    # -- lookups --------------------------------------------------------------------------------

    def lookup(self, module: _Module, name: str, seen: frozenset = frozenset()) -> tuple | None:
        """What `name` is bound to at the top level of `module` (following project imports)."""
        key = (module.path, name)
        if key in seen:
            return None
        seen = seen | {key}
        binding = module.bindings.get(name)
        if binding is None:
            for file in module.star_files:
                found = self.lookup(self.load(file), name, seen)
                if found is not None:
                    return found
            if module.star_cog and name in _COG_NAMES:
                return ("qual", f"cog.{name}")
            if name in _BUILTINS:
                return ("qual", f"builtins.{name}")
            return None
        if binding[0] == "from":
            found = self.lookup(self.load(binding[1]), binding[2], seen)
            if found is None:
                return ("missing", self.display(binding[1]), binding[2])
            return found
        if binding[0] == "module":
            return ("module", self.load(binding[1]))
        return binding

    def resolve(self, expr: ast.expr, module: _Module, depth: int = 0) -> tuple | None:
        """What a name or dotted attribute stands for: ('qual', name), ('class'|'func'|'value', module, node),
        ('module', module). Aliases (`P = cog.Path`) are followed."""
        bound = self._resolve(expr, module)
        while bound is not None and bound[0] == "value" and isinstance(bound[2], (ast.Name, ast.Attribute)) and depth < 20:
            bound = self._resolve(bound[2], bound[1])
            depth += 1
        return bound

    def _resolve(self, expr: ast.expr, module: _Module) -> tuple | None:
        if isinstance(expr, ast.Name):
            return self.lookup(module, expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.resolve(expr.value, module)
            if base is None:
                return None
            if base[0] == "qual":
                # `import pkg.types` then `pkg.types.Result`, with pkg a folder of the project.
                head = base[1].split(".")[0]
                if head not in ("cog", "typing", "builtins", "pydantic", "pathlib", "None"):
                    file = self._module_file(base[1], 0, module)
                    if file is not None:
                        return self.lookup(self.load(file), expr.attr)
                return ("qual", _normalize(f"{base[1]}.{expr.attr}"))
            if base[0] == "module":
                found = self.lookup(base[1], expr.attr)
                if found is None and base[1].path.endswith("__init__.py"):
                    sub = self._module_file(expr.attr, 1, base[1])
                    if sub is not None:
                        return ("module", self.load(sub))
                return found
            return None
        if isinstance(expr, ast.Constant) and expr.value is None:
            return ("qual", "None")
        return None


# ---------------------------------------------------------------------------------------------
# Literal values (defaults, Input() options)
# ---------------------------------------------------------------------------------------------


class _NotLiteral(Exception):
    pass


def _literal(project: _Project, expr: ast.expr, module: _Module, depth: int = 0) -> Any:
    """The JSON value of a literal expression; module-level constants are followed, nothing is run."""
    if depth > 20:
        raise _NotLiteral
    if isinstance(expr, ast.Constant):
        value = expr.value
        if value is None or isinstance(value, (str, bool, int)) or isinstance(value, float) and math.isfinite(value):
            return value
        raise _NotLiteral
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
        value = _literal(project, expr.operand, module, depth + 1)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _NotLiteral
        return -value if isinstance(expr.op, ast.USub) else value
    if isinstance(expr, (ast.List, ast.Tuple)):
        return [_literal(project, e, module, depth + 1) for e in expr.elts]
    if isinstance(expr, ast.Dict):
        out = {}
        for k, v in zip(expr.keys, expr.values):
            if k is None:
                raise _NotLiteral
            key = _literal(project, k, module, depth + 1)
            if not isinstance(key, str):
                raise _NotLiteral
            out[key] = _literal(project, v, module, depth + 1)
        return out
    if isinstance(expr, (ast.Name, ast.Attribute)):
        bound = project.resolve(expr, module)
        if bound is not None and bound[0] == "value":
            return _literal(project, bound[2], bound[1], depth + 1)
    if isinstance(expr, ast.Call) and not expr.keywords:
        # The few calls whose result the source alone decides: `CHOICES.keys()` of a module-level
        # dict (its values may be anything), and list()/tuple()/sorted() of a literal.
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr == "keys" and not expr.args:
            return _dict_keys(project, func.value, module, depth + 1)
        if isinstance(func, ast.Name) and len(expr.args) == 1:
            bound = project.resolve(func, module)
            if bound in (("qual", "builtins.list"), ("qual", "builtins.tuple"), ("qual", "builtins.sorted")):
                arg = expr.args[0]
                try:
                    items = _dict_keys(project, arg, module, depth + 1)
                except _NotLiteral:
                    items = _literal(project, arg, module, depth + 1)
                if not isinstance(items, list):
                    raise _NotLiteral
                if bound[1] == "builtins.sorted":
                    kinds = {type(i) for i in items}
                    if not (kinds <= {int, float} or kinds == {str}) or bool in kinds:
                        raise _NotLiteral
                    items = sorted(items)
                return items
    raise _NotLiteral


def _dict_keys(project: _Project, expr: ast.expr, module: _Module, depth: int) -> list:
    """The literal keys of a dict display, reached directly or through module-level names."""
    for _ in range(20):
        if isinstance(expr, ast.Dict):
            if any(k is None for k in expr.keys):
                raise _NotLiteral
            return [_literal(project, k, module, depth + 1) for k in expr.keys]
        if not isinstance(expr, (ast.Name, ast.Attribute)):
            break
        bound = project.resolve(expr, module)
        if bound is None or bound[0] != "value":
            break
        expr, module = bound[2], bound[1]
    raise _NotLiteral


# ---------------------------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------------------------


@dataclass
class _Type:
    """An annotation, understood. kind: str int float bool path file secret any dict list literal
    union none iterator model."""

    kind: str
    nullable: bool = False
    item: _Type | None = None  # list / iterator item, dict value
    members: list[_Type] = field(default_factory=list)  # union
    values: list[Any] = field(default_factory=list)  # literal
    concatenate: bool = False
    model: tuple | None = None  # ('class', module, ClassDef)
    text: str = ""  # the annotation as written, for messages


class _TypeProblem(Exception):
    def __init__(self, message: str, module: _Module | None = None, node: ast.AST | None = None) -> None:
        super().__init__(message)
        self.module = module
        self.node = node


_SCALARS = {
    "builtins.str": "str",
    "typing.Text": "str",
    "builtins.int": "int",
    "builtins.float": "float",
    "builtins.bool": "bool",
    "cog.Path": "path",
    "cog.File": "file",
    "cog.Secret": "secret",
    "typing.Any": "any",
    "builtins.object": "any",
}
_ITERATORS = {"typing.Iterator", "typing.AsyncIterator", "typing.Generator", "typing.AsyncGenerator"}
_CONCATENATE = {"cog.ConcatenateIterator", "cog.AsyncConcatenateIterator"}
_LISTS = {"builtins.list", "typing.List"}
_DICTS = {"builtins.dict", "typing.Dict"}
_MODEL_BASES = {"cog.BaseModel", "pydantic.BaseModel"}


class _Types:
    def __init__(self, project: _Project) -> None:
        self.project = project

    def of(self, expr: ast.expr, module: _Module, depth: int = 0) -> _Type:
        if depth > 30:
            raise _TypeProblem(f"type alias loop in '{ast.unparse(expr)}'", module, expr)
        text = ast.unparse(expr)
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            try:
                parsed = ast.parse(expr.value.strip(), mode="eval").body
            except SyntaxError:
                raise _TypeProblem(f"cannot parse the string annotation {expr.value!r}", module, expr) from None
            ast.increment_lineno(parsed, expr.lineno - 1)
            return self.of(parsed, module, depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            return self._union([self.of(expr.left, module, depth + 1), self.of(expr.right, module, depth + 1)], text)
        if isinstance(expr, ast.Subscript):
            return self._generic(expr, module, depth, text)
        bound = self.project.resolve(expr, module)
        if bound is None:
            why = " (the name is not defined or imported)" if isinstance(expr, (ast.Name, ast.Attribute)) else ""
            raise _TypeProblem(f"unsupported type '{text}'{why}", module, expr)
        if bound[0] == "value":
            return self.of(bound[2], bound[1], depth + 1)
        if bound[0] == "missing":
            raise _TypeProblem(f"unsupported type '{text}': {bound[1]} defines no '{bound[2]}'", module, expr)
        if bound[0] == "class":
            if self.is_model(bound):
                return _Type("model", model=bound, text=text)
            raise _TypeProblem(f"unsupported type '{text}': the class is not a BaseModel subclass", module, expr)
        if bound[0] != "qual":
            raise _TypeProblem(f"unsupported type '{text}'", module, expr)
        qual = bound[1]
        if qual == "None":
            return _Type("none", text=text)
        if qual in _SCALARS:
            return _Type(_SCALARS[qual], text=text)
        if qual in _LISTS:
            return _Type("list", item=_Type("any"), text=text)
        if qual in _DICTS:
            return _Type("dict", text=text)
        if qual in _ITERATORS or qual in _CONCATENATE:
            raise _TypeProblem(f"'{text}' needs an item type, e.g. {text}[str]", module, expr)
        if qual == "pathlib.Path":
            raise _TypeProblem(f"unsupported type '{text}': use cog.Path for files", module, expr)
        raise _TypeProblem(f"unsupported type '{text}'", module, expr)

    def _generic(self, expr: ast.Subscript, module: _Module, depth: int, text: str) -> _Type:
        bound = self.project.resolve(expr.value, module)
        qual = bound[1] if bound is not None and bound[0] == "qual" else None
        args = list(expr.slice.elts) if isinstance(expr.slice, ast.Tuple) else [expr.slice]
        if qual == "typing.Literal":
            values = []
            for arg in args:
                if isinstance(arg, ast.Subscript):  # Literal[Literal["a"], "b"]
                    values.extend(self.of(arg, module, depth + 1).values)
                    continue
                try:
                    values.append(_literal(self.project, arg, module))
                except _NotLiteral:
                    raise _TypeProblem(f"'{text}': Literal values must be literals", module, expr) from None
            return _Type("literal", values=values, text=text)
        if qual == "typing.Annotated":
            return self.of(args[0], module, depth + 1)
        known = {"typing.Optional", "typing.Union"} | _LISTS | _DICTS | _ITERATORS | _CONCATENATE
        if qual not in known:
            if qual == "pathlib.Path":
                raise _TypeProblem(f"unsupported type '{text}': use cog.Path for files", module, expr)
            raise _TypeProblem(f"unsupported type '{text}'", module, expr)
        if qual in _ITERATORS:
            # Generator[T, S, R] / AsyncGenerator[T, S]: only the yielded type matters.
            return _Type("iterator", item=self.of(args[0], module, depth + 1), text=text)
        members = [self.of(arg, module, depth + 1) for arg in args]
        if qual == "typing.Optional":
            return self._union(members + [_Type("none")], text)
        if qual == "typing.Union":
            return self._union(members, text)
        if qual in _LISTS:
            return _Type("list", item=members[0], text=text)
        if qual in _DICTS:
            return _Type("dict", item=members[1] if len(members) > 1 else None, text=text)
        # ConcatenateIterator[str] / AsyncConcatenateIterator[str]
        if members[0].kind != "str" or members[0].nullable:
            raise _TypeProblem(f"'{text}': a ConcatenateIterator yields strings only", module, expr)
        return _Type("iterator", item=members[0], concatenate=True, text=text)

    @staticmethod
    def _union(members: list[_Type], text: str) -> _Type:
        flat: list[_Type] = []
        nullable = False
        for m in members:
            if m.kind == "union":
                flat.extend(m.members)
                nullable = nullable or m.nullable
            elif m.kind == "none":
                nullable = True
            else:
                nullable = nullable or m.nullable
                m.nullable = False
                flat.append(m)
        if not flat:
            return _Type("none", text=text)
        if any(m.kind == "any" for m in flat):
            return _Type("any", nullable=nullable, text=text)
        if len(flat) == 1:
            only = flat[0]
            only.nullable = nullable
            only.text = text
            return only
        return _Type("union", members=flat, nullable=nullable, text=text)

    def is_model(self, bound: tuple, seen: frozenset = frozenset()) -> bool:
        _, module, node = bound
        if (module.path, node.name) in seen:
            return False
        seen = seen | {(module.path, node.name)}
        for base in node.bases:
            b = self.project.resolve(base, module)
            if b is None:
                continue
            if b[0] == "qual" and b[1] in _MODEL_BASES:
                return True
            if b[0] == "class" and self.is_model(b, seen):
                return True
        return False

    def model_fields(self, bound: tuple) -> list[tuple[str, ast.AnnAssign, _Module]]:
        """The fields of a model class, base classes' first (as pydantic orders them)."""
        _, module, node = bound
        fields: dict[str, tuple[str, ast.AnnAssign, _Module]] = {}
        for base in node.bases:
            b = self.project.resolve(base, module)
            if b is not None and b[0] == "class" and self.is_model(b):
                for f in self.model_fields(b):
                    fields[f[0]] = f
        for stmt in node.body:
            if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
                continue
            name = stmt.target.id
            if name.startswith("_"):
                continue
            head = stmt.annotation.value if isinstance(stmt.annotation, ast.Subscript) else stmt.annotation
            resolved = self.project.resolve(head, module)
            if resolved is not None and resolved[0] == "qual" and resolved[1] == "typing.ClassVar":
                continue
            fields[name] = (name, stmt, module)
        return list(fields.values())


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


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
        self.mode = mode
        self.output_name = "TrainingOutput" if mode == "train" else "Output"
        self.enums: dict[str, dict] = {}
        self.models: dict[str, dict] = {}
        self.model_origin: dict[str, tuple[str, int]] = {}
        self.inlining: set[tuple[str, int]] = set()

    # -- errors ---------------------------------------------------------------------------------

    @staticmethod
    def fail(module: _Module, node: ast.AST | None, message: str) -> SchemaError:
        line = getattr(node, "lineno", None)
        return SchemaError(f"{module.display}:{line}: {message}" if line else f"{module.display}: {message}")

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
                        raise self.fail(
                            module,
                            value,
                            f"{where}: Input({key}={_source(module, value)}) is not a literal value; "
                            "the schema is read without running the code, so write the value itself",
                        ) from None
                return opts
        if isinstance(default, ast.Constant) and default.value is Ellipsis:
            return opts
        try:
            opts["default"] = _literal(self.project, default, module)
        except _NotLiteral:
            raise self.fail(
                module,
                default,
                f"{where}: the default {_source(module, default)} is not a literal value; "
                "the schema is read without running the code, so write the value itself",
            ) from None
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
        for key in ("description",):
            if key in opts and not isinstance(opts[key], str):
                raise bad(f"{key}= must be a string")
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


# ---------------------------------------------------------------------------------------------
# The envelope (components and paths every document carries)
# ---------------------------------------------------------------------------------------------

_WEBHOOK_EVENTS = ["start", "output", "logs", "completed"]


def _ref(name: str, nullable: bool = True) -> dict:
    return {"$ref": f"#/components/schemas/{name}", "nullable": True} if nullable else {"$ref": f"#/components/schemas/{name}"}


def _enumeration(title: str, values: list[str]) -> dict:
    return {"type": "string", "enum": list(values), "title": title, "description": "An enumeration."}


def _request(title: str, input_name: str) -> dict:
    return {
        "title": title,
        "type": "object",
        "properties": {
            "input": _ref(input_name),
            "id": {"title": "Id", "type": "string", "nullable": True},
            "created_at": {"title": "Created At", "type": "string", "format": "date-time", "nullable": True},
            "context": {"title": "Context", "type": "object", "additionalProperties": {"type": "string"}, "nullable": True},
            "output_file_prefix": {"title": "Output File Prefix", "type": "string", "nullable": True},
            "webhook": {"title": "Webhook", "type": "string", "format": "uri", "minLength": 1, "maxLength": 65536, "nullable": True},
            "webhook_events_filter": {
                "type": "array",
                "items": _ref("WebhookEvent", False),
                "default": list(_WEBHOOK_EVENTS),
                "nullable": True,
            },
        },
    }


def _response(title: str, input_name: str, output_name: str) -> dict:
    return {
        "title": title,
        "type": "object",
        "properties": {
            "input": _ref(input_name),
            "output": _ref(output_name, False),
            "id": {"title": "Id", "type": "string", "nullable": True},
            "version": {"title": "Version", "type": "string", "nullable": True},
            "created_at": {"type": "string", "format": "date-time", "nullable": True, "title": "Created At"},
            "started_at": {"type": "string", "format": "date-time", "nullable": True, "title": "Started At"},
            "completed_at": {"type": "string", "format": "date-time", "nullable": True, "title": "Completed At"},
            "logs": {"type": "string", "title": "Logs", "default": ""},
            "error": {"title": "Error", "type": "string", "nullable": True},
            "status": _ref("Status"),
            "metrics": {"title": "Metrics", "type": "object", "additionalProperties": True, "nullable": True},
        },
    }


def _envelope(mode: str) -> dict:
    prefix = "Training" if mode == "train" else "Prediction"
    input_name = "TrainingInput" if mode == "train" else "Input"
    output_name = "TrainingOutput" if mode == "train" else "Output"
    return {
        "Status": _enumeration("Status", ["starting", "processing", "succeeded", "canceled", "failed"]),
        "WebhookEvent": _enumeration("WebhookEvent", _WEBHOOK_EVENTS),
        f"{prefix}Request": _request(f"{prefix}Request", input_name),
        f"{prefix}Response": _response(f"{prefix}Response", input_name, output_name),
        "HTTPValidationError": {
            "title": "HTTPValidationError",
            "type": "object",
            "properties": {"detail": {"title": "Detail", "type": "array", "items": _ref("ValidationError", False)}},
        },
        "ValidationError": {
            "title": "ValidationError",
            "required": ["loc", "msg", "type"],
            "type": "object",
            "properties": {
                "loc": {"title": "Location", "type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                "msg": {"title": "Message", "type": "string"},
                "type": {"title": "Error Type", "type": "string"},
            },
        },
    }


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _ok(schema: dict | None = None) -> dict:
    return {"200": {"description": "Successful Response", "content": _json(schema if schema is not None else {})}}


def _invalid() -> dict:
    return {"422": {"description": "Validation Error", "content": _json(_ref("HTTPValidationError", False))}}


def _prefer() -> dict:
    return {"in": "header", "name": "prefer", "required": False, "schema": {"title": "Prefer", "type": "string"}}


def _id_param(name: str, title: str) -> dict:
    return {"in": "path", "name": name, "required": True, "schema": {"title": title, "type": "string"}}


def _paths(mode: str) -> dict:
    paths: dict = {
        "/": {"get": {"summary": "Root", "operationId": "root__get", "responses": _ok({"title": "Response Root  Get"})}},
        "/health-check": {
            "get": {
                "summary": "Healthcheck",
                "operationId": "healthcheck_health_check_get",
                "responses": _ok({"title": "Response Healthcheck Health Check Get"}),
            }
        },
    }
    if mode == "train":
        body = lambda: {"content": _json(_ref("TrainingRequest", False))}  # noqa: E731
        done = lambda: {**_ok(_ref("TrainingResponse", False)), **_invalid()}  # noqa: E731
        paths["/trainings"] = {
            "post": {"summary": "Train", "operationId": "train_trainings_post", "parameters": [_prefer()], "requestBody": body(), "responses": done()}
        }
        paths["/trainings/{training_id}"] = {
            "put": {
                "summary": "Train Idempotent",
                "operationId": "train_idempotent_trainings__training_id__put",
                "parameters": [_id_param("training_id", "Training ID"), _prefer()],
                "requestBody": body(),
                "responses": done(),
            }
        }
        paths["/trainings/{training_id}/cancel"] = {
            "post": {
                "summary": "Cancel Training",
                "operationId": "cancel_training_trainings__training_id__cancel_post",
                "parameters": [_id_param("training_id", "Training ID")],
                "responses": {**_ok({"title": "Response Cancel Training Trainings  Training Id  Cancel Post"}), **_invalid()},
            }
        }
    else:
        body = lambda: {"content": _json(_ref("PredictionRequest", False))}  # noqa: E731
        done = lambda: {**_ok(_ref("PredictionResponse", False)), **_invalid()}  # noqa: E731
        paths["/predictions"] = {
            "post": {
                "summary": "Predict",
                "description": "Run a single prediction on the model",
                "operationId": "predict_predictions_post",
                "parameters": [_prefer()],
                "requestBody": body(),
                "responses": done(),
            }
        }
        paths["/predictions/{prediction_id}"] = {
            "put": {
                "summary": "Predict Idempotent",
                "description": "Run a single prediction on the model (idempotent creation).",
                "operationId": "predict_idempotent_predictions__prediction_id__put",
                "parameters": [_id_param("prediction_id", "Prediction ID"), _prefer()],
                "requestBody": body(),
                "responses": done(),
            }
        }
        paths["/predictions/{prediction_id}/cancel"] = {
            "post": {
                "summary": "Cancel",
                "description": "Cancel a running prediction",
                "operationId": "cancel_predictions__prediction_id__cancel_post",
                "parameters": [_id_param("prediction_id", "Prediction ID")],
                "responses": {**_ok({"title": "Response Cancel Predictions  Prediction Id  Cancel Post"}), **_invalid()},
            }
        }
    paths["/shutdown"] = {
        "post": {
            "summary": "Start Shutdown",
            "operationId": "start_shutdown_shutdown_post",
            "responses": _ok({"title": "Response Start Shutdown Shutdown Post"}),
        }
    }
    return paths


# ---------------------------------------------------------------------------------------------
# Finding the predictor
# ---------------------------------------------------------------------------------------------


def _split_ref(ref: str) -> tuple[str, str | None]:
    ref = ref.strip()
    if ":" in ref:
        file, name = ref.rsplit(":", 1)
        return file.strip(), name.strip() or None
    return ref, None


def _find_method(project: _Project, bound: tuple, names: tuple[str, ...], seen: frozenset = frozenset()):
    """The first class in the (local) inheritance chain that defines one of `names`."""
    _, module, node = bound
    if (module.path, node.name) in seen:
        return None
    seen = seen | {(module.path, node.name)}
    found = [s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name in names]
    if len({f.name for f in found}) > 1:
        raise _Builder.fail(module, found[-1], f"{node.name} defines both {' and '.join(sorted({f.name for f in found}))}; keep one")
    if found:
        return module, node, found[-1]
    for base in node.bases:
        b = project.resolve(base, module)
        if b is not None and b[0] == "class":
            hit = _find_method(project, b, names, seen)
            if hit is not None:
                return hit
    return None


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef, module: _Module, owner: str, method: bool) -> list[_Param]:
    args = fn.args
    positional = list(args.posonlyargs) + list(args.args)
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    posonly = len(args.posonlyargs)
    is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)
    if method and not is_static:
        if not positional:
            raise _Builder.fail(module, fn, f"{owner} must take self as its first parameter")
        positional, defaults, posonly = positional[1:], defaults[1:], max(0, posonly - 1)
    if posonly:
        arg = positional[0]
        raise _Builder.fail(module, arg, f"parameter '{arg.arg}' of {owner} is positional-only; inputs are passed by name, remove the '/'")
    if args.vararg is not None:
        raise _Builder.fail(module, args.vararg, f"{owner} takes *{args.vararg.arg}; inputs must be named parameters")
    if args.kwarg is not None:
        raise _Builder.fail(module, args.kwarg, f"{owner} takes **{args.kwarg.arg}; inputs must be named parameters")
    pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
    params = []
    for arg, default in pairs:
        if arg.annotation is None:
            raise _Builder.fail(module, arg, f"parameter '{arg.arg}' of {owner} has no type annotation; add one, e.g. '{arg.arg}: str'")
        params.append(_Param(arg.arg, arg, arg.annotation, default))
    return params


def openapi_schema(project_dir: str, ref: str, mode: str = "predict") -> dict:
    """The OpenAPI document of the predictor (mode "predict") or trainer (mode "train") `ref` names
    in `project_dir`, read statically. Raises SchemaError when it cannot be described."""
    if mode not in ("predict", "train"):
        raise SchemaError(f"unknown mode {mode!r}; use 'predict' or 'train'")
    if not os.path.isdir(project_dir):
        raise SchemaError(f"{project_dir}: no such folder")
    project = _Project(project_dir)
    file, name = _split_ref(ref)
    if not file:
        raise SchemaError(f"bad reference {ref!r}; expected e.g. 'predict.py:Predictor'")
    path = os.path.join(project.root, file)
    if not os.path.isfile(path) and not file.endswith(".py") and os.path.isfile(path + ".py"):
        path += ".py"
    if not os.path.isfile(path):
        raise SchemaError(f"{file}: file not found in {project_dir}")
    module = project.load(path)

    if name is None:
        candidates = ("Trainer", "Runner", "Predictor", "train") if mode == "train" else ("Runner", "Predictor")
        bound = next((b for b in (project.lookup(module, c) for c in candidates) if b is not None and b[0] in ("class", "func")), None)
        if bound is None:
            wanted = " or ".join(f"'{c}'" for c in candidates)
            raise SchemaError(f"{module.display}: no class named {wanted}; name the predictor in the reference, e.g. '{file}:MyPredictor'")
    else:
        bound = project.lookup(module, name)
        if bound is None or bound[0] not in ("class", "func"):
            what = "is not defined" if bound is None or bound[0] == "missing" else "is not a class or function"
            raise SchemaError(f"{module.display}: '{name}' {what}; expected a predictor class or function named '{name}'")

    method_names = ("train",) if mode == "train" else ("run", "predict")
    if bound[0] == "class":
        hit = _find_method(project, bound, method_names)
        if hit is None:
            wanted = " or ".join(f"{m}()" for m in method_names)
            raise _Builder.fail(bound[1], bound[2], f"class {bound[2].name} has no {wanted} method")
        fn_module, _, fn = hit
        owner = f"{bound[2].name}.{fn.name}"
        params = _params(fn, fn_module, owner, method=True)
    else:
        fn_module, fn = bound[1], bound[2]
        owner = fn.name
        params = _params(fn, fn_module, owner, method=False)

    builder = _Builder(project, mode)
    input_name = "TrainingInput" if mode == "train" else "Input"
    input_schema = builder.inputs(params, fn_module, owner, input_name)
    if fn.returns is None:
        raise _Builder.fail(fn_module, fn, f"{owner} has no return annotation; add one, e.g. '-> str'")
    where = f"return type of {owner}"
    out_type = builder.type_of(fn.returns, fn_module, where)
    output_schema = builder.output(out_type, builder.output_name, fn_module, fn.returns, where, top=True)

    schemas: dict = {input_name: input_schema, builder.output_name: output_schema}
    for name_, schema in builder.models.items():
        schemas[name_] = schema
    for name_, schema in builder.enums.items():
        if name_ in schemas:
            raise _Builder.fail(fn_module, fn, f"the input '{name_}' has choices and its name clashes with the output model '{name_}'; rename one")
        schemas[name_] = schema
    schemas.update(_envelope(mode))
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": _paths(mode),
        "components": {"schemas": schemas},
    }


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    mode = "predict"
    if "--train" in args:
        args.remove("--train")
        mode = "train"
    if len(args) != 2 or any(a.startswith("-") for a in args):
        print("usage: python3 -m cog.schema [--train] PROJECT_DIR REF", file=sys.stderr)
        return 2
    try:
        doc = openapi_schema(args[0], args[1], mode)
    except SchemaError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except RecursionError:
        print(f"error: {args[1]}: the types are nested too deeply to describe", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
