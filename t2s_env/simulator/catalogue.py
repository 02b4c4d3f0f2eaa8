"""The shape catalogue: shape programs keyed by WordNet id, and the classes they make.

A shape program declares its WordNet id, readable name and natural materials where it is
defined (``@catalogue.register(wnid, name, natural=...)``, as Gymnasium's ``register`` binds
an id to an entry point); the classes are then read in the order of ``objects.json`` by id, so
reordering the json reorders the labels but never gives a class another class's shape.

>>> cat = ShapeCatalogue()
>>> @cat.register("n00000001", "pebble", natural=("stone",))
... def pebble(r):
...     return []
>>> [c.name for c in cat.classes({"n00000001": ("model_a", "model_b")})]
['pebble']
>>> cat.classes({"n00000002": ("model",)})
Traceback (most recent call last):
ValueError: no shape program for 1 class(es) of the class list: n00000002; shape programs for 1 id(s) not in it: n00000001
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from t2s_env.simulator.geometry import Part
from t2s_env.simulator.parts import Rng

Builder = Callable[[Rng], list[Part]]
"""A shape program: an instance's random generator -> the parts of that instance."""


@dataclass(frozen=True)
class ShapeProgram:
    """What a shape program declares where it is defined: WordNet id, a readable name, the
    program and its natural materials (one per material slot)."""

    wnid: str
    name: str
    build: Builder
    natural: tuple[str, ...]


@dataclass(frozen=True)
class ObjectClass(ShapeProgram):
    """A class of the class list: its shape program and how many instances it has."""

    instances: int


class ShapeCatalogue:
    """Shape programs by WordNet id; each id is registered once."""

    def __init__(self) -> None:
        self._programs: dict[str, ShapeProgram] = {}

    def register(
        self, wnid: str, name: str, natural: tuple[str, ...]
    ) -> Callable[[Builder], Builder]:
        """A decorator binding a shape program to ``wnid``; raises ``ValueError`` for an id
        registered twice or a program without natural materials."""

        def bind(build: Builder) -> Builder:
            if wnid in self._programs:
                raise ValueError(
                    f"WordNet id {wnid} has two shape programs: "
                    f"{self._programs[wnid].build.__name__} and {build.__name__}"
                )
            if not natural:
                raise ValueError(f"shape program {build.__name__} ({wnid}) names no material")
            self._programs[wnid] = ShapeProgram(wnid, name, build, tuple(natural))
            return build

        return bind

    def classes(self, models: Mapping[str, Sequence[str]]) -> tuple[ObjectClass, ...]:
        """One class per WordNet id of ``models`` (id -> TDW model names), in its order.

        A class has between 3 and 6 instances (as many as it has models). Raises
        ``ValueError`` naming every id without a shape program and every program whose id is
        not in ``models``.
        """
        missing = [w for w in models if w not in self._programs]
        extra = [w for w in self._programs if w not in models]
        if missing or extra:
            raise ValueError(
                f"no shape program for {len(missing)} class(es) of the class list: "
                f"{', '.join(missing) or '-'}; shape programs for {len(extra)} id(s) not in "
                f"it: {', '.join(extra) or '-'}"
            )
        return tuple(
            ObjectClass(
                wnid, p.name, p.build, p.natural, instances=min(6, max(3, len(models[wnid])))
            )
            for wnid in models
            for p in (self._programs[wnid],)
        )


__all__ = ["Builder", "ObjectClass", "ShapeCatalogue", "ShapeProgram"]
