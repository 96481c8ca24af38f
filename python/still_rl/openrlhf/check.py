"""Runs OpenRLHF's own argument parser and post-parse checks on a compiled command line, without a GPU.

``train_ppo_ray`` builds its parser and validates the parsed arguments inline under ``if __name__ ==
"__main__":``, and importing the module needs vLLM. So the module is located, parsed with ``ast``, and only
that block is executed, with ``train`` replaced by a function that captures the final arguments. Abbreviated
flags are refused (argparse would accept ``--algo.kl.init`` for ``--algo.kl.init_coef``).

usage: python -m still_rl.openrlhf.check -- FLAG... ; prints one JSON object:
``{"ok": bool, "errors": [{"flags": [...], "message": str}], "warnings": [str], "args": {...}}``
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import io
import json
import math
import re
import sys
import traceback
from types import SimpleNamespace
from typing import Any

MODULE = "openrlhf.cli.train_ppo_ray"


def _main_block(tree: ast.Module) -> ast.If:
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name)
            and node.test.left.id == "__name__"
        ):
            return node
    raise RuntimeError(f"{MODULE}: no `if __name__ == '__main__':` block (an OpenRLHF version this check does not know)")


def _flags_in(node: ast.AST) -> list[str]:
    """``args.algo.kl.use_loss`` in an expression → ``--algo.kl.use_loss``."""
    flags: list[str] = []
    methods = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and id(sub) not in methods:
            parts: list[str] = []
            cur: ast.AST = sub
            while isinstance(cur, ast.Attribute):
                parts.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name) and cur.id == "args" and len(parts) >= 2:
                flag = "--" + ".".join(reversed(parts))
                if flag not in flags and not any(f.startswith(flag + ".") for f in flags):
                    flags.append(flag)
    return [f for f in flags if not any(g != f and g.startswith(f + ".") for g in flags)]


def _run_imports(tree: ast.Module, scope: dict[str, Any]) -> None:
    """The module's top-level imports that the block uses (datetime, os); those needing vLLM or a GPU fail and are
    left out: the parser and the checks do not touch them."""
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = {a.asname or a.name.split(".")[0] for a in node.names}
            if names & {"argparse", "train"}:
                continue
            with contextlib.suppress(Exception):
                exec(compile(ast.Module(body=[node], type_ignores=[]), "<imports>", "exec"), scope)  # noqa: S102


def _located_error(block: ast.If, line: int | None, err: Exception) -> dict[str, Any]:
    """The flags a failed check reads: its own statement's and those of every `if` it sits in."""
    flags: list[str] = []
    message = str(err)
    if line is not None:
        for node in ast.walk(block):
            if node is block or not isinstance(node, ast.stmt):
                continue
            if not (node.lineno <= line <= (node.end_lineno or node.lineno)):
                continue
            if isinstance(node, ast.If):
                flags += _flags_in(node.test)
            elif isinstance(node, ast.Assert):
                flags += _flags_in(node.test)
                message = message or ast.unparse(node.test)
            elif not isinstance(node, (ast.For, ast.While, ast.With, ast.Try)):
                flags += _flags_in(node)
    if not isinstance(err, AssertionError):
        message = f"{type(err).__name__}: {message}"
    return {"flags": list(dict.fromkeys(flags)), "message": message}


class _Refused(Exception):
    pass


def _strict_parser_class(base: type[argparse.ArgumentParser]) -> type[argparse.ArgumentParser]:
    class StrictParser(base):  # type: ignore[misc, valid-type]
        def __init__(self, *a: Any, **kw: Any) -> None:
            kw["allow_abbrev"] = False
            super().__init__(*a, **kw)

        def error(self, message: str) -> None:  # argparse would print usage and exit 2
            raise _Refused(message)

    return StrictParser


def _to_plain(ns: Any) -> Any:
    if isinstance(ns, SimpleNamespace):
        return {k: _to_plain(v) for k, v in vars(ns).items()}
    if isinstance(ns, (list, tuple)):
        return [_to_plain(v) for v in ns]
    if isinstance(ns, float) and not math.isfinite(ns):
        return repr(ns)  # JSON has no inf/nan (OpenRLHF turns "-1 = never" into float("inf"))
    return ns if isinstance(ns, (str, int, float, bool, type(None))) else repr(ns)


def check(argv: list[str]) -> dict[str, Any]:
    spec = importlib.util.find_spec(MODULE)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{MODULE} is not importable from {sys.executable}")
    source = open(spec.origin, encoding="utf-8").read()
    tree = ast.parse(source, spec.origin)
    block = _main_block(tree)
    code = compile(ast.Module(body=block.body, type_ignores=[]), spec.origin, "exec")

    captured: dict[str, Any] = {}
    strict_argparse = SimpleNamespace(**{k: getattr(argparse, k) for k in dir(argparse) if not k.startswith("__")})
    strict_argparse.ArgumentParser = _strict_parser_class(argparse.ArgumentParser)
    scope: dict[str, Any] = {"__name__": "__still_check__", "argparse": strict_argparse, "train": lambda a: captured.setdefault("args", a)}
    _run_imports(tree, scope)
    out = io.StringIO()
    errors: list[dict[str, Any]] = []
    saved_argv = sys.argv
    sys.argv = ["train_ppo_ray", *argv]
    try:
        with contextlib.redirect_stdout(out):
            exec(code, scope)  # noqa: S102 - OpenRLHF's own, installed source
    except _Refused as err:
        message = str(err)
        errors.append({"flags": re.findall(r"--[\w.]+", message), "message": message})
    except Exception as err:  # an assert or any other failure of OpenRLHF's own checks
        line = next(
            (f.lineno for f in reversed(traceback.extract_tb(err.__traceback__)) if f.filename == spec.origin),
            None,
        )
        errors.append(_located_error(block, line, err))
    finally:
        sys.argv = saved_argv
    warnings = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    return {
        "ok": not errors,
        "errors": errors,
        "warnings": warnings,
        "args": _to_plain(captured["args"]) if "args" in captured else None,
    }


def main() -> int:
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    print(json.dumps(check(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
