"""The README's marked code blocks (``<!-- snippet: NAME -->`` before the fence), for the tests
that run them."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_snippet(name: str) -> str:
    """The code of the README block marked ``name``."""
    match = re.search(
        rf"<!-- snippet: {re.escape(name)} -->\n```\w*\n(.*?)\n```", README.read_text(), re.S
    )
    if match is None:
        raise LookupError(f"README.md has no block marked <!-- snippet: {name} -->")
    return match.group(1)


def snippet_names() -> list[str]:
    """Every marked block's name, in README order."""
    return re.findall(r"<!-- snippet: ([\w-]+) -->", README.read_text())
