"""The 100 object classes as procedural shape families.

One class per WordNet id of ``t2s_env.data.load_object_classes()`` (the paper's 100 ThreeDWorld
classes; TDW's models cannot be shipped). Each class is a small program that composes closed
parts -- superquadrics (boxes, cylinders, ellipsoids; tapered, twisted, bent), surfaces of
revolution, tori and swept tubes -- with proportions and details drawn from an instance RNG,
so instances of a class differ while keeping the class's silhouette. Natural materials are
named per material slot (parsed by :func:`~t2s_env.simulator.materials.material_row`).

>>> len(OBJECT_CLASSES), len({c.wnid for c in OBJECT_CLASSES})
(100, 100)
>>> [c.name for c in OBJECT_CLASSES[:3]]
['bucket', 'candle', 'canoe']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from t2s_env.data import load_object_classes
from t2s_env.simulator.geometry import Part, lathe, superquadric, torus, tube

Rng = np.random.Generator
Builder = Callable[[Rng], list[Part]]


@dataclass(frozen=True)
class ObjectClass:
    """A class: WordNet id, a readable name, its shape program and natural materials."""

    wnid: str
    name: str
    build: Builder
    natural: tuple[str, ...]
    instances: int


# -- part helpers ---------------------------------------------------------------------------
def J(r: Rng, x: float, rel: float = 0.15) -> float:
    """``x`` jittered by up to ``rel`` (relative)."""
    return float(x * (1 + r.uniform(-rel, rel)))


def box(w: float, h: float, d: float, e: float = 0.15, **kw) -> Part:
    return Part(superquadric(w / 2, h / 2, d / 2, e, e), **kw)


def cyl(rad: float, h: float, e: float = 0.15, **kw) -> Part:
    return Part(superquadric(rad, h / 2, rad, e, 1.0), **kw)


def ell(a: float, b: float, c: float, **kw) -> Part:
    return Part(superquadric(a, b, c), **kw)


def rod(p0, p1, rad: float, **kw) -> Part:
    return Part(tube([p0, p1], rad, smooth=0), **kw)


def path(points, rad, smooth: int = 3, flat: float = 1.0, **kw) -> Part:
    return Part(tube(points, rad, smooth=smooth, flat=flat), **kw)


def turned(profile, section=None, smooth: int = 2, **kw) -> Part:
    return Part(lathe(profile, section, smooth), **kw)


def ring(major: float, minor: float, **kw) -> Part:
    return Part(torus(major, minor), **kw)


def open_cup(r_bot: float, r_top: float, h: float, wall: float, y0: float = 0.0) -> list:
    """Profile of an open container (out, up, over the rim, down inside)."""
    return [
        (0, y0),
        (r_bot, y0),
        (r_top, y0 + h),
        (r_top - wall, y0 + h),
        (r_bot - wall, y0 + wall),
        (0, y0 + wall),
    ]


def arc(cx, cy, rad, a0, a1, n=9, z=0.0, plane="xy"):
    """Points of a circular arc (degrees) in the ``xy`` or ``zy`` plane."""
    a = np.radians(np.linspace(a0, a1, n))
    pts = []
    for t in a:
        u, v = cx + rad * math.cos(t), cy + rad * math.sin(t)
        pts.append((u, v, z) if plane == "xy" else (z, v, u))
    return pts


def polygon_section(sides: int, round_: float = 0.05):
    """``section(angle)`` of a regular polygon (radius 1 at the corners)."""

    def f(a):
        import torch

        seg = 2 * math.pi / sides
        x = torch.remainder(a, seg) - seg / 2
        return (math.cos(seg / 2) / torch.cos(x)).clamp(max=1.0) * (1 - round_) + round_

    return f


def teeth_section(n: int, depth: float):
    def f(a):
        import torch

        return 1 - depth * (torch.sin(n * a) > 0).float() * 0.999 - depth * 0.001

    return f


def flutes(n: int, depth: float):
    def f(a):
        import torch

        return 1 - depth * torch.cos(n * a).abs()

    return f


def legs4(w, d, h, rad, y_top, **kw) -> list[Part]:
    return [
        rod((sx * w / 2, y_top, sz * d / 2), (sx * w / 2, y_top - h, sz * d / 2), rad, **kw)
        for sx in (-1, 1)
        for sz in (-1, 1)
    ]


def wheel(x, y, z, rad, width, axis="z", slot=1) -> Part:
    rot = (90.0, 0.0, 0.0) if axis == "z" else (0.0, 0.0, 90.0)
    return Part(torus(rad - width / 2, width / 2), at=(x, y, z), rot=rot, slot=slot)


# -- the classes, in the order of objects.json ---------------------------------------------
def bucket(r):
    rb, rt, h = J(r, 0.6), J(r, 0.8), J(r, 1.5)
    return [
        turned(open_cup(rb, rt, h, 0.04)),
        path(arc(0, h, rt * 0.98, 180, 0, plane="xy"), 0.025, slot=1),
    ]


def candle(r):
    rad, h = J(r, 0.25), J(r, 1.6, 0.3)
    parts = [
        turned([(0, 0), (rad, 0), (rad, h), (rad * 0.85, h + 0.03), (0, h + 0.03)]),
        ell(0.06, 0.16, 0.06, at=(0, h + 0.22, 0), slot=1),
    ]
    if r.random() < 0.6:
        parts.append(turned([(0, -0.1), (rad * 2.2, -0.1), (rad * 2.0, 0.05), (0, 0.05)], slot=2))
    return parts


def canoe(r):
    L, w = J(r, 2.4), J(r, 0.45)
    return [
        turned(
            [(0, -0.35), (0.2, -0.3), (0.3, -0.1), (0.32, 0.12), (0.29, 0.12), (0.26, -0.05), (0, -0.25)],
            rot=(0, 0, 0),
        )
        if False
        else Part(superquadric(L, 0.25, w, 0.6, 1.7), at=(0, 0, 0)),
        box(0.08, 0.05, w * 1.6, at=(0.4, 0.2, 0), slot=1),
        box(0.08, 0.05, w * 1.6, at=(-0.6, 0.2, 0), slot=1),
    ]


def cassette(r):
    w, h = J(r, 2.0, 0.05), J(r, 1.25, 0.05)
    parts = [box(w, h, 0.25, 0.08)]
    for x in (-0.42, 0.42):
        parts.append(Part(torus(0.17, 0.05), at=(x * w / 2, 0.05, 0.13), rot=(90, 0, 0), slot=1))
    parts.append(box(w * 0.5, h * 0.25, 0.02, 0.2, at=(0, 0.05, 0.125), slot=2))
    parts.append(box(w * 0.8, h * 0.2, 0.04, 0.2, at=(0, h * 0.42, 0.12), slot=2))
    return parts


def trumpet(r):
    L = J(r, 2.4, 0.1)
    bell = J(r, 0.45)
    prof = [(0.06, 0), (0.07, L * 0.45), (0.12, L * 0.6), (bell, L * 0.68), (bell - 0.02, L * 0.68), (0.04, L * 0.5), (0.04, 0)]
    return [
        turned(prof, rot=(0, 0, -90), at=(-L * 0.35, 0, 0)),
        path([(-L * 0.35, 0, 0), (-L * 0.5, 0, 0), (-L * 0.55, -0.3, 0), (-L * 0.4, -0.35, 0), (L * 0.1, -0.35, 0), (L * 0.15, -0.15, 0), (L * 0.05, 0, 0)], 0.045),
        *[cyl(0.07, 0.45, 1.0, at=(-0.1 + 0.18 * i, -0.1, 0), slot=0) for i in range(3)],
        path([(-L * 0.5, 0, 0), (-L * 0.62, 0, 0)], [0.05, 0.07], smooth=0),
    ]


def desktop(r):
    w, h, d = J(r, 0.8), J(r, 1.9), J(r, 1.8)
    return [
        box(w, h, d, 0.08),
        box(w * 0.7, 0.12, 0.03, 0.2, at=(0, h * 0.3, d / 2), slot=1),
        box(w * 0.7, 0.12, 0.03, 0.2, at=(0, h * 0.15, d / 2), slot=1),
        cyl(0.07, 0.04, 0.3, at=(0, -h * 0.3, d / 2), rot=(90, 0, 0), slot=2),
    ]


def dishwasher(r):
    w, h, d = J(r, 1.5, 0.05), J(r, 2.0, 0.05), J(r, 1.5, 0.05)
    return [
        box(w, h, d, 0.06),
        box(w * 0.96, h * 0.12, 0.06, 0.2, at=(0, h * 0.42, d / 2), slot=1),
        rod((-w * 0.35, h * 0.3, d / 2 + 0.07), (w * 0.35, h * 0.3, d / 2 + 0.07), 0.035, slot=2),
        box(w * 0.9, 0.04, 0.03, 0.3, at=(0, -h * 0.45, d / 2), slot=1),
    ]


def golf_ball(r):
    parts = [Part(superquadric(1, 1, 1))]
    if r.random() < 0.5:
        parts.append(turned([(0, -1.7), (0.08, -1.7), (0.07, -1.1), (0.3, -0.95), (0, -0.95)], slot=1))
    return parts


def golf_cart(r):
    L, W = J(r, 2.4, 0.1), J(r, 1.3, 0.1)
    parts = [
        box(L, 0.55, W, 0.2, at=(0, 0.35, 0)),
        box(0.5, 0.7, W * 0.9, 0.2, at=(-0.3, 0.9, 0), slot=2),
        box(L * 0.9, 0.08, W * 1.05, 0.3, at=(0, 1.9, 0), slot=0),
    ]
    for x in (-L * 0.42, L * 0.42):
        for z in (-W * 0.42, W * 0.42):
            parts.append(rod((x, 0.6, z), (x, 1.88, z), 0.035, slot=1))
    for x in (-L * 0.32, L * 0.32):
        for z in (-W / 2, W / 2):
            parts.append(wheel(x, 0.0, z, 0.3, 0.18))
    return parts


def hair_dryer(r):
    L = J(r, 1.3)
    return [
        turned([(0, -L * 0.5), (0.32, -L * 0.5), (0.36, 0), (0.22, L * 0.5), (0.2, L * 0.7), (0, L * 0.7)], rot=(0, 0, -90)),
        box(0.28, J(r, 1.1), 0.3, 0.4, at=(-0.2, -0.55, 0), rot=(0, 0, J(r, 15))),
        box(0.05, 0.12, 0.1, 0.3, at=(-0.15, -0.3, 0.16), slot=1),
    ]


def ipod(r):
    w, h = J(r, 0.9, 0.1), J(r, 1.6, 0.1)
    round_ = r.random() < 0.5
    parts = [box(w, h, 0.12, 0.12), box(w * 0.85, h * (0.45 if round_ else 0.8), 0.02, 0.1, at=(0, h * (0.2 if round_ else 0.0), 0.06), slot=1)]
    if round_:
        parts.append(cyl(w * 0.3, 0.02, 0.5, at=(0, -h * 0.25, 0.06), rot=(90, 0, 0), slot=2))
    return parts


def laptop(r):
    w, d = J(r, 2.0, 0.1), J(r, 1.4, 0.1)
    ang = J(r, 105, 0.1)
    return [
        box(w, 0.08, d, 0.12),
        box(w, d, 0.05, 0.12, at=(0, 0.04 + d / 2 * math.sin(math.radians(ang)), -d / 2 - d / 2 * math.cos(math.radians(ang))), rot=(ang - 90, 0, 0)),
        box(w * 0.9, d * 0.85, 0.01, 0.1, at=(0, 0.04 + d / 2 * math.sin(math.radians(ang)), -d / 2 - d / 2 * math.cos(math.radians(ang)) + 0.03), rot=(ang - 90, 0, 0), slot=1),
        box(w * 0.8, 0.01, d * 0.4, 0.2, at=(0, 0.045, -d * 0.12), slot=2),
    ]


def lawn_mower(r):
    w, d = J(r, 1.4), J(r, 1.5)
    parts = [box(w, 0.4, d, 0.3, at=(0, 0.25, 0)), cyl(0.25, 0.35, 0.4, at=(0, 0.6, 0.1), slot=1)]
    for x in (-w / 2, w / 2):
        for z in (-d * 0.4, d * 0.4):
            parts.append(wheel(x, 0.05, z, 0.18, 0.08, axis="x", slot=1))
    parts.append(path([(-w * 0.35, 0.4, -d / 2), (-w * 0.35, 1.4, -d * 1.1), (w * 0.35, 1.4, -d * 1.1), (w * 0.35, 0.4, -d / 2)], 0.03, smooth=1, slot=2))
    return parts


def microwave(r):
    w, h, d = J(r, 1.8, 0.05), J(r, 1.05, 0.05), J(r, 1.3, 0.05)
    return [
        box(w, h, d, 0.08),
        box(w * 0.62, h * 0.75, 0.03, 0.1, at=(-w * 0.14, 0, d / 2), slot=1),
        box(w * 0.2, h * 0.8, 0.03, 0.2, at=(w * 0.36, 0, d / 2), slot=2),
        cyl(0.07, 0.06, 0.5, at=(w * 0.36, -h * 0.2, d / 2 + 0.03), rot=(90, 0, 0), slot=2),
    ]


def mouse(r):
    L = J(r, 1.2, 0.1)
    parts = [
        Part(superquadric(0.38, 0.25, L / 2, 0.7, 1.0, taper=-0.25), at=(0, 0.25, 0)),
        cyl(0.04, 0.04, 0.6, at=(0, 0.48, L * 0.22), rot=(0, 0, 90), slot=1),
    ]
    if r.random() < 0.6:
        parts.append(path([(0, 0.2, L / 2), (0, 0.15, L * 0.8), (0.2, 0.05, L * 1.1), (0.1, 0.02, L * 1.4)], 0.025, slot=1))
    return parts


def padlock(r):
    w = J(r, 1.0)
    return [
        box(w, J(r, 0.85), 0.4, 0.3),
        path(arc(0, 0.4, w * 0.3, 180, 0) + [], 0.07, slot=1)
        if False
        else path([(-w * 0.3, 0.3, 0)] + arc(0, 0.65, w * 0.3, 180, 0) + [(w * 0.3, 0.3, 0)], 0.07, slot=1),
        cyl(0.06, 0.02, 0.3, at=(0, -0.1, 0.2), rot=(90, 0, 0), slot=2),
    ]


def paintbrush(r):
    L = J(r, 2.0)
    wide = r.random() < 0.5
    return [
        turned([(0, 0), (0.08, 0.02), (0.11, L * 0.5), (0.07, L * 0.75), (0, L * 0.75)], at=(0, -L * 0.75, 0)),
        box(0.35 if wide else 0.2, 0.3, 0.12 if wide else 0.2, 0.4, at=(0, 0.12, 0), slot=1),
        Part(superquadric(0.17 if wide else 0.1, 0.3, 0.06 if wide else 0.1, 0.5, 0.6, taper=-0.4), at=(0, 0.55, 0), slot=2),
    ]


def printer(r):
    w, h, d = J(r, 1.8), J(r, 0.9), J(r, 1.4)
    return [
        box(w, h, d, 0.15),
        box(w * 0.7, 0.05, d * 0.7, 0.1, at=(0, h * 0.75, -d * 0.45), rot=(-55, 0, 0), slot=2),
        box(w * 0.7, 0.06, 0.02, 0.1, at=(0, h * 0.1, d / 2), slot=1),
        box(w * 0.3, 0.15, 0.02, 0.3, at=(w * 0.3, h * 0.35, d / 2), slot=1),
    ]


def racket(r):
    a, b = J(r, 0.55), J(r, 0.75)
    return [
        Part(torus(1.0, 0.06 / a), at=(0, 0.9, 0), rot=(90, 0, 0)).__class__(
            lambda u, v, a=a, b=b: torus(1.0, 0.05)(u, v) * __import__("torch").tensor([a, b, 1.0], dtype=__import__("torch").float64)
            , at=(0, 0.9, 0), rot=(90, 0, 0)),
        box(2 * a * 0.95, 2 * b * 0.95, 0.01, 0.1, at=(0, 0.9, 0), slot=2),
        turned([(0, -1.0), (0.07, -1.0), (0.06, 0.1), (0.03, 0.2), (0, 0.2)]),
        cyl(0.075, 0.5, 0.3, at=(0, -0.75, 0), slot=1),
    ]


def refrigerator(r):
    w, h, d = J(r, 1.2, 0.1), J(r, 2.6, 0.05), J(r, 1.1, 0.05)
    two = r.random() < 0.5
    parts = [box(w, h, d, 0.06)]
    if two:
        parts += [rod((-0.06, h * 0.3, d / 2 + 0.06), (-0.06, -h * 0.2, d / 2 + 0.06), 0.03, slot=1), rod((0.06, h * 0.3, d / 2 + 0.06), (0.06, -h * 0.2, d / 2 + 0.06), 0.03, slot=1), box(0.02, h * 0.98, 0.02, 0.3, at=(0, 0, d / 2), slot=2)]
    else:
        parts += [box(w * 0.98, 0.03, 0.02, 0.3, at=(0, h * 0.15, d / 2), slot=2), rod((w * 0.4, h * 0.42, d / 2 + 0.06), (w * 0.4, h * 0.22, d / 2 + 0.06), 0.03, slot=1), rod((w * 0.4, h * 0.05, d / 2 + 0.06), (w * 0.4, -h * 0.25, d / 2 + 0.06), 0.03, slot=1)]
    return parts


def remote(r):
    L, w = J(r, 2.0), J(r, 0.45)
    parts = [box(w, L, 0.18, 0.25)]
    for i in range(4):
        for j in range(3):
            parts.append(ell(0.05, 0.05, 0.03, at=((j - 1) * w * 0.28, -L * 0.1 - i * L * 0.1, 0.09), slot=1))
    parts.append(cyl(0.07, 0.03, 0.5, at=(0, L * 0.35, 0.09), rot=(90, 0, 0), slot=2))
    return parts


def safe(r):
    s = J(r, 1.4, 0.1)
    return [
        box(s, J(r, s), s * 0.9, 0.08),
        cyl(0.17, 0.08, 0.4, at=(0.1, 0.15, s * 0.45), rot=(90, 0, 0), slot=1),
        rod((0.1, -0.15, s * 0.47), (0.1, -0.15, s * 0.6), 0.03, slot=1),
        rod((-0.02, -0.15, s * 0.6), (0.22, -0.15, s * 0.6), 0.03, slot=1),
        *[cyl(0.05, 0.25, 0.3, at=(-s * 0.47, y, s * 0.4), slot=2) for y in (-0.35, 0.35)],
    ]


def screwdriver(r):
    L = J(r, 1.1)
    return [
        turned([(0, 0), (0.18, 0.03), (0.2, L * 0.8), (0.1, L), (0, L)], section=flutes(6, 0.12), at=(0, -L, 0)),
        rod((0, 0, 0), (0, J(r, 1.1), 0), 0.04, slot=1),
        box(0.09, 0.14, 0.02, 0.3, at=(0, 1.12, 0), slot=1),
    ]


def shopping_cart(r):
    L, W, H = J(r, 1.6, 0.1), J(r, 1.0, 0.1), J(r, 0.8, 0.1)
    y = 1.0
    parts = [
        Part(superquadric(L / 2, 0.02, W / 2, 0.1, 0.1), at=(0, y, 0), slot=0),
        Part(superquadric(0.02, H / 2, W / 2, 0.1, 0.1), at=(L / 2, y + H / 2, 0), rot=(0, 0, -10)),
        Part(superquadric(0.02, H / 2, W / 2, 0.1, 0.1), at=(-L / 2, y + H / 2, 0)),
        Part(superquadric(L / 2, H / 2, 0.02, 0.1, 0.1), at=(0, y + H / 2, W / 2)),
        Part(superquadric(L / 2, H / 2, 0.02, 0.1, 0.1), at=(0, y + H / 2, -W / 2)),
        rod((-L / 2 - 0.15, y + H + 0.1, -W / 2), (-L / 2 - 0.15, y + H + 0.1, W / 2), 0.04, slot=2),
    ]
    for x in (-L * 0.4, L * 0.4):
        for z in (-W * 0.4, W * 0.4):
            parts.append(rod((x, y, z), (x, 0.15, z), 0.025, slot=1))
            parts.append(wheel(x, 0.08, z, 0.09, 0.05, slot=2))
    return parts


def soap_dispenser(r):
    h, rad = J(r, 1.2), J(r, 0.4)
    return [
        turned([(0, 0), (rad, 0), (rad * 1.02, h * 0.8), (rad * 0.4, h), (0, h)], section=polygon_section(4, 0.3) if r.random() < 0.4 else None),
        cyl(0.12, 0.25, 0.5, at=(0, h + 0.12, 0), slot=1),
        path([(0, h + 0.25, 0), (0, h + 0.33, 0), (0.35, h + 0.33, 0), (0.4, h + 0.28, 0)], 0.05, smooth=1, slot=1),
    ]


def table_lamp(r):
    h = J(r, 1.6)
    top = J(r, 0.6)
    return [
        turned([(0, 0), (0.45, 0), (0.4, 0.1), (0, 0.12)], slot=1),
        rod((0, 0.1, 0), (0, h, 0), 0.05, slot=1),
        turned(open_cup(top * 1.5, top * 0.9, top * 1.1, 0.02, y0=h - 0.45)[::-1][::-1], slot=0)
        if False
        else turned([(0, h - 0.5), (top * 1.5, h - 0.5), (top * 0.9, h + 0.3), (top * 0.88, h + 0.3), (top * 1.47, h - 0.48), (0, h - 0.48)]),
    ]


def toaster(r):
    w, h, d = J(r, 1.6, 0.1), J(r, 1.0, 0.1), J(r, 0.9, 0.1)
    return [
        box(w, h, d, 0.3),
        box(w * 0.65, 0.05, 0.12, 0.3, at=(0, h / 2, -d * 0.18), slot=1),
        box(w * 0.65, 0.05, 0.12, 0.3, at=(0, h / 2, d * 0.18), slot=1),
        box(0.12, 0.08, 0.2, 0.4, at=(w / 2 + 0.05, h * 0.2, 0), slot=2),
    ]


def umbrella(r):
    rad = J(r, 1.3)
    ribs = int(r.integers(6, 10))
    import torch

    canopy = turned(
        [(0, 0.6), (rad * 0.5, 0.5), (rad, 0.0), (rad * 0.98, -0.03), (rad * 0.5, 0.45), (0, 0.55)],
        section=lambda a: 1 - 0.06 * torch.cos(ribs * a).abs(),
    )
    return [
        canopy,
        rod((0, 0.7, 0), (0, -1.4, 0), 0.03, slot=1),
        path([(0, -1.4, 0)] + arc(0.15, -1.4, 0.15, 180, 360, 7)[1:], 0.05, slot=2),
    ]


def vase(r):
    h = J(r, 2.0)
    b, n = J(r, 0.6, 0.3), J(r, 0.25, 0.3)
    return [turned([(0, 0), (b * 0.6, 0), (b, h * 0.35), (n, h * 0.8), (n * 1.3, h), (n * 1.2, h), (n * 0.8, h * 0.85), (0, h * 0.8)])]


def banana(r):
    L = J(r, 2.2)
    bend = J(r, 0.5)
    pts = [(math.sin(t) * L / 2, (1 - math.cos(t)) * L * bend / 2, 0) for t in np.linspace(-1.0, 1.0, 9)]
    import torch

    parts = [path(pts, [0.05, 0.12, 0.19, 0.21, 0.22, 0.21, 0.18, 0.12, 0.06], smooth=2)]
    parts[0] = Part(
        lambda u, v, f=parts[0].surface: f(u, v) * (1 - 0.06 * torch.cos(5 * v * 2 * math.pi)).unsqueeze(-1) + 0
    )
    parts.append(rod(pts[-1], (pts[-1][0] + 0.15, pts[-1][1] + 0.15, 0), 0.04, slot=1))
    return parts


def wine_glass(r):
    h = J(r, 2.0)
    bw = J(r, 0.45)
    return [
        turned([(0, 0), (0.5, 0), (0.48, 0.04), (0.06, 0.06), (0.05, h * 0.45), (bw * 0.8, h * 0.55), (bw, h * 0.8), (bw * 0.9, h), (bw * 0.87, h), (bw * 0.96, h * 0.8), (bw * 0.76, h * 0.57), (0, h * 0.5)])
    ]


def faucet(r):
    h = J(r, 1.4)
    reach = J(r, 0.8)
    return [
        turned([(0, 0), (0.28, 0), (0.26, 0.15), (0.14, 0.2), (0.12, h * 0.6), (0, h * 0.6)]),
        path([(0, h * 0.5, 0), (0, h, 0)] + [(reach * 0.5, h * 1.15, 0), (reach, h, 0), (reach, h * 0.75, 0)], 0.07),
        rod((0, h * 0.45, 0), (-0.5, h * 0.7, 0), 0.04, slot=1),
    ]


def toy_block(r):
    sides = int(r.choice([3, 4, 5, 6, 8]))
    h = J(r, 0.7, 0.3)
    return [turned([(0, 0), (1.0, 0), (1.0, h), (0, h)], section=polygon_section(sides, 0.04), smooth=0)]


def toothbrush(r):
    L = J(r, 2.6, 0.08)
    return [
        Part(superquadric(0.06, L / 2, 0.1, 0.4, 0.6, bend=J(r, 0.2, 0.5))),
        box(0.14, 0.35, 0.1, 0.2, at=(0, L / 2 - 0.2, 0.12), slot=1),
    ]


def toilet(r):
    return [
        turned([(0, 0), (0.35, 0), (0.3, 0.4), (0.55, 0.8), (0.45, 0.8), (0, 0.5)], at=(0, 0, 0.1)),
        ring(0.48, 0.06, at=(0, 0.85, 0.12), slot=1),
        box(1.1, J(r, 0.8), 0.4, 0.2, at=(0, 1.2, -0.55)),
    ]


def pillow(r):
    w, d = J(r, 1.8), J(r, 1.3)
    return [Part(superquadric(w / 2, J(r, 0.3), d / 2, 0.7, J(r, 1.6, 0.1)))]


def kettle(r):
    rad, h = J(r, 0.8), J(r, 1.2)
    return [
        turned([(0, 0), (rad, 0), (rad * 1.05, h * 0.5), (rad * 0.6, h), (0, h)]),
        path([(rad * 0.6, h * 0.3, 0), (rad * 1.3, h * 0.7, 0), (rad * 1.5, h * 1.0, 0)], [0.12, 0.08, 0.06], smooth=1),
        path([(-rad * 0.5, h * 0.95, 0), (-rad * 0.4, h * 1.45, 0), (rad * 0.3, h * 1.45, 0), (rad * 0.4, h * 0.95, 0)], 0.06, smooth=2, slot=1),
        ell(0.15, 0.1, 0.15, at=(0, h + 0.03, 0), slot=1),
    ]


def table(r):
    w, d, h = J(r, 2.2), J(r, 1.3), J(r, 1.6)
    round_top = r.random() < 0.3
    top = cyl(w / 2, 0.1, 0.2, at=(0, h, 0)) if round_top else box(w, 0.1, d, 0.1, at=(0, h, 0))
    return [top, *legs4(w * 0.85, d * 0.8 if not round_top else w * 0.6, h, 0.06, h, slot=1)]


def spoon(r):
    L = J(r, 2.2)
    bw = J(r, 0.3)
    return [
        Part(superquadric(bw, 0.06, bw * 1.5, 0.6, 1.0), at=(0, 0, L * 0.35)),
        Part(superquadric(0.08, 0.025, L * 0.35, 0.4, 0.6, bend=0.3), at=(0, 0.05, -L * 0.05), rot=(0, 0, 0)),
    ]


def sofa(r):
    w, d = J(r, 2.6), J(r, 1.1)
    return [
        box(w, 0.45, d, 0.3, at=(0, 0.35, 0)),
        box(w, 0.8, 0.3, 0.3, at=(0, 0.8, -d / 2 + 0.15)),
        box(0.3, 0.65, d, 0.3, at=(-w / 2, 0.55, 0), slot=1),
        box(0.3, 0.65, d, 0.3, at=(w / 2, 0.55, 0), slot=1),
        *[box(w / 2 * 0.95, 0.2, d * 0.8, 0.4, at=(sx * w / 4, 0.65, 0.05), slot=0) for sx in (-1, 1)],
    ]


def button(r):
    holes = 2 if r.random() < 0.5 else 4
    rad = J(r, 1.0)
    parts = [turned([(0, -0.05), (rad, -0.1), (rad, 0.1), (rad * 0.85, 0.15), (rad * 0.75, 0.05), (0, 0.05)])]
    offs = [(-0.25, 0), (0.25, 0)] if holes == 2 else [(-0.22, -0.22), (0.22, -0.22), (-0.22, 0.22), (0.22, 0.22)]
    for x, z in offs:
        parts.append(cyl(0.09, 0.14, 0.6, at=(x * rad, 0.0, z * rad), slot=1))
    return parts


def knife(r):
    L = J(r, 1.5)
    return [
        Part(superquadric(L / 2, 0.16, 0.015, 0.3, 0.3, taper=0.0), at=(L / 2, 0, 0)).__class__(
            lambda u, v, L=L: _blade(u, v, L), at=(0, 0, 0), slot=0
        ),
        box(J(r, 0.9), 0.16, 0.1, 0.35, at=(-0.45, -0.03, 0), slot=1),
    ]


def _blade(u, v, L):
    import torch

    p = superquadric(L / 2, 0.16, 0.015, 0.3, 0.3)(u, v)
    t = (p[:, 0] / L + 0.5).clamp(0, 1)  # 0 at the handle, 1 at the tip
    y = p[:, 1] * (1 - 0.85 * t**2) - 0.1 * t**2 * (p[:, 1] < 0)
    return torch.stack([p[:, 0] + L / 2, y, p[:, 2]], -1)


def ladle(r):
    L = J(r, 2.2)
    b = J(r, 0.45)
    return [
        turned(open_cup(b * 0.6, b, b * 0.7, 0.03) [:3] + [(b - 0.03, b * 0.7), (b * 0.55, 0.03), (0, 0.03)]),
        path([(b * 0.9, b * 0.65, 0), (b + 0.3, L * 0.5, 0), (b + 0.4, L * 0.9, 0), (b + 0.2, L, 0)], 0.045, smooth=2, slot=0),
    ]


def gear(r):
    teeth = int(r.integers(10, 22))
    t = J(r, 0.35)
    return [
        turned([(0.35, -t / 2), (1.0, -t / 2), (1.0, t / 2), (0.35, t / 2)], section=teeth_section(teeth, 0.12), smooth=0, rot=(90, 0, 0)),
        ring(0.33, 0.06, rot=(90, 0, 0), slot=1),
    ]


def fork(r):
    L = J(r, 2.2)
    tines = int(r.choice([3, 4]))
    parts = [Part(superquadric(0.09, L * 0.3, 0.025, 0.4, 0.5, taper=-0.3), at=(0, -L * 0.2, 0)), box(0.36, 0.3, 0.03, 0.4, at=(0, L * 0.12, 0))]
    for i in range(tines):
        x = (i - (tines - 1) / 2) * 0.3 / (tines - 1) * 1.8 / 1.5
        parts.append(rod((x * 0.5, L * 0.2, 0), (x * 0.5, L * 0.45, 0.02), 0.025))
    return parts


def floor_lamp(r):
    h = J(r, 3.0, 0.1)
    arcish = r.random() < 0.4
    parts = [turned([(0, 0), (0.5, 0), (0.45, 0.08), (0, 0.1)], slot=1)]
    if arcish:
        parts += [path([(0, 0.1, 0), (0, h * 0.7, 0), (0.6, h, 0), (1.2, h * 0.9, 0)], 0.04, slot=1), turned([(0, -0.3), (0.35, -0.3), (0.3, 0.0), (0, 0.05)], at=(1.2, h * 0.8, 0))]
    else:
        parts += [rod((0, 0.1, 0), (0, h, 0), 0.04, slot=1), turned([(0, h - 0.3), (0.55, h - 0.3), (0.4, h + 0.25), (0.38, h + 0.25), (0.53, h - 0.28), (0, h - 0.28)])]
    return parts


def mug(r):
    rad, h = J(r, 0.55), J(r, 1.1)
    return [
        turned(open_cup(rad * J(r, 0.9, 0.1), rad, h, 0.05)),
        Part(torus(J(r, 0.3), 0.06), at=(rad + 0.05, h * 0.5, 0), rot=(90, 0, 0)),
    ]


def baking_sheet(r):
    w, d = J(r, 2.4), J(r, 1.6)
    rim = 0.08
    return [
        box(w, 0.03, d, 0.1),
        box(w, rim, 0.04, 0.2, at=(0, rim / 2, d / 2)),
        box(w, rim, 0.04, 0.2, at=(0, rim / 2, -d / 2)),
        box(0.04, rim, d, 0.2, at=(w / 2, rim / 2, 0)),
        box(0.04, rim, d, 0.2, at=(-w / 2, rim / 2, 0)),
    ]


def coaster(r):
    sq = r.random() < 0.3
    return [
        turned([(0, 0), (1, 0), (1, 0.12), (0.85, 0.12), (0.8, 0.08), (0, 0.08)], section=polygon_section(4, 0.25) if sq else None, smooth=0),
        ring(0.5, 0.03, at=(0, 0.085, 0), slot=1),
    ]


def chair(r):
    w, h = J(r, 1.0), J(r, 0.9)
    return [
        box(w, 0.1, w, 0.2, at=(0, h, 0)),
        box(w, J(r, 1.0), 0.08, 0.2, at=(0, h + 0.55, -w / 2), rot=(-8, 0, 0)),
        *legs4(w * 0.85, w * 0.85, h, 0.045, h, slot=1),
    ]


def cabinet(r):
    w, h, d = J(r, 1.5), J(r, 1.9), J(r, 0.8)
    doors = int(r.choice([1, 2]))
    parts = [box(w, h, d, 0.05)]
    if doors == 2:
        parts.append(box(0.02, h * 0.95, 0.02, 0.3, at=(0, 0, d / 2), slot=1))
        parts += [ell(0.05, 0.05, 0.05, at=(x, 0, d / 2 + 0.04), slot=2) for x in (-0.1, 0.1)]
    else:
        parts += [box(w * 0.95, 0.02, 0.02, 0.3, at=(0, y, d / 2), slot=1) for y in (-h / 6, h / 6)]
        parts += [ell(0.05, 0.05, 0.05, at=(0, y, d / 2 + 0.04), slot=2) for y in (-h / 3, 0, h / 3)]
    return parts


def carton(r):
    w, h, d = J(r, 1.6), J(r, 1.1), J(r, 1.2)
    flap = J(r, 35, 0.5)
    return [
        Part(lathe(open_cup(1.0, 1.0, 1.0, 0.03), section=polygon_section(4, 0.02), smooth=0).__call__.__self__ if False else lathe(open_cup(0.71, 0.71, h, 0.02), section=polygon_section(4, 0.0), smooth=0), rot=(0, 45, 0)),
        box(w * 0.5, 0.02, d * 0.5, 0.1, at=(0, h + 0.2, d * 0.45), rot=(flap + 40, 0, 0)),
        box(w * 0.5, 0.02, d * 0.5, 0.1, at=(0, h + 0.2, -d * 0.45), rot=(-flap - 40, 0, 0)),
    ]


def duffel(r):
    L, rad = J(r, 2.0), J(r, 0.5)
    return [
        Part(superquadric(L / 2, rad, rad, 0.6, 0.8)),
        path([(-L * 0.2, rad * 0.8, -0.1), (-L * 0.2, rad * 1.8, 0), (L * 0.2, rad * 1.8, 0), (L * 0.2, rad * 0.8, -0.1)], 0.04, slot=1),
        box(L * 0.8, 0.03, 0.03, 0.3, at=(0, rad * 0.95, 0.1), slot=2),
    ]


def window(r):
    w, h = J(r, 1.6), J(r, 2.0)
    f = 0.1
    cols = int(r.choice([1, 2, 3]))
    parts = [
        box(w, f, 0.15, 0.1, at=(0, h / 2, 0)),
        box(w, f, 0.15, 0.1, at=(0, -h / 2, 0)),
        box(f, h, 0.15, 0.1, at=(w / 2, 0, 0)),
        box(f, h, 0.15, 0.1, at=(-w / 2, 0, 0)),
        box(w, f * 0.6, 0.1, 0.1, at=(0, 0, 0)),
        box(w, h, 0.02, 0.05, slot=1),
    ]
    for c in range(1, cols):
        parts.append(box(f * 0.6, h, 0.1, 0.1, at=(-w / 2 + c * w / cols, 0, 0)))
    return parts


def sunglasses(r):
    lw, lh = J(r, 0.55), J(r, 0.42)
    e = float(r.choice([0.3, 1.0]))
    parts = []
    for s in (-1, 1):
        parts.append(Part(superquadric(lw, lh, 0.04, e, e), at=(s * (lw + 0.12), 0, 0), slot=1))
        parts.append(Part(torus(1.0, 0.05 / lw), at=(s * (lw + 0.12), 0, 0), rot=(90, 0, 0)).__class__(
            _frame(lw, lh), at=(s * (lw + 0.12), 0, 0), rot=(90, 0, 0)))
        parts.append(path([(s * (2 * lw + 0.15), 0.15, 0), (s * (2 * lw + 0.2), 0.15, -1.2), (s * (2 * lw + 0.15), -0.1, -1.5)], 0.04, smooth=1))
    parts.append(path([(-0.15, 0.1, 0), (0, 0.18, 0), (0.15, 0.1, 0)], 0.04, smooth=1))
    return parts


def _frame(a, b):
    import torch

    base = torus(1.0, 0.06)
    scale = torch.tensor([a, 1.0, b], dtype=torch.float64)
    return lambda u, v: base(u, v) * scale


def jug(r):
    rad, h = J(r, 0.6), J(r, 1.6)
    return [
        turned([(0, 0), (rad, 0), (rad * 1.1, h * 0.4), (rad * 0.75, h * 0.85), (rad * 0.8, h), (rad * 0.74, h), (rad * 0.68, h * 0.85), (rad * 1.02, h * 0.4), (rad * 0.94, 0.05), (0, 0.05)]),
        path([(-rad * 0.8, h * 0.8, 0), (-rad * 1.5, h * 0.7, 0), (-rad * 1.5, h * 0.3, 0), (-rad * 1.0, h * 0.2, 0)], 0.07, smooth=2),
        Part(superquadric(0.2, 0.04, 0.15, 0.5, 1.0), at=(rad * 0.85, h * 0.98, 0), rot=(0, 0, 20)),
    ]


def dart(r):
    L = J(r, 2.2)
    return [
        rod((0, -L / 2, 0), (0, L * 0.1, 0), 0.06, slot=1),
        turned([(0, -L * 0.05), (0.09, 0), (0.1, L * 0.25), (0, L * 0.3)], at=(0, L * 0.05 - L / 2 - 0.35, 0), slot=0),
        turned([(0, 0), (0.02, 0), (0, 0.35)], at=(0, -L / 2 - 0.3, 0), rot=(180, 0, 0), slot=1),
        box(0.5, 0.5, 0.01, 0.05, at=(0, L * 0.3, 0), rot=(0, 0, 45), slot=2),
        box(0.01, 0.5, 0.5, 0.05, at=(0, L * 0.3, 0), rot=(45, 0, 0), slot=2),
    ]


def handbag(r):
    w, h = J(r, 1.8), J(r, 1.2)
    return [
        box(w, h, 0.6, 0.25),
        path([(-w * 0.25, h / 2, 0.2), (-w * 0.25, h * 1.1, 0.2), (w * 0.25, h * 1.1, 0.2), (w * 0.25, h / 2, 0.2)], 0.04, smooth=2, slot=1),
        path([(-w * 0.25, h / 2, -0.2), (-w * 0.25, h * 1.1, -0.2), (w * 0.25, h * 1.1, -0.2), (w * 0.25, h / 2, -0.2)], 0.04, smooth=2, slot=1),
        box(0.2, 0.12, 0.05, 0.3, at=(0, h * 0.3, 0.31), slot=2),
    ]


def money(r):
    n = int(r.integers(1, 4))
    w, d = J(r, 2.2, 0.05), J(r, 1.0, 0.05)
    return [box(w, 0.03, d, 0.05, at=(0, i * 0.05, 0), rot=(0, float(r.uniform(-15, 15)), 0)) for i in range(n)] + [
        Part(superquadric(d * 0.25, 0.02, d * 0.3, 0.5, 1.0), at=(0, n * 0.05 - 0.02, 0), slot=1)
    ]


def gift_box(r):
    s = J(r, 1.4)
    h = J(r, 1.2)
    return [
        box(s, h, s, 0.05),
        box(s * 1.02, h * 1.02, 0.2, 0.05, slot=1),
        box(0.2, h * 1.02, s * 1.02, 0.05, slot=1),
        Part(torus(0.22, 0.07), at=(-0.2, h / 2 + 0.15, 0), rot=(90, 0, 20), slot=1),
        Part(torus(0.22, 0.07), at=(0.2, h / 2 + 0.15, 0), rot=(90, 0, -20), slot=1),
    ]


def thermometer(r):
    L = J(r, 2.2)
    return [
        Part(superquadric(0.2, L * 0.3, 0.08, 0.5, 0.5, taper=-0.2), at=(0, L * 0.2, 0)),
        rod((0, -0.1 * L, 0), (0, -L * 0.5, 0), 0.04, slot=1),
        box(0.25, 0.3, 0.02, 0.2, at=(0, L * 0.3, 0.08), slot=2),
    ]


def soda_can(r):
    rad, h = J(r, 0.5, 0.1), J(r, 1.7, 0.2)
    return [
        turned([(0, 0), (rad * 0.75, 0), (rad, h * 0.1), (rad, h * 0.88), (rad * 0.8, h), (0, h)]),
        ring(rad * 0.78, 0.03, at=(0, h, 0), slot=1),
    ]


def scissors(r):
    L = J(r, 1.4)
    a = J(r, 14, 0.4)
    parts = []
    for s in (-1, 1):
        parts.append(Part(superquadric(L / 2, 0.09, 0.02, 0.4, 0.5, taper=0.0), at=(L / 2 * math.cos(math.radians(s * a)), L / 2 * math.sin(math.radians(s * a)), 0.02 * s), rot=(0, 0, s * a), slot=0))
        parts.append(Part(torus(0.22, 0.06), at=(-0.35 * math.cos(math.radians(s * a)), -0.35 * math.sin(math.radians(s * a)) + s * 0.2, 0), rot=(90, 0, 0), slot=1))
    return parts


def saw(r):
    L = J(r, 2.4)
    return [
        Part(superquadric(L / 2, 0.3, 0.01, 0.2, 0.2, taper=0.0), at=(L / 2, 0, 0)).__class__(
            lambda u, v, L=L: _saw(u, v, L), slot=0
        ),
        box(0.6, 0.8, 0.15, 0.4, at=(-0.25, 0.1, 0), slot=1),
    ]


def _saw(u, v, L):
    import torch

    p = superquadric(L / 2, 0.3, 0.01, 0.2, 0.2)(u, v)
    t = (p[:, 0] / L + 0.5).clamp(0, 1)
    y = p[:, 1] * (1 - 0.55 * t) - 0.3 * 0.55 * t * 0  # tapering blade
    teeth = 0.04 * (torch.remainder(p[:, 0] * 25, 1.0)) * (p[:, 1] < 0)
    return torch.stack([p[:, 0] + L / 2, y - teeth, p[:, 2]], -1)


def skillet(r):
    rad = J(r, 0.9)
    return [
        turned(open_cup(rad * 0.8, rad, J(r, 0.3), 0.04)),
        Part(superquadric(0.55, 0.04, 0.08, 0.4, 0.4), at=(rad + 0.5, 0.25, 0), rot=(0, 0, 8), slot=1),
    ]


def comb(r):
    L = J(r, 2.2)
    n = int(r.integers(10, 16))
    parts = [box(L, 0.22, 0.05, 0.2, at=(0, 0.2, 0))]
    for i in range(n):
        x = -L / 2 + (i + 0.5) * L / n
        parts.append(box(L / n * 0.45, J(r, 0.5, 0.05), 0.04, 0.3, at=(x, -0.1, 0)))
    return parts


def cork(r):
    h, rad = J(r, 1.0), J(r, 0.45)
    champagne = r.random() < 0.3
    if champagne:
        return [turned([(0, 0), (rad, 0), (rad * 0.9, h * 0.5), (rad * 1.2, h * 0.7), (rad * 1.15, h), (0, h * 1.05)])]
    return [turned([(0, 0), (rad * 0.8, 0), (rad, h), (0, h)], smooth=0)]


def calculator(r):
    w, h = J(r, 1.2, 0.1), J(r, 1.8, 0.1)
    parts = [box(w, h, 0.15, 0.15), box(w * 0.8, h * 0.18, 0.02, 0.1, at=(0, h * 0.32, 0.075), slot=1)]
    for i in range(5):
        for j in range(4):
            parts.append(box(w * 0.15, h * 0.08, 0.04, 0.3, at=((j - 1.5) * w * 0.21, h * 0.1 - i * h * 0.13, 0.08), slot=2))
    return parts


def wheelchair(r):
    w = J(r, 1.1, 0.1)
    return [
        box(w, 0.1, w, 0.2, at=(0, 0.9, 0), slot=2),
        box(w, 0.9, 0.08, 0.2, at=(0, 1.4, -w / 2), rot=(-10, 0, 0), slot=2),
        wheel(0, 0.7, w / 2 + 0.1, 0.7, 0.06, axis="x", slot=1).__class__(torus(0.66, 0.04), at=(-w / 2 - 0.1, 0.7, -0.1), rot=(0, 0, 90), slot=1),
        Part(torus(0.66, 0.04), at=(w / 2 + 0.1, 0.7, -0.1), rot=(0, 0, 90), slot=1),
        wheel(-w / 2, 0.12, w * 0.6, 0.12, 0.06, axis="x"),
        wheel(w / 2, 0.12, w * 0.6, 0.12, 0.06, axis="x"),
        rod((-w / 2, 0.9, w / 2), (-w / 2, 0.2, w * 0.6), 0.03, slot=0),
        rod((w / 2, 0.9, w / 2), (w / 2, 0.2, w * 0.6), 0.03, slot=0),
    ]


def trophy(r):
    h = J(r, 1.4)
    cw = J(r, 0.6)
    return [
        turned([(0, 0), (0.5, 0), (0.5, 0.3), (0.2, 0.35), (0.08, 0.4), (0.07, h * 0.6), (cw * 0.5, h * 0.75), (cw, h * 1.2), (cw * 0.95, h * 1.2), (cw * 0.45, h * 0.8), (0, h * 0.75)]),
        Part(torus(0.22, 0.04), at=(cw + 0.1, h * 1.0, 0), rot=(90, 0, 0)),
        Part(torus(0.22, 0.04), at=(-cw - 0.1, h * 1.0, 0), rot=(90, 0, 0)),
        box(1.1, 0.3, 1.1, 0.1, at=(0, -0.15, 0), slot=1),
    ]


def surfboard(r):
    L, w = J(r, 3.0, 0.1), J(r, 0.55)
    return [Part(superquadric(w, 0.05, L / 2, 0.5, 1.0, taper=0.0, bend=0.0), rot=(0, 0, 0)).__class__(
        lambda u, v, L=L, w=w: _board(u, v, L, w)
    ), box(0.02, 0.25, 0.3, 0.3, at=(0, -0.15, -L * 0.4), slot=1)]


def _board(u, v, L, w):
    import torch

    p = superquadric(w, 0.06, L / 2, 0.5, 1.0)(u, v)
    t = p[:, 2] / (L / 2)
    x = p[:, 0] * (1 - 0.6 * t.clamp(0, 1) ** 2)
    y = p[:, 1] + 0.12 * t.clamp(0, 1) ** 3
    return torch.stack([x, y, p[:, 2]], -1)


def skateboard(r):
    L, w = J(r, 2.6, 0.1), J(r, 0.7, 0.1)
    parts = [Part(superquadric(w / 2, 0.04, L / 2, 0.3, 0.4), at=(0, 0.3, 0))]
    for z in (-L * 0.32, L * 0.32):
        parts.append(box(w * 0.6, 0.08, 0.12, 0.3, at=(0, 0.22, z), slot=2))
        for x in (-w * 0.38, w * 0.38):
            parts.append(cyl(0.09, 0.08, 0.5, at=(x, 0.1, z), rot=(0, 0, 90), slot=1))
    return parts


def pot(r):
    rad, h = J(r, 0.8), J(r, 0.9)
    return [
        turned(open_cup(rad, rad, h, 0.04)),
        box(0.35, 0.06, 0.15, 0.3, at=(rad + 0.12, h * 0.85, 0), slot=1),
        box(0.35, 0.06, 0.15, 0.3, at=(-rad - 0.12, h * 0.85, 0), slot=1),
        turned([(0, h), (rad * 1.02, h), (rad * 0.6, h + 0.15), (0, h + 0.18)], slot=0),
        ell(0.1, 0.08, 0.1, at=(0, h + 0.24, 0), slot=1),
    ]


def pliers(r):
    L = J(r, 2.0)
    a = J(r, 10, 0.4)
    parts = []
    for s in (-1, 1):
        parts.append(path([(0, 0, 0.02 * s), (-L * 0.3, s * 0.12, 0.02 * s), (-L * 0.7, s * 0.25, 0.02 * s)], [0.06, 0.07, 0.07], smooth=2, slot=1))
        parts.append(Part(superquadric(L * 0.17, 0.06, 0.03, 0.5, 0.6, taper=0), at=(L * 0.17, s * 0.04, 0.02 * s), rot=(0, 0, s * a * 0.3)))
    parts.append(cyl(0.09, 0.12, 0.6, rot=(90, 0, 0)))
    return parts


def microscope(r):
    return [
        box(1.0, 0.2, 1.2, 0.2, at=(0, 0.1, 0)),
        path([(0, 0.2, -0.45), (0, 1.0, -0.5), (0, 1.5, -0.3)], 0.14, smooth=2, slot=1),
        rod((0, 1.7, 0.05), (0, 0.85, 0.15), 0.12, slot=0),
        box(0.7, 0.05, 0.7, 0.1, at=(0, 0.7, 0.1), slot=1),
        cyl(0.12, 0.2, 0.5, at=(0.25, 1.0, -0.45), rot=(0, 0, 90), slot=2),
    ]


def lawn_chair(r):
    w = J(r, 1.1)
    back = J(r, 20, 0.5)
    n = int(r.integers(4, 7))
    parts = [box(w, 0.08, 0.12, 0.2, at=(0, 0.6, z), slot=0) for z in np.linspace(-0.4, 0.4, n)]
    parts += [box(0.12, 1.3, 0.06, 0.2, at=(x, 1.2, -0.6), rot=(-back, 0, 0)) for x in np.linspace(-w / 2 + 0.1, w / 2 - 0.1, n)]
    parts += [box(0.15, 0.06, 1.3, 0.2, at=(s * (w / 2 + 0.1), 0.95, 0), slot=1) for s in (-1, 1)]
    parts += legs4(w + 0.2, 1.1, 0.95, 0.05, 0.95, slot=1)
    return parts


def ladder(r):
    h, w = J(r, 3.0), J(r, 0.9)
    n = int(r.integers(5, 8))
    parts = [box(0.08, h, 0.15, 0.2, at=(x, h / 2, 0), slot=0) for x in (-w / 2, w / 2)]
    parts += [rod((-w / 2, y, 0), (w / 2, y, 0), 0.04, slot=1) for y in np.linspace(h * 0.1, h * 0.9, n)]
    return parts


def jar(r):
    rad, h = J(r, 0.6), J(r, 1.1)
    return [
        turned([(0, 0), (rad, 0), (rad * 1.02, h * 0.8), (rad * 0.8, h * 0.9), (0, h * 0.9)]),
        cyl(rad * 0.85, h * 0.15, 0.3, at=(0, h * 0.95, 0), slot=1),
    ]


def hydrant(r):
    h = J(r, 1.6)
    return [
        turned([(0, 0), (0.5, 0), (0.5, 0.08), (0.33, 0.12), (0.32, h), (0.38, h * 1.02), (0.3, h * 1.1), (0, h * 1.3)]),
        cyl(0.14, 0.6, 0.3, at=(0, h * 0.65, 0), rot=(0, 0, 90), slot=1),
        cyl(0.18, 0.3, 0.3, at=(0, h * 0.6, 0.35), rot=(90, 0, 0), slot=1),
        cyl(0.05, 0.12, 0.3, at=(0, h * 1.32, 0), slot=1),
    ]


def fan(r):
    rad = J(r, 0.8)
    blades = int(r.integers(3, 6))
    y = J(r, 1.5)
    parts = [
        turned([(0, 0), (0.5, 0), (0.45, 0.1), (0, 0.12)], slot=1),
        rod((0, 0.1, 0), (0, y, 0), 0.05, slot=1),
        Part(torus(rad, 0.03), at=(0, y + rad * 0.1, 0.1), rot=(90, 0, 0), slot=1),
        cyl(0.15, 0.3, 0.6, at=(0, y + rad * 0.1, -0.05), rot=(90, 0, 0), slot=1),
    ]
    for k in range(blades):
        a = 360 * k / blades
        c, s = math.cos(math.radians(a)), math.sin(math.radians(a))
        parts.append(Part(superquadric(rad * 0.4, 0.2, 0.02, 0.6, 0.6), at=(c * rad * 0.5, y + rad * 0.1 + s * rad * 0.5, 0.1), rot=(15, 0, a)))
    return parts


def door_handle(r):
    L = J(r, 1.4)
    knob = r.random() < 0.3
    parts = [cyl(0.35, 0.1, 0.3, rot=(90, 0, 0), slot=1)]
    if knob:
        parts.append(turned([(0, 0), (0.12, 0), (0.1, 0.3), (0.35, 0.45), (0.3, 0.65), (0, 0.7)], rot=(90, 0, 0)))
    else:
        parts += [rod((0, 0, 0), (0, 0, 0.35), 0.09), path([(0, 0, 0.35), (L * 0.3, 0, 0.38), (L, -0.05, 0.38)], 0.08, smooth=1)]
    return parts


def bowl(r):
    rad = J(r, 1.0)
    return [turned([(0, 0), (rad * 0.45, 0), (rad * 0.48, 0.08), (rad * 0.85, rad * 0.35), (rad, rad * 0.6), (rad * 0.96, rad * 0.6), (rad * 0.8, rad * 0.37), (rad * 0.4, 0.12), (0, 0.12)])]


def basket(r):
    rad, h = J(r, 1.0), J(r, 0.8)
    sq = r.random() < 0.4
    return [
        turned(open_cup(rad * 0.8, rad, h, 0.05), section=polygon_section(4, 0.2) if sq else None),
        path(arc(0, h, rad * 0.95, 180, 0, n=11), 0.05, slot=1),
    ]


def spider(r):
    parts = [ell(0.55, 0.4, 0.7, at=(0, 0.4, -0.55)), ell(0.35, 0.28, 0.4, at=(0, 0.35, 0.35))]
    span = J(r, 1.6)
    for s in (-1, 1):
        for k, a in enumerate((-50, -15, 15, 50)):
            c, sn = math.cos(math.radians(a)), math.sin(math.radians(a))
            parts.append(path([(0.2 * s, 0.35, 0.35 + 0.1 * sn), (s * span * 0.5 * c, 0.9, 0.35 + span * 0.5 * sn), (s * span * c, 0.0, 0.35 + span * sn)], [0.06, 0.05, 0.03], smooth=1, slot=0))
    return parts


def cake(r):
    rad, h = J(r, 1.0), J(r, 0.8)
    layers = int(r.integers(1, 3))
    parts = []
    for i in range(layers):
        rr = rad * (1 - 0.3 * i)
        y = i * h
        parts.append(cyl(rr, h, 0.2, at=(0, y + h / 2, 0)))
        parts.append(ring(rr * 0.92, 0.06, at=(0, y + h, 0), slot=1))
    parts.append(turned([(0, 0), (rad * 1.25, 0), (rad * 1.25, 0.05), (0, 0.05)], at=(0, -0.05, 0), slot=2))
    return parts


def chocolate(r):
    nx, nz = int(r.integers(3, 6)), int(r.integers(2, 4))
    w, d = J(r, 2.4), J(r, 1.2)
    parts = [box(w, 0.08, d, 0.1)]
    for i in range(nx):
        for j in range(nz):
            parts.append(box(w / nx * 0.85, 0.12, d / nz * 0.85, 0.3, at=((i + 0.5) * w / nx - w / 2, 0.08, (j + 0.5) * d / nz - d / 2)))
    return parts


def shelf(r):
    w, h, d = J(r, 1.8), J(r, 2.6), J(r, 0.8)
    n = int(r.integers(3, 6))
    parts = [rod((x, 0, z), (x, h, z), 0.04, slot=1) for x in (-w / 2, w / 2) for z in (-d / 2, d / 2)]
    parts += [box(w, 0.05, d, 0.1, at=(0, y, 0)) for y in np.linspace(0.15, h - 0.05, n)]
    return parts


def sconce(r):
    return [
        box(0.5, 0.8, 0.08, 0.3, slot=1),
        path([(0, 0, 0.04), (0, -0.1, 0.5), (0, 0.3, 0.8)], 0.04, smooth=2, slot=1),
        turned([(0, -0.1), (0.2, -0.1), (J(r, 0.4), 0.4), (J(r, 0.4) - 0.02, 0.4), (0.18, -0.08), (0, -0.08)], at=(0, 0.35, 0.8)),
    ]


def pepper_mill(r):
    h = J(r, 2.2)
    return [
        turned([(0, 0), (0.35, 0), (0.38, h * 0.15), (0.25, h * 0.5), (0.33, h * 0.8), (0.25, h * 0.92), (0, h)], section=flutes(8, 0.04)),
        ell(0.1, 0.1, 0.1, at=(0, h + 0.05, 0), slot=1),
    ]


def pen(r):
    L = J(r, 2.6, 0.08)
    return [
        turned([(0, 0), (0.02, 0.02), (0.09, L * 0.12), (0.1, L * 0.9), (0.08, L), (0, L)], at=(0, -L / 2, 0)),
        box(0.05, L * 0.3, 0.08, 0.3, at=(0.1, L * 0.3, 0), slot=1),
        cyl(0.105, L * 0.1, 0.3, at=(0, L * 0.48, 0), slot=1),
    ]


def kennel(r):
    w, h, d = J(r, 1.6), J(r, 1.1), J(r, 1.6)
    roof = J(r, 35, 0.2)
    rl = w / 2 / math.cos(math.radians(roof)) * 1.15
    return [
        box(w, h, d, 0.05, at=(0, h / 2, 0)),
        box(rl, 0.06, d * 1.15, 0.1, at=(-w / 4, h + math.tan(math.radians(roof)) * w / 4, 0), rot=(0, 0, roof), slot=1),
        box(rl, 0.06, d * 1.15, 0.1, at=(w / 4, h + math.tan(math.radians(roof)) * w / 4, 0), rot=(0, 0, -roof), slot=1),
        Part(superquadric(w * 0.22, h * 0.35, 0.02, 0.4, 0.4), at=(0, h * 0.35, d / 2), slot=2),
    ]


def dice(r):
    parts = [Part(superquadric(1, 1, 1, 0.2, 0.2))]
    pips = {0: [(0, 0)], 1: [(-0.45, -0.45), (0.45, 0.45)], 2: [(-0.45, -0.45), (0, 0), (0.45, 0.45)]}
    for face, (axis, sgn) in enumerate([(2, 1), (0, 1), (1, 1)]):
        for a, b in pips[face]:
            p = [0.0, 0.0, 0.0]
            p[axis] = sgn * 0.99
            others = [i for i in range(3) if i != axis]
            p[others[0]], p[others[1]] = a, b
            parts.append(ell(0.14, 0.14, 0.14, at=tuple(p), slot=1))
    return parts


def coffee_table(r):
    w, d, h = J(r, 2.6), J(r, 1.4), J(r, 0.6)
    oval = r.random() < 0.4
    top = Part(superquadric(w / 2, 0.06, d / 2, 0.2, 1.0 if oval else 0.2), at=(0, h, 0), slot=1)
    return [top, box(w * 0.8, 0.05, d * 0.7, 0.1, at=(0, h * 0.3, 0)), *legs4(w * 0.8, d * 0.7, h, 0.07, h)]


def grinder(r):
    return [
        box(0.8, 0.9, 0.8, 0.3, at=(0, 0.45, 0)),
        turned([(0, 0), (0.3, 0), (0.55, J(r, 0.7)), (0, J(r, 0.7))], at=(0, 0.9, 0), slot=1),
        path([(0, 1.65, 0), (0, 1.8, 0), (0.5, 1.8, 0), (0.5, 2.0, 0)], 0.04, smooth=0, slot=2),
        ell(0.08, 0.12, 0.08, at=(0.5, 2.05, 0), slot=2),
    ]


def bookend(r):
    h, d = J(r, 1.6), J(r, 1.0)
    w = J(r, 1.1)
    return [box(w, 0.06, d, 0.1, at=(0, 0.03, 0)), box(w, h, 0.06, 0.1, at=(0, h / 2, -d / 2)), Part(superquadric(0.03, h * 0.3, d * 0.3, 0.1, 0.1, taper=-0.6), at=(0, h * 0.3, -d / 2 + d * 0.2), rot=(0, 90, 0), slot=1)]


def bed(r):
    w, L = J(r, 2.0), J(r, 2.8)
    return [
        box(w, 0.4, L, 0.1, at=(0, 0.4, 0), slot=1),
        box(w * 0.97, 0.35, L * 0.97, 0.3, at=(0, 0.75, 0)),
        box(w, J(r, 1.4), 0.12, 0.1, at=(0, 0.9, -L / 2), slot=1),
        Part(superquadric(w * 0.35, 0.12, 0.3, 0.6, 1.5), at=(0, 1.02, -L / 2 + 0.4), slot=2),
        *legs4(w * 0.95, L * 0.95, 0.3, 0.05, 0.3, slot=1),
    ]


def bat(r):
    L = J(r, 3.0, 0.05)
    b = J(r, 0.17)
    return [turned([(0, 0), (0.09, 0), (0.07, 0.05), (0.05, 0.1), (0.06, L * 0.45), (b, L * 0.8), (b, L * 0.97), (0, L)], at=(0, -L / 2, 0))]


def alarm_clock(r):
    rad = J(r, 0.8)
    return [
        cyl(rad, 0.4, 0.3, at=(0, 1.0, 0), rot=(90, 0, 0)),
        cyl(rad * 0.85, 0.02, 0.2, at=(0, 1.0, 0.2), rot=(90, 0, 0), slot=1),
        turned([(0, 0), (0.28, 0), (0.01, 0.25)], at=(-rad * 0.6, 1.0 + rad * 0.75, 0), rot=(0, 0, 30), slot=2),
        turned([(0, 0), (0.28, 0), (0.01, 0.25)], at=(rad * 0.6, 1.0 + rad * 0.75, 0), rot=(0, 0, -30), slot=2),
        rod((-rad * 0.5, 1.0 - rad * 0.8, 0), (-rad * 0.7, 0.0, 0), 0.04, slot=2),
        rod((rad * 0.5, 1.0 - rad * 0.8, 0), (rad * 0.7, 0.0, 0), 0.04, slot=2),
        box(0.04, rad * 0.6, 0.02, 0.3, at=(0, 1.0 + rad * 0.25, 0.22), slot=2),
    ]


def flower(r):
    n = int(r.integers(5, 10))
    h = J(r, 2.0)
    pr = J(r, 0.5)
    parts = [path([(0, 0, 0), (0.1, h * 0.5, 0), (0, h, 0)], 0.04, slot=1), ell(0.18, 0.1, 0.18, at=(0, h, 0), slot=2)]
    for k in range(n):
        a = 360 * k / n
        c, s = math.cos(math.radians(a)), math.sin(math.radians(a))
        parts.append(Part(superquadric(pr / 2, 0.03, 0.15, 0.8, 1.0), at=(c * pr * 0.55, h + 0.02, -s * pr * 0.55), rot=(0, a, 10)))
    parts.append(Part(superquadric(0.3, 0.02, 0.12, 0.8, 1.4), at=(0.25, h * 0.4, 0), rot=(0, 0, 30), slot=1))
    return parts


def tray(r):
    w, d = J(r, 2.4), J(r, 1.6)
    oval = r.random() < 0.4
    e = 1.0 if oval else 0.15
    return [
        Part(superquadric(w / 2, 0.03, d / 2, 0.3, e)),
        Part(lathe([(0.0, 0), (1.0, 0), (1.0, 0.15), (0.96, 0.15), (0.96, 0.03), (0.0, 0.03)], section=None if oval else polygon_section(4, 0.1), smooth=0).__call__ if False else _rim(w, d, oval)),
        box(0.4, 0.06, 0.12, 0.3, at=(w / 2 + 0.12, 0.14, 0), slot=1),
        box(0.4, 0.06, 0.12, 0.3, at=(-w / 2 - 0.12, 0.14, 0), slot=1),
    ]


def _rim(w, d, oval):
    import torch

    base = lathe([(0.94, 0), (1.0, 0), (1.0, 0.15), (0.96, 0.15), (0.94, 0.03)], smooth=0)

    def f(u, v):
        p = base(u, v)
        if not oval:  # stretch the ring onto a rounded rectangle
            a = torch.atan2(-p[:, 2], p[:, 0])
            k = 1.0 / torch.maximum(torch.cos(a).abs(), torch.sin(a).abs()).clamp_min(0.3) ** 0.9
            p = p * torch.stack([k, torch.ones_like(k), k], -1)
        return p * torch.tensor([w / 2, 1.0, d / 2], dtype=torch.float64)

    return f


_PROGRAMS: tuple[tuple[str, Builder, tuple[str, ...]], ...] = (
    ("bucket", bucket, ("plastic_vinyl_glossy_red", "steel_glossy")),
    ("candle", candle, ("paint_matte_white", "paint_glossy_yellow", "brass")),
    ("canoe", canoe, ("paint_glossy_red", "wood_beech_natural")),
    ("cassette", cassette, ("plastic_vinyl_glossy_black", "plastic_white", "plastic_translucent_gray")),
    ("trumpet", trumpet, ("brass", "brass")),
    ("desktop computer", desktop, ("plastic_vinyl_glossy_black", "plastic_gray", "plastic_light_gray")),
    ("dishwasher", dishwasher, ("steel_glossy", "plastic_vinyl_glossy_black", "chrome")),
    ("golf ball", golf_ball, ("plastic_polka_recessed_grain_white", "wood_ash")),
    ("golf cart", golf_cart, ("paint_glossy_white", "steel_glossy", "plastic_black")),
    ("hair dryer", hair_dryer, ("plastic_vinyl_glossy_pink", "plastic_light_gray")),
    ("iPod", ipod, ("aluminium_clean", "plastic_vinyl_glossy_black", "plastic_white")),
    ("laptop", laptop, ("aluminium_brushed", "plastic_vinyl_glossy_black", "plastic_gray")),
    ("lawn mower", lawn_mower, ("paint_glossy_green", "plastic_black", "steel_glossy")),
    ("microwave", microwave, ("paint_glossy_white", "glass_black", "plastic_gray")),
    ("mouse", mouse, ("plastic_vinyl_glossy_gray", "plastic_black")),
    ("padlock", padlock, ("brass", "chrome", "plastic_black")),
    ("paintbrush", paintbrush, ("wood_red_cedar", "aluminium_clean", "fabric_black_bristle")),
    ("printer", printer, ("plastic_light_gray", "plastic_black", "plastic_gray")),
    ("racket", racket, ("paint_glossy_blue", "plastic_black", "plastic_weave_white")),
    ("refrigerator", refrigerator, ("steel_glossy", "chrome", "plastic_gray")),
    ("remote control", remote, ("plastic_vinyl_glossy_black", "plastic_gray", "plastic_red")),
    ("safe", safe, ("paint_matte_gray", "chrome", "steel_battered")),
    ("screwdriver", screwdriver, ("plastic_translucent_yellow", "chrome")),
    ("shopping cart", shopping_cart, ("metal_wire_straight_grill", "chrome", "plastic_red")),
    ("soap dispenser", soap_dispenser, ("plastic_translucent_green", "chrome")),
    ("table lamp", table_lamp, ("fabric_beige", "brass")),
    ("toaster", toaster, ("chrome", "plastic_black", "plastic_black")),
    ("umbrella", umbrella, ("fabric_blue", "chrome", "wood_burma_padauk")),
    ("vase", vase, ("ceramic_porcelain_blue",)),
    ("banana", banana, ("banana_yellow", "wood_wenge")),
    ("wine glass", wine_glass, ("glass_clear",)),
    ("faucet", faucet, ("chrome", "chrome")),
    ("toy block", toy_block, ("paint_glossy_red",)),
    ("toothbrush", toothbrush, ("plastic_vinyl_glossy_green", "fabric_white")),
    ("toilet", toilet, ("ceramic_porcelain", "plastic_white")),
    ("pillow", pillow, ("silk_satin_moire",)),
    ("teakettle", kettle, ("steel_glossy", "plastic_black")),
    ("table", table, ("wood_american_chestnut", "wood_american_chestnut")),
    ("spoon", spoon, ("silver_glossy",)),
    ("sofa", sofa, ("fabric_carpet_grey", "fabric_felt_gray")),
    ("button", button, ("plastic_vinyl_glossy_red", "plastic_black")),
    ("knife", knife, ("steel_glossy", "wood_wenge")),
    ("ladle", ladle, ("steel_glossy",)),
    ("gear", gear, ("steel_oxidized", "brass")),
    ("fork", fork, ("silver_glossy",)),
    ("floor lamp", floor_lamp, ("fabric_white", "steel_glossy_black")),
    ("mug", mug, ("ceramic_porcelain",)),
    ("baking sheet", baking_sheet, ("aluminium_brushed",)),
    ("coaster", coaster, ("cork_simple", "cork_heavy")),
    ("chair", chair, ("wood_beech_natural", "wood_beech_natural")),
    ("cabinet", cabinet, ("wood_beech_natural", "wood_wenge", "brass")),
    ("carton", carton, ("cardboard_corrugated",)),
    ("duffel bag", duffel, ("fabric_green", "fabric_black", "chrome")),
    ("window", window, ("paint_glossy_white", "glass_clear")),
    ("sunglasses", sunglasses, ("plastic_vinyl_glossy_black", "glass_black")),
    ("jug", jug, ("ceramic_porcelain_blue",)),
    ("dart", dart, ("plastic_red", "steel_glossy", "plastic_vinyl_glossy_black")),
    ("bag", handbag, ("fabric_red", "fabric_black", "gold_natural")),
    ("money", money, ("paper_green", "paper_olive")),
    ("gift box", gift_box, ("paper_blue", "silk_smooth_red")),
    ("thermometer", thermometer, ("plastic_white", "chrome", "plastic_gray")),
    ("can", soda_can, ("aluminium_clean_red", "aluminium_clean")),
    ("scissors", scissors, ("steel_glossy", "plastic_vinyl_glossy_orange")),
    ("saw", saw, ("steel_glossy", "plastic_vinyl_glossy_orange")),
    ("skillet", skillet, ("steel_glossy_black", "wood_wenge")),
    ("comb", comb, ("plastic_vinyl_glossy_black",)),
    ("cork", cork, ("cork_simple",)),
    ("calculator", calculator, ("plastic_gray", "plastic_olive_green", "plastic_black")),
    ("wheelchair", wheelchair, ("chrome", "plastic_black", "fabric_blue")),
    ("trophy", trophy, ("gold_natural", "wood_wenge")),
    ("surfboard", surfboard, ("paint_glossy_white", "plastic_blue")),
    ("skateboard", skateboard, ("wood_ash", "plastic_yellow", "aluminium_clean")),
    ("pot", pot, ("steel_glossy", "plastic_black")),
    ("pliers", pliers, ("steel_glossy", "plastic_red")),
    ("microscope", microscope, ("paint_glossy_white", "paint_glossy_black", "chrome")),
    ("lawn chair", lawn_chair, ("wood_planks", "wood_planks")),
    ("ladder", ladder, ("aluminium_brushed", "aluminium_clean")),
    ("jar", jar, ("glass_clear", "paint_glossy_red")),
    ("fire hydrant", hydrant, ("paint_glossy_red", "paint_glossy_yellow")),
    ("fan", fan, ("plastic_white", "plastic_light_gray")),
    ("door handle", door_handle, ("chrome", "steel_glossy")),
    ("bowl", bowl, ("ceramic_porcelain_orange",)),
    ("basket", basket, ("plastic_weave_tan", "wood_makore")),
    ("spider", spider, ("fabric_black_hairy",)),
    ("cake", cake, ("chocolate_cake", "paint_matte_white", "porcelain")),
    ("chocolate", chocolate, ("chocolate",)),
    ("shelf", shelf, ("steel_glossy", "chrome")),
    ("sconce", sconce, ("fabric_beige", "brass")),
    ("pepper mill", pepper_mill, ("wood_wenge", "chrome")),
    ("pen", pen, ("plastic_vinyl_glossy_blue", "chrome")),
    ("kennel", kennel, ("wood_planks_01", "paint_matte_red", "paint_matte_black")),
    ("dice", dice, ("plastic_vinyl_glossy_white", "paint_glossy_black")),
    ("coffee table", coffee_table, ("wood_palisander_brazil", "glass_clear")),
    ("coffee grinder", grinder, ("wood_beech_chocolate_brown", "brass", "steel_glossy_black")),
    ("bookend", bookend, ("steel_oxidized", "brass")),
    ("bed", bed, ("fabric_white", "wood_beech_natural", "fabric_blue")),
    ("baseball bat", bat, ("wood_ash",)),
    ("alarm clock", alarm_clock, ("paint_glossy_red", "paint_glossy_white", "chrome")),
    ("flower", flower, ("silk_smooth_pink", "plastic_green", "paint_matte_yellow")),
    ("tray", tray, ("wood_burma_padauk", "brass")),
)


def _make_classes() -> tuple[ObjectClass, ...]:
    wnids = load_object_classes()
    if len(wnids) != len(_PROGRAMS):
        raise RuntimeError(f"{len(wnids)} classes in objects.json but {len(_PROGRAMS)} shape programs")
    return tuple(
        ObjectClass(wnid, name, build, natural, instances=min(6, max(3, len(models))))
        for (wnid, models), (name, build, natural) in zip(wnids.items(), _PROGRAMS, strict=True)
    )


OBJECT_CLASSES: tuple[ObjectClass, ...] = _make_classes()
"""The 100 classes, label ``i`` = ``OBJECT_CLASSES[i]`` (the order of ``objects.json``)."""
