"""The type stubs describe the extension exactly, and the package is marked typed (PEP 561)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import ssx
from ssx import _ssx

PACKAGE = Path(ssx.__file__).parent


def stub_names() -> dict:
    tree = ast.parse((PACKAGE / "_ssx.pyi").read_text())
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
    return names


def test_every_extension_name_has_a_stub_and_back():
    stubs = stub_names()
    public = {n for n in dir(_ssx) if not n.startswith("__")}
    assert public == set(stubs) - {"RawAddress", "SocketAddress"}


def test_stub_signatures_match_the_extension():
    stubs = stub_names()
    for name, node in stubs.items():
        if not isinstance(node, ast.FunctionDef):
            continue
        stub_args = [a.arg for a in node.args.args]
        doc = getattr(_ssx, name).__doc__ or ""
        # pybind11 puts the C++ signature first in the docstring: name(arg: type, ...) -> ret
        first = doc.splitlines()[0]
        real_args = [part.split(":")[0].strip() for part in first[first.index("(") + 1:first.rindex(")")].split(",")
                     if part.strip()] if "(" in first else []
        assert stub_args == real_args, name
    handle = stubs["TokenHandle"]
    stub_methods = {n.name for n in handle.body if isinstance(n, ast.FunctionDef)}
    real_methods = {n for n, _ in inspect.getmembers(_ssx.TokenHandle) if not n.startswith("_")}
    assert stub_methods == real_methods


def test_constants_in_stubs_are_ints():
    for name, node in stub_names().items():
        if isinstance(node, ast.AnnAssign) and name.isupper() and name != "VERSION":
            assert isinstance(getattr(_ssx, name), int), name


def test_package_is_marked_typed():
    assert (PACKAGE / "py.typed").is_file()
