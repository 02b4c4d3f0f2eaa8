"""The ``t2s`` command line: one sub-command per module in this package.

Each module ``agents/cli/<name>.py`` defines ``add_parser(subparsers)`` (which registers its
sub-command and sets ``func``) and is listed in :data:`COMMANDS`.

Every sub-command runs inside one wrapper (:func:`main`): an error the user caused (a bad
argument, a missing, damaged or wrong-kind file, an unwritable output: :data:`USER_ERRORS`)
prints one line, ``t2s: error: ...``, and exits with status 2; any other exception is a bug and
shows its traceback. ``t2s --debug ...`` (or ``--debug`` after the sub-command) shows the
traceback of user errors too. Sub-commands raise :class:`UsageError` for what they check
themselves; new sub-commands get the wrapper for free.

>>> main(["train", "task2sim", "--checkpoint-every", "0"])
2
"""

from __future__ import annotations

import argparse
import importlib
import sys
import zipfile
import zlib
from collections.abc import Sequence

COMMANDS: tuple[str, ...] = (
    "info", "train", "evaluate", "plot", "render", "sweep", "embed", "recommend", "suggest",
)  # fmt: skip
"""Sub-command modules, in the order ``t2s --help`` lists them."""


class UsageError(ValueError):
    """A user error a sub-command found: the message names the argument, file or value and
    what would be accepted."""


def _user_errors() -> tuple[type[BaseException], ...]:
    import gymnasium

    return (
        UsageError,
        ValueError,  # argument validation everywhere (and json / CheckpointError / DatasetError)
        KeyError,  # unknown names (UnknownTaskError)
        OSError,  # missing, unreadable or unwritable files
        EOFError,  # truncated files
        zipfile.BadZipFile,  # damaged npz files
        zlib.error,
        ImportError,  # a module named on the command line (--simulator, --agents mod:factory)
        RuntimeError,  # the project's StoreError, DataFileError, ProbeWeightsError, "no simulator"
        gymnasium.error.Error,  # an env id gymnasium does not know
    )


USER_ERRORS = _user_errors()
"""Exception types :func:`main` reports as one line (everything else is a bug: traceback)."""


def error_message(exc: BaseException) -> str:
    """One line saying what went wrong (a ``KeyError``'s message without its quotes)."""
    if isinstance(exc, KeyError) and type(exc).__str__ is KeyError.__str__ and exc.args:
        text = str(exc.args[0])
    else:
        text = str(exc) or type(exc).__name__
    own = type(exc).__module__.split(".")[0] in ("agents", "t2s_env")  # messages that say it all
    if not (own or isinstance(exc, (ValueError, KeyError))) or not str(exc):
        text = f"{type(exc).__name__}: {text}"
    return " ".join(text.split())


class _Parser(argparse.ArgumentParser):
    """argparse with its errors in the wrapper's one-line form."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"t2s: error: {' '.join(message.split())} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="t2s",
        description="Task2Sim-Gym: learn which synthetic pre-training data suits a task.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of every error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"agents.cli.{name}").add_parser(sub)
    for p in sub.choices.values():
        p.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    return parser


def _suppress_defaults(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(**dict.fromkeys(parser._defaults, argparse.SUPPRESS))
    for action in parser._actions:
        if action.option_strings:
            action.default = argparse.SUPPRESS
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _suppress_defaults(sub)


def given_options(argv: Sequence[str]) -> set[str]:
    """The ``dest`` of every option written on the command line ``argv`` (already parsed once
    without error): what a sub-command checks to refuse options that have no effect."""
    parser = build_parser()
    _suppress_defaults(parser)
    given = vars(parser.parse_args(argv))
    return {k for k, v in given.items() if v is not None} - {"command", "func", "debug"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``t2s`` script."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a one-line usage error (2)
        return int(exc.code or 0)
    args.given = given_options(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"t2s {args.command}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        if args.debug:
            raise
        print(f"t2s: error: {error_message(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
