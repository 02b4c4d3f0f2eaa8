"""Names a package exports from its modules, imported on first use (PEP 562).

A package whose ``__init__`` imports torch code would make every user of its light parts (a
configuration dataclass, a table of presets) pay for torch: ``t2s --help`` took 6 to 60 s on
a busy 2-core machine. ``__getattr__, __dir__ = lazy_exports(__name__, {"module": ("name",
...)})`` instead imports ``package.module`` the first time one of its names is read.

>>> from t2s_env.task2vec import Task2VecConfig  # t2s_env.task2vec.config: no torch
>>> Task2VecConfig().image_size
224
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, modules: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name of ``modules[m]`` is read from
    ``package.m`` when first asked for (then kept in the package, so later reads are plain)."""
    home = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *home})

    return __getattr__, __dir__
