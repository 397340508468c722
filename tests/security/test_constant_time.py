"""Signatures and MACs are compared in constant time: checked on the code, not by timing it.

Every function in app/ (the sandbox fakes aside) that verifies a signature, a MAC or a digest
must compare with `hmac.compare_digest`, and no comparison in app/ may use `==`/`!=` on a value
named like a signature, MAC, digest or tag. A timing measurement would be noisy and slow; what
makes a comparison constant-time is the function used, so that is what is checked.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
SECRETISH = re.compile(r"(signature|digest|mac|tag|expected)$", re.IGNORECASE)
# (module, function) pairs that verify an HMAC: each must call hmac.compare_digest.
VERIFIERS = [
    ("slack/http.py", "signature_ok"),
    ("jira_webhook.py", "signature_ok"),
    ("slack/metadata.py", None),  # signed button metadata (and the modal's private_metadata uses it)
]


def _modules() -> list[Path]:
    return [p for p in APP.rglob("*.py") if "sandbox" not in p.parts]


def _calls_compare_digest(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "compare_digest"
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id in {"hmac", "secrets"}
        for n in ast.walk(node)
    )


@pytest.mark.parametrize(("module", "function"), VERIFIERS)
def test_verifiers_use_compare_digest(module: str, function: str | None) -> None:
    tree = ast.parse((APP / module).read_text())
    if function is None:
        assert _calls_compare_digest(tree), f"{module} verifies a MAC without hmac.compare_digest"
        return
    [found] = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function]
    assert _calls_compare_digest(found), f"{module}:{function} must compare with hmac.compare_digest"


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    return ""


def test_no_equality_comparison_of_signatures_anywhere_in_app() -> None:
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                names = [_name(node.left), *(_name(c) for c in node.comparators)]
                if any(SECRETISH.search(n) for n in names if n):
                    offenders.append(f"{path.relative_to(APP.parent)}:{node.lineno}")
    assert offenders == [], "compare signatures with hmac.compare_digest, not ==/!="


def test_every_module_that_computes_an_hmac_compares_in_constant_time() -> None:
    """A new verifier (say, another webhook) cannot slip in with a plain comparison."""
    missing = []
    for path in _modules():
        text = path.read_text()
        computes = ("hmac.digest(" in text or "hmac.new(" in text) and path.name != "demo.py"  # demo signs
        if computes and not _calls_compare_digest(ast.parse(text)):
            missing.append(str(path.relative_to(APP.parent)))
    assert missing == []
