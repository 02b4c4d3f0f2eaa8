"""Plug-ins: objects a user names as ``package.module:factory`` (agents and advisors for ``t2s
evaluate --agents``, simulators for ``--simulator``). Importing the module and calling the
factory run foreign code; every failure of it (a syntax error, an exception or ``sys.exit`` on
import, a factory that fails or takes the wrong arguments) becomes a :class:`PluginError` whose
one-line message names the entry and the problem.

>>> import_factory("math:nope")
Traceback (most recent call last):
...
agents.plugins.PluginError: math:nope: module 'math' has no attribute 'nope'
>>> call_plugin("math:sqrt", "the factory", __import__("math").sqrt, -1)
Traceback (most recent call last):
...
agents.plugins.PluginError: math:sqrt: the factory raised ValueError: math domain error
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["PluginError", "call_plugin", "check_seed_parameter", "import_factory"]


class PluginError(ValueError):
    """A plug-in (``package.module:factory``) cannot be used: its module does not import, its
    factory fails or takes the wrong arguments, or what it builds is not what was asked for
    (an agent or an advisor, a simulator). The message names the entry and the problem, in one
    line."""


def import_factory(path: str, what: str = "factory") -> Callable[..., Any]:
    """The factory named ``package.module:factory``; every failure of the import (a syntax
    error, an exception, ``sys.exit`` while importing) is a :class:`PluginError`."""
    module, sep, attr = path.partition(":")
    if not sep or not module or not attr:
        raise PluginError(f"a plug-in is named package.module:factory, got {path!r}")
    if os.getcwd() not in sys.path:  # as ``python -m`` would: modules of the working folder
        sys.path.insert(0, os.getcwd())
    try:
        mod = importlib.import_module(module)
    except SyntaxError as exc:
        raise PluginError(
            f"{path}: module {module!r} has a syntax error ({exc.msg}, {exc.filename} line "
            f"{exc.lineno})"
        ) from exc
    except ImportError as exc:
        raise PluginError(f"{path}: cannot import module {module!r}: {exc}") from exc
    except SystemExit as exc:
        raise PluginError(
            f"{path}: importing module {module!r} called sys.exit({exc.code!r})"
        ) from exc
    except Exception as exc:  # noqa: BLE001 (any failure of foreign code is the plug-in's)
        raise PluginError(
            f"{path}: importing module {module!r} raised {type(exc).__name__}: {exc}"
        ) from exc
    factory = getattr(mod, attr, None)
    if factory is None:
        raise PluginError(f"{path}: module {module!r} has no attribute {attr!r}")
    if not callable(factory):
        raise PluginError(f"{path} is a {type(factory).__name__}, not a {what} (a callable)")
    return factory


def check_seed_parameter(factory: Callable[..., Any], source: str) -> None:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # no signature to read (some builtins): calling tells
        return
    kinds = {p.kind for p in params}
    named = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if "seed" not in named and inspect.Parameter.VAR_KEYWORD not in kinds:
        raise PluginError(
            f"{source}: the factory takes no seed parameter; write it as factory(seed) (or "
            "factory(seed=0)) returning a fresh agent or advisor"
        )


def call_plugin(source: str, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with any failure of the plug-in raised as a :class:`PluginError`
    naming ``source``; the project's own errors inside it keep their type."""
    try:
        return fn(*args, **kwargs)
    except (KeyboardInterrupt, PluginError):
        raise
    except SystemExit as exc:
        raise PluginError(f"{source}: {what} called sys.exit({exc.code!r})") from exc
    except Exception as exc:  # noqa: BLE001 (any failure of foreign code is the plug-in's)
        raise PluginError(f"{source}: {what} raised {type(exc).__name__}: {exc}") from exc
