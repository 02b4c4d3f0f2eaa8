"""What the sub-commands check before they start work: numbers in range, inputs that are files
of the right kind, outputs that can be written, simulator factories that give a simulator.

Outputs are checked by writing (and removing) a probe file in the nearest existing folder, so
a read-only file system, a file in the way or a missing permission is found before an hour of
work, not after it. A write that fails anyway goes to a recovery file (:func:`write_output`)
whose path the error names.

>>> import argparse
>>> at_least(1)("3")
3
>>> at_least(1)("0")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: must be an integer >= 1, got '0'
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agents.cli import UsageError


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer ``>= minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def positive_float(text: str) -> float:
    """An argparse ``type``: a finite number ``> 0``."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """An argparse ``type``: a finite number ``>= 0``."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def torch_device(text: str) -> str:
    """An argparse ``type``: a torch device string (``cpu``, ``cuda``, ``cuda:1``) or ``auto``."""
    if text == "auto":
        return text
    import torch

    try:
        torch.device(text)
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f"must be a torch device such as cpu, cuda or cuda:0 (or auto), got {text!r}"
        ) from None
    return text


def parse_list(
    text: str, option: str, item: Callable[[str], Any], what: str, example: str = "0,1,2"
) -> list[Any]:
    """A comma-separated list of ``option``, each item read by ``item`` (which raises
    ``ValueError`` or ``ArgumentTypeError`` on a bad one); an empty list, an empty item
    (``1,,2``, ``1,``) or a bad item is a :class:`UsageError` naming it.

    >>> parse_list("0, 1,4", "--budgets", int, "integers >= 0")
    [0, 1, 4]
    """
    pieces = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in pieces):
        raise UsageError(
            f"{option} {text!r} has an empty item; give comma-separated {what} (e.g. {example})"
        )
    out = []
    for p in pieces:
        try:
            out.append(item(p))
        except (ValueError, argparse.ArgumentTypeError):
            raise UsageError(
                f"{option} {text!r}: {p!r} is not one of the {what} it takes"
            ) from None
    return out


def option_name(dest: str) -> str:
    """``loto_seeds`` -> ``--loto-seeds``."""
    return "--" + dest.replace("_", "-")


def refuse_unused(
    args: argparse.Namespace, dests: Sequence[str], why: str, positional: Sequence[str] = ()
) -> None:
    """A :class:`UsageError` if the command line gave any of the options ``dests``, which have
    no effect here (``why`` says when they would): a silently ignored option hides a mistake.
    Options given are the ``args.given`` that :func:`agents.cli.main` records; ``positional``
    names the dests that are positional arguments (shown in capitals)."""
    given = [d for d in dests if d in getattr(args, "given", ())]
    if given:
        names = ", ".join(d.upper() if d in positional else option_name(d) for d in given)
        raise UsageError(f"{names} {'has' if len(given) == 1 else 'have'} no effect {why}")


# -- inputs ------------------------------------------------------------------------------------
def input_file(path: str | Path, option: str, what: str) -> Path:
    """``path`` as a ``Path`` if it is an existing file; else a :class:`UsageError`."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{option} {p} is a directory; give {what}")
    if not p.is_file():
        raise UsageError(f"{option} {p} does not exist; give {what}")
    return p


def read_json_file(path: Path, option: str, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{option}: {path} is not {what} (unreadable JSON: {exc})") from exc


def read_embedding(path: str | Path, option: str = "--embedding") -> Any:
    """A :class:`~t2s_env.task2vec.TaskEmbedding` from a ``t2s embed`` file, checked: one finite,
    non-zero vector of the shipped embeddings' size."""
    from t2s_env.data import load_task2vec
    from t2s_env.task2vec import TaskEmbedding

    p = input_file(path, option, "an embedding .npz written by t2s embed")
    try:
        emb = TaskEmbedding.load(p)
        vector = emb.vector
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, TypeError, KeyError) as exc:
        raise UsageError(f"{option} {p} is not a Task2Vec embedding file ({exc})") from exc
    dim = load_task2vec().embedding.shape[1]
    if vector.ndim != 1 or vector.shape[0] != dim:
        raise UsageError(
            f"{option} {p}: the embedding has shape {vector.shape}, expected ({dim},) "
            "(a ResNet-18 probe's Task2Vec vector)"
        )
    if not np.all(np.isfinite(vector)) or not np.any(vector):
        raise UsageError(
            f"{option} {p}: the embedding is all zeros or not finite, so it points nowhere; "
            "embed the dataset again"
        )
    if not isinstance(emb.meta, dict):
        raise UsageError(f"{option} {p}: the embedding's meta record is not a dict")
    return emb


