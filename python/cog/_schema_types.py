"""Type annotations understood, for :mod:`cog.schema`: an annotation of a predictor's parameter,
return value or BaseModel field becomes a :class:`_Type`, following aliases, string annotations
and the project's imports (see :mod:`cog._schema_source`). What each kind may be, as an input or
as an output, is decided where the JSON schema is made (:mod:`cog._schema_components`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from ._schema_source import _Module, _NotLiteral, _Project, _literal


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


def _unsupported(text: str, qual: str | None, module: _Module, expr: ast.expr) -> _TypeProblem:
    """The problem with the annotation `text`, resolved to `qual`, that is no supported type."""
    hint = ": use cog.Path for files" if qual == "pathlib.Path" else ""
    return _TypeProblem(f"unsupported type '{text}'{hint}", module, expr)


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
        raise _unsupported(text, qual, module, expr)

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
            raise _unsupported(text, qual, module, expr)
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
