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
import os
import sys

from ._schema_components import _Builder, _Param
from ._schema_envelope import _component_names, _envelope, _paths
from ._schema_source import SchemaError, _Module, _Project
from .predictor import DEFAULT_NAMES, METHODS, parse_ref, with_py_suffix

__all__ = ["SchemaError", "openapi_schema", "main"]


# ---------------------------------------------------------------------------------------------
# Finding the predictor
# ---------------------------------------------------------------------------------------------


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
    file, name = parse_ref(ref.strip())
    file, name = file.strip(), (name and name.strip()) or None  # spaces around either are ignored
    if not file:
        raise SchemaError(f"bad reference {ref!r}; expected e.g. 'predict.py:Predictor'")
    path = os.path.join(project.root, file)
    if not file.endswith(".py"):
        path = with_py_suffix(path)
    if not os.path.isfile(path):
        raise SchemaError(f"{file}: file not found in {project_dir}")
    module = project.load(path)

    if name is None:
        # Unlike the worker, a training reference may also name a Runner or Predictor class.
        candidates = ("Trainer", "Runner", "Predictor", "train") if mode == "train" else DEFAULT_NAMES[mode]
        bound = next((b for b in (project.lookup(module, c) for c in candidates) if b is not None and b[0] in ("class", "func")), None)
        if bound is None:
            wanted = " or ".join(f"'{c}'" for c in candidates)
            raise SchemaError(f"{module.display}: no class named {wanted}; name the predictor in the reference, e.g. '{file}:MyPredictor'")
    else:
        bound = project.lookup(module, name)
        if bound is None or bound[0] not in ("class", "func"):
            what = "is not defined" if bound is None or bound[0] == "missing" else "is not a class or function"
            raise SchemaError(f"{module.display}: '{name}' {what}; expected a predictor class or function named '{name}'")

    method_names = METHODS[mode]
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
    input_name, output_name = _component_names(mode)
    input_schema = builder.inputs(params, fn_module, owner, input_name)
    if fn.returns is None:
        raise _Builder.fail(fn_module, fn, f"{owner} has no return annotation; add one, e.g. '-> str'")
    where = f"return type of {owner}"
    out_type = builder.type_of(fn.returns, fn_module, where)
    output_schema = builder.output(out_type, output_name, fn_module, fn.returns, where, top=True)

    schemas: dict = {input_name: input_schema, output_name: output_schema}
    schemas.update(builder.models)
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