# -- outputs -----------------------------------------------------------------------------------
def _nearest_existing(p: Path) -> Path:
    p = p.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _probe_folder(folder: Path, option: str, target: Path) -> None:
    """Write and remove a probe file in ``folder`` (an existing folder)."""
    if not folder.is_dir():
        raise UsageError(f"{option} {target}: {folder} is a file, not a folder")
    try:
        fd, name = tempfile.mkstemp(prefix=".t2s-probe-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise UsageError(
            f"{option} {target} cannot be written ({exc.strerror} in {folder})"
        ) from exc


def output_file(path: str | Path, option: str, suffix: str | None = None) -> Path:
    """Check that the file ``path`` can be written (its folders may be missing): not a
    directory, no file in the way of its folders, writable. ``suffix``: the name must end so."""
    p = Path(path)
    if suffix is not None and p.suffix != suffix:
        raise UsageError(f"{option} {p} must be a file name ending in {suffix}")
    if p.is_dir():
        raise UsageError(f"{option} {p} is a directory; give a file name")
    if p.exists():
        if not p.is_file():
            raise UsageError(f"{option} {p} exists and is not a regular file")
        try:
            with open(p, "ab"):
                pass
        except OSError as exc:
            raise UsageError(f"{option} {p} cannot be written ({exc.strerror})") from exc
        return p
    _probe_folder(_nearest_existing(p.parent), option, p)
    return p


