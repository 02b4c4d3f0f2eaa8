"""The command line's help: it starts at once (no torch imported) and agrees with the code
(every option described, every choice and every dataset form listed, the README's recipe
table complete)."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agents.cli import COMMANDS, build_parser
from agents.cli.checks import dataset_help

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "torchvision", "matplotlib", "sklearn", "scipy", "tensorboard", "ray")
"""Modules ``--help`` must not import (gymnasium and numpy are allowed: the env ids and the
agent names come from them)."""

DRIVER = """
import contextlib, io, json, sys
from agents.cli import main
seen = {}
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()):
        code = main([*argv, "--help"])
    assert code == 0, (argv, code)
    seen[" ".join(argv) or "t2s"] = [m for m in json.loads(sys.argv[2]) if m in sys.modules]
print(json.dumps(seen))
"""


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_help_imports_no_torch():
    """``t2s --help`` and every ``t2s SUB --help``, in a fresh interpreter, one after the other;
    after each, none of the heavy modules is loaded (so none was, by any of them)."""
    argvs = [[], *([name] for name in COMMANDS)]
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(argvs), json.dumps(HEAVY)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert list(seen) == ["t2s", *COMMANDS]
    assert {cmd: heavy for cmd, heavy in seen.items() if heavy} == {}


def described(text: str | None) -> bool:
    """Help that says something beyond a parenthesised default such as ``(64)``."""
    return (
        bool(text)
        and text != argparse.SUPPRESS
        and re.search(r"[a-z]{3}", re.sub(r"\([^)]*\)", "", text))
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_is_described_and_lists_its_choices(command):
    sub = subparsers()[command]
    page = " ".join(sub.format_help().split())
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        name = "/".join(action.option_strings) or action.dest
        assert described(action.help), f"t2s {command} {name} has no description: {action.help!r}"
        for choice in action.choices or ():
            assert str(choice) in page, f"t2s {command} {name}: choice {choice!r} not in its help"


def test_recipe_options_offer_every_preset():
    from t2s_env.pretrain import RECIPES

    for command in ("train", "sweep", "recommend"):
        (recipe,) = (a for a in subparsers()[command]._actions if "--recipe" in a.option_strings)
        assert sorted(recipe.choices) == sorted(RECIPES), command


def test_dataset_help_lists_every_form():
    from t2s_env.datasets import LIVE_TASKS
    from t2s_env.datasets.spec import SETTINGS
    from t2s_env.datasets.torchvision_tasks import known_torchvision_tasks

    text = dataset_help()
    forms = ["digits", "fashion-mnist", "folder:", "torchvision:NAME", "NAME[:ROOT]", "?KEY=VALUE"]
    for word in [*forms, *LIVE_TASKS, *SETTINGS, *known_torchvision_tasks()]:
        assert word in text, word
    # ... and it is the help of every option that takes a dataset.
    parsers = subparsers()
    for command, dest in (("embed", "dataset"), ("recommend", "dataset"), ("train", "tasks"),
                          ("sweep", "tasks")):  # fmt: skip
        (action,) = (a for a in parsers[command]._actions if a.dest == dest)
        assert text in action.help, (command, dest)


def test_readme_recipe_table_lists_every_preset():
    from t2s_env.pretrain import RECIPES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| recipe  | backbone", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9_-]+)`", table, flags=re.M)
    assert sorted(rows) == sorted(RECIPES)


@pytest.mark.parametrize("package", ["t2s_env.task2vec", "t2s_env.pretrain"])
def test_lazy_packages_export_all_their_names(package):
    """The packages whose ``__init__`` imports on first use: ``__all__`` is exactly what they
    import lazily, and every name resolves (to the object its module defines)."""
    import importlib

    module = importlib.import_module(package)
    lazy = sorted(name for names in module._MODULES.values() for name in names)
    assert sorted(module.__all__) == lazy
    for home, names in module._MODULES.items():
        defining = importlib.import_module(f"{package}.{home}")
        for name in names:
            assert getattr(module, name) is getattr(defining, name)
    assert set(lazy) <= set(dir(module))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        module.nothing  # noqa: B018
