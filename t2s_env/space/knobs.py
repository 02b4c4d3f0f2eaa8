"""Simulator knobs as data, and lossless conversions between the three forms of a configuration.

A *configuration* tells a simulator how to vary its images: one option per knob. It has three
equivalent forms:

- an **action**: ``np.ndarray`` of option indices, one per *varying* knob (a knob with more than
  one option), in the order of :attr:`KnobSpace.varying` -- what a ``MultiDiscrete`` space holds;
- a **dict** ``{knob name: option value}`` over *every* knob -- what a simulator receives;
- a **key** ``"v1_v2_..._vn"``: every knob's option value joined by ``_`` in alphabetical order of
  the knob names -- the paper's reward-table key.

>>> from t2s_env.space import PAPER_SPACE
>>> PAPER_SPACE.nvec.tolist()
[2, 2, 2, 2, 2, 2, 2, 2]
>>> key = PAPER_SPACE.action_to_key([1, 1, 1, 1, 1, 1, 1, 1])
>>> key
'1_1_1_1_1_3_0_1_1'
>>> PAPER_SPACE.key_to_dict(key)["materials"]
3
>>> PAPER_SPACE.key_to_action(key).tolist()
[1, 1, 1, 1, 1, 1, 1, 1]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from t2s_env.data import load_knob_records

OptionValue = int | float | str


def _integral(values: object, name: str, what: str) -> np.ndarray:
    """``values`` as int64: integer and bool arrays as they are, float arrays only when every
    entry is a whole number; otherwise ``ValueError`` naming ``name``."""
    try:
        arr = np.asarray(values)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of {what}: {e}") from None
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iub":
        raise ValueError(f"{name} must hold integer {what}, got dtype {arr.dtype}")
    return arr.astype(np.int64)


@dataclass(frozen=True)
class Knob:
    """One simulator knob.

    Attributes:
        name: Identifier, also its place in the key (knobs are ordered alphabetically by name).
        options: The values the simulator receives, one per option; option index ``i`` of an
            action means ``options[i]``. A knob with one option is fixed (not part of actions).
        meaning: One line saying what the knob does in the simulator.
        option_meanings: Optional one-line meaning of each option.
    """

    name: str
    options: tuple[OptionValue, ...]
    meaning: str
    option_meanings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or "_" == self.name[0]:
            raise ValueError(f"knob name must be a non-empty identifier, got {self.name!r}")
        if len(self.options) == 0:
            raise ValueError(f"knob {self.name!r} needs at least one option")
        strings = [str(o) for o in self.options]
        if len(set(strings)) != len(strings):
            raise ValueError(f"knob {self.name!r} has repeated options {self.options}")
        if any("_" in s for s in strings):
            raise ValueError(f"knob {self.name!r}: option values may not contain '_' ({strings})")
        if self.option_meanings and len(self.option_meanings) != len(self.options):
            raise ValueError(
                f"knob {self.name!r}: {len(self.option_meanings)} option meanings "
                f"for {len(self.options)} options"
            )

    @property
    def n(self) -> int:
        """Number of options."""
        return len(self.options)

    @property
    def fixed(self) -> bool:
        """True for a knob with a single option (not part of actions)."""
        return self.n == 1

    def index(self, value: OptionValue) -> int:
        """Option index of ``value``; raises ``ValueError`` naming the allowed values."""
        for i, option in enumerate(self.options):
            if option == value or str(option) == str(value):
                return i
        raise ValueError(
            f"knob {self.name!r} has no option {value!r}; allowed: {list(self.options)}"
        )


@dataclass(frozen=True)
class KnobSpace:
    """An ordered set of knobs (sorted by name) and the conversions between configuration forms.

    Args:
        knobs: The knobs, in any order; they are stored sorted by name.
        name: A short label for the space (e.g. ``"paper"``).
    """

    knobs: tuple[Knob, ...]
    name: str = "custom"
    _by_name: dict[str, Knob] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        knobs = tuple(sorted(self.knobs, key=lambda k: k.name))
        names = [k.name for k in knobs]
        if len(set(names)) != len(names):
            raise ValueError(f"repeated knob names in {names}")
        if not any(not k.fixed for k in knobs):
            raise ValueError("a knob space needs at least one knob with two or more options")
        object.__setattr__(self, "knobs", knobs)
        object.__setattr__(self, "_by_name", {k.name: k for k in knobs})

    # -- structure -----------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        """All knob names, alphabetical (the key order)."""
        return tuple(k.name for k in self.knobs)

    @cached_property
    def varying(self) -> tuple[Knob, ...]:
        """The knobs with more than one option, in action order."""
        return tuple(k for k in self.knobs if not k.fixed)

    @cached_property
    def nvec(self) -> np.ndarray:
        """Options per varying knob: the ``nvec`` of the ``MultiDiscrete`` action space."""
        return np.array([k.n for k in self.varying], dtype=np.int64)

    @property
    def size(self) -> int:
        """Number of distinct configurations."""
        return int(np.prod(self.nvec))

    def __getitem__(self, name: str) -> Knob:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"unknown knob {name!r}; knobs: {list(self.names)}") from None

    def __len__(self) -> int:
        return len(self.varying)

    # -- validation ----------------------------------------------------------------------------
    def validate_action(self, action: object) -> np.ndarray:
        """Return ``action`` as an int64 array, or raise ``ValueError`` naming what is wrong.

        Integer, bool and integral float arrays are accepted (what ``MultiDiscrete`` samples
        and what most RL libraries emit).
        """
        return self.validate_actions(np.asarray(action)[None], name="action")[0]

    def validate_actions(
        self, actions: object, n: int | None = None, *, name: str = "actions"
    ) -> np.ndarray:
        """A batch ``(n, len(self))`` of actions as an int64 array, validated all at once.

        The same rules as :meth:`validate_action`, row by row; the error names the first bad
        row and knob:

        >>> PAPER_SPACE.validate_actions([[0] * 8, [1.0] * 8]).dtype
        dtype('int64')
        >>> PAPER_SPACE.validate_actions([[0] * 8, [0] * 7 + [2]])
        Traceback (most recent call last):
        ...
        ValueError: actions[1, 7] = 2 is out of range for knob 'pose_scale': allowed 0..1 (options [0, 1])
        """
        arr = _integral(actions, name, "option indices")
        k = len(self.varying)
        if arr.ndim != 2 or arr.shape[1] != k or (n is not None and arr.shape[0] != n):
            shape = f"({k},)" if name == "action" else f"({'n' if n is None else n}, {k})"
            got = arr.shape[1:] if name == "action" else arr.shape
            per = "" if name == "action" else " per row"
            raise ValueError(
                f"{name} must have shape {shape} -- one option index per knob "
                f"{[kn.name for kn in self.varying]}{per} -- got shape {got}"
            )
        bad = np.argwhere((arr < 0) | (arr >= self.nvec))
        if bad.size:
            row, j = (int(x) for x in bad[0])
            knob = self.varying[j]
            where = f"[{j}]" if name == "action" else f"[{row}, {j}]"
            raise ValueError(
                f"{name}{where} = {arr[row, j]} is out of range for knob {knob.name!r}: "
                f"allowed 0..{knob.n - 1} (options {list(knob.options)})"
            )
        return arr

    def validate_indices(self, indices: object, *, name: str = "indices") -> np.ndarray:
        """Flat configuration index(es) (the ``Discrete(size)`` form) as int64, range-checked.

        >>> PAPER_SPACE.validate_indices([0, 255.0]).tolist()
        [0, 255]
        >>> PAPER_SPACE.validate_indices(256, name="action")
        Traceback (most recent call last):
        ...
        ValueError: action = 256 is out of range: configuration indices are 0..255
        """
        arr = _integral(indices, name, "configuration indices")
        bad = np.flatnonzero((arr < 0) | (arr >= self.size))
        if bad.size:
            where = "" if arr.ndim == 0 else f"[{int(bad[0])}]"
            value = arr.reshape(-1)[bad[0]]
            raise ValueError(
                f"{name}{where} = {value} is out of range: configuration indices are "
                f"0..{self.size - 1}"
            )
        return arr

    # -- conversions ---------------------------------------------------------------------------
    def action_to_dict(self, action: Sequence[int] | np.ndarray) -> dict[str, OptionValue]:
        """``{knob: value}`` over every knob for a (validated) action."""
        arr = self.validate_action(action)
        it = iter(arr.tolist())
        return {k.name: (k.options[0] if k.fixed else k.options[next(it)]) for k in self.knobs}

    def dict_to_action(self, config: Mapping[str, OptionValue]) -> np.ndarray:
        """Action for a ``{knob: value}`` dict; fixed knobs may be omitted, unknown ones raise."""
        unknown = set(config) - set(self.names)
        if unknown:
            raise ValueError(f"unknown knobs {sorted(unknown)}; knobs: {list(self.names)}")
        missing = [k.name for k in self.varying if k.name not in config]
        if missing:
            raise ValueError(f"configuration is missing knobs {missing}")
        for k in self.knobs:
            if k.fixed and k.name in config:
                k.index(config[k.name])  # raises if the fixed value is wrong
        return np.array([k.index(config[k.name]) for k in self.varying], dtype=np.int64)

    def dict_to_key(self, config: Mapping[str, OptionValue]) -> str:
        """The paper's key string for a ``{knob: value}`` dict."""
        return self.action_to_key(self.dict_to_action(config))

    def action_to_key(self, action: Sequence[int] | np.ndarray) -> str:
        """The paper's key string for an action."""
        return "_".join(str(v) for v in self.action_to_dict(action).values())

    def key_to_dict(self, key: str) -> dict[str, OptionValue]:
        """``{knob: value}`` for a key string; raises ``ValueError`` naming a bad field."""
        return self.action_to_dict(self.key_to_action(key))

    def key_to_action(self, key: str) -> np.ndarray:
        """Action for a key string."""
        parts = str(key).split("_")
        if len(parts) != len(self.knobs):
            raise ValueError(
                f"key {key!r} has {len(parts)} fields, expected {len(self.knobs)} "
                f"(values of {list(self.names)} joined by '_')"
            )
        idx = [k.index(p) for k, p in zip(self.knobs, parts, strict=True)]
        return np.array([i for k, i in zip(self.knobs, idx, strict=True) if not k.fixed], np.int64)

    # -- enumeration ---------------------------------------------------------------------------
    def index_to_action(self, index: int | np.ndarray) -> np.ndarray:
        """Action(s) of flat configuration index(es), the first knob most significant."""
        return np.stack(np.unravel_index(np.asarray(index), tuple(self.nvec)), axis=-1).astype(
            np.int64
        )

    def action_to_index(self, actions: np.ndarray) -> np.ndarray | int:
        """Flat configuration index of action(s) (inverse of :meth:`index_to_action`)."""
        arr = np.asarray(actions, dtype=np.int64)
        out = np.ravel_multi_index(tuple(np.moveaxis(arr, -1, 0)), tuple(self.nvec))
        return int(out) if np.ndim(out) == 0 else out

    def all_actions(self) -> np.ndarray:
        """Every configuration as an ``(size, n_varying)`` array, in flat-index order."""
        return self.index_to_action(np.arange(self.size))

    def all_keys(self) -> list[str]:
        """Every configuration's key, in flat-index order."""
        return [self.action_to_key(a) for a in self.all_actions()]

    def describe(self) -> str:
        """A plain-text table of the knobs."""
        rows = [f"{'knob':<20} {'options':<24} meaning"]
        for k in self.knobs:
            opts = ", ".join(str(o) for o in k.options)
            rows.append(f"{k.name:<20} {opts:<24} {k.meaning}{' (fixed)' if k.fixed else ''}")
        return "\n".join(rows)


def knobs_from_records(records: Iterable[Mapping[str, object]]) -> tuple[Knob, ...]:
    """Knobs from plain records ``{"name", "options", "meaning", "option_meanings"}``."""
    return tuple(
        Knob(
            name=str(r["name"]),
            options=tuple(r["options"]),  # type: ignore[arg-type]
            meaning=str(r.get("meaning", "")),
            option_meanings=tuple(r.get("option_meanings", ())),  # type: ignore[arg-type]
        )
        for r in records
    )


PAPER_SPACE = KnobSpace(knobs_from_records(load_knob_records()), name="paper")
"""The paper's space (from the packaged ``knobs.json``): 8 binary knobs, 256 configurations,
plus the fixed ``pose_cam``."""

DOMAIN_RANDOMIZATION_KEY = "1_1_1_1_1_3_0_1_1"
"""Every variation on: the paper's domain-randomisation baseline."""