def output_dir(path: str | Path, option: str) -> Path:
    """Check that files can be written in the folder ``path`` (which may not exist yet)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{option} {p} exists and is not a folder")
    _probe_folder(_nearest_existing(p), option, p)
    return p


def recovery_path(name: str) -> Path:
    """A fresh file path in the temporary folder for output that could not go where asked."""
    folder = Path(tempfile.gettempdir()) / f"t2s-recovered-{time.strftime('%Y%m%d-%H%M%S')}"
    folder.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkstemp(prefix="", suffix=f"-{name}", dir=folder)[1])


def write_output(path: Path, option: str, write: Callable[[Path], None]) -> Path:
    """``write(tmp)`` to a temporary file then moved over ``path`` (:func:`t2s_env.files.
    write_atomic`: a symlink at ``path`` is replaced, never followed); if that fails (the disk
    filled up, the folder went away), to a :func:`recovery_path` instead and raise a
    :class:`UsageError` naming both."""
    from t2s_env.files import write_atomic

    try:
        return write_atomic(path, write)  # never half a file, never through a symlink
    except OSError as exc:
        spare = recovery_path(path.name)
        try:
            write_atomic(spare, write)
        except OSError as exc2:
            raise UsageError(
                f"cannot write {option} {path} ({exc}) nor the recovery file {spare} ({exc2}); "
                "the results are lost"
            ) from exc
        raise UsageError(
            f"cannot write {option} {path} ({exc}); the results were saved to {spare}"
        ) from exc


# -- simulators --------------------------------------------------------------------------------
def load_simulator(spec: str | None, option: str = "--simulator") -> Any:
    """The package's default simulator (``None`` or ``"default"``) or ``module:factory()``,
    checked to be a :class:`~t2s_env.simulator.Simulator`."""
    from t2s_env.rewards.live import default_simulator
    from t2s_env.simulator import Simulator

    if spec in (None, "default"):
        return default_simulator()
    module, sep, attr = spec.partition(":")
    if not sep or not module or not attr:
        raise UsageError(
            f"{option} must be 'default' or package.module:factory (e.g. mypkg.sims:MySim), "
            f"got {spec!r}"
        )
    from agents.plugins import PluginError, call_plugin, import_factory

    try:
        factory = import_factory(spec)
        sim = call_plugin(spec, "the factory, called without arguments,", factory)
    except PluginError as exc:
        raise UsageError(f"{option}: {exc}") from exc
    if not isinstance(sim, Simulator):
        raise UsageError(
            f"{option}: {spec!r}() returned a {type(sim).__name__}, not a Simulator (it needs "
            "name, version, space and render_batches)"
        )
    return sim


TABLES = ("paper", "cpu", "cpu-v1")
"""The packaged reward tables a ``--table`` option names (``cpu`` is ``Task2Sim-CPU-v0``)."""
TABLE_HELP = (
    "reward table: the paper's 20 tasks (default), the measured CPU table's 8 live tasks "
    "(cpu: Task2Sim-CPU-v0; each query draws one seed replicate) or v1's 26 live tasks in "
    "transformation families, with learning curves (cpu-v1: Task2Sim-CPU-v1)"
)


def add_table_option(p: argparse.ArgumentParser, paths: bool = False) -> None:
    """``--table``: a packaged table's name (:data:`TABLES`), or with ``paths`` also the path of
    a replicate table file (``.npz``, its ``.json`` beside, as an export writes it)."""
    if not paths:
        p.add_argument("--table", choices=TABLES, default="paper", help=TABLE_HELP)
        return
    p.add_argument(
        "--table",
        type=_table_name,
        default="paper",
        metavar="{" + ",".join(TABLES) + ",PATH.npz}",
        help=TABLE_HELP + ", or the path of a replicate table file (.npz, its .json beside), "
        "such as an exported table with learning curves",
    )


def _table_name(value: str) -> str:
    if value in TABLES or value.endswith(".npz"):
        return value
    raise argparse.ArgumentTypeError(
        f"choose from {', '.join(TABLES)} or the path of a table file ending in .npz, got {value!r}"
    )


def table_source(table: str) -> Any:
    """The reward source of a ``--table`` value: a TableRewardSource for ``paper``, the
    ReplicateRewardSource of a measured CPU table for ``cpu`` (v0) and ``cpu-v1``, else that of
    the replicate table file ``table`` (a bad file raises a DataFileError naming it)."""
    from t2s_env.envs.cpu import table_source as cpu_table_source
    from t2s_env.rewards import ReplicateRewardSource, TableRewardSource

    if table == "paper":
        return TableRewardSource()
    if table == "cpu":
        return cpu_table_source("cpu-v0")
    if table == "cpu-v1":
        return cpu_table_source("cpu-v1")
    return ReplicateRewardSource.from_file(table)


def dataset_help() -> str:
    """Every form a dataset spec takes (:mod:`t2s_env.datasets.spec`), for an option's help."""
    from t2s_env.datasets import LIVE_TASKS
    from t2s_env.datasets.spec import SETTINGS
    from t2s_env.datasets.torchvision_tasks import known_torchvision_tasks

    return (
        "a dataset spec: digits (offline) | fashion-mnist[:DIR] (Debian's idx files) | "
        "folder:DIR, or any path with a / (DIR/<class>/*.png or DIR/{train,test}/<class>/) | "
        f"torchvision:NAME[:ROOT] or NAME[:ROOT], NAME one of {', '.join(known_torchvision_tasks())} "
        f"(ROOT default $T2S_DATA_ROOT/name) | a named live task: {', '.join(LIVE_TASKS)}; "
        f"any of them may end in ?KEY=VALUE&... with KEY one of {', '.join(SETTINGS)} (e.g. "
        "digits?shots=20&test=200&classes=0+1+2)"
    )
