"""Reading a Cog project's Python source for :mod:`cog.schema`; nothing in it is imported or run.

The project's files are parsed with :mod:`ast` on demand, each once. Imports between them are
followed, and a name (or dotted attribute, or alias) is resolved to what it is bound to: a
qualified name outside the project (``typing.List``, ``cog.Path``), a module of the project, or a
class, function or value defined in one of its files. Literal values (defaults, ``Input()``
options) are read the same way, following module-level constants.
"""

from __future__ import annotations

import ast
import math
import os
from dataclasses import dataclass, field
from typing import Any


class SchemaError(Exception):
    """The predictor cannot be described; the message names the file, line and parameter."""


# Raised from every part of the generator; its public home is cog.schema, which re-exports it.
SchemaError.__module__ = "cog.schema"


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
#: The same, longest first, so that the most specific prefix matches.
_TYPING_PREFIXES = sorted(_TYPING_MODULES, key=len, reverse=True)


def _normalize(qual: str) -> str:
    """One spelling per name: `typing_extensions.X`/`collections.abc.X` → `typing.X`, `cog.types.X` → `cog.X`."""
    for module in _TYPING_PREFIXES:
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
