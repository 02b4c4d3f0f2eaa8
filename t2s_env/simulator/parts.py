"""Part helpers of the shape programs: closed primitives sized in object units, and profiles.

Each helper returns a :class:`~t2s_env.simulator.geometry.Part` (or the points, profile or
cross-section a part is made of); ``**kw`` are ``Part``'s placement fields (``at``, ``rot``,
``slot``). Instance variation comes from :func:`jitter` on the builder's random generator.

>>> r = np.random.default_rng(0)
>>> 0.85 <= jitter(r, 1.0) <= 1.15
True
>>> [len(p) for p in (open_cup_profile(0.5, 0.6, 1.0, 0.05), arc_points(0, 0, 1, 0, 90, n=5))]
[6, 5]
"""

from __future__ import annotations

import math

import numpy as np

from t2s_env.simulator.geometry import Part, lathe, superquadric, torus, tube

Rng = np.random.Generator
"""The random generator a shape program draws its instance from."""


def jitter(r: Rng, x: float, rel: float = 0.15) -> float:
    """``x`` jittered by up to ``rel`` (relative)."""
    return float(x * (1 + r.uniform(-rel, rel)))


def box(w: float, h: float, d: float, e: float = 0.15, **kw) -> Part:
    """A rounded box ``w x h x d`` (``e``: corner roundness, 0 sharp .. 1 round)."""
    return Part(superquadric(w / 2, h / 2, d / 2, e, e), **kw)


def cylinder(rad: float, h: float, e: float = 0.15, **kw) -> Part:
    """An upright cylinder of radius ``rad`` and height ``h`` (``e``: edge roundness)."""
    return Part(superquadric(rad, h / 2, rad, e, 1.0), **kw)


def ellipsoid(a: float, b: float, c: float, **kw) -> Part:
    """An ellipsoid with semi-axes ``a, b, c``."""
    return Part(superquadric(a, b, c), **kw)


def rod(p0, p1, rad: float, **kw) -> Part:
    """A straight tube of radius ``rad`` from ``p0`` to ``p1``."""
    return Part(tube([p0, p1], rad, smooth=0), **kw)


def bent_tube(points, rad, smooth: int = 3, flat: float = 1.0, **kw) -> Part:
    """A tube through ``points`` (smoothed ``smooth`` times; ``flat`` < 1 flattens its section)."""
    return Part(tube(points, rad, smooth=smooth, flat=flat), **kw)


def turned(profile, section=None, smooth: int = 2, **kw) -> Part:
    """A surface of revolution of ``(radius, height)`` ``profile`` about the y axis."""
    return Part(lathe(profile, section, smooth), **kw)


def ring(major: float, minor: float, **kw) -> Part:
    """A torus of radii ``major`` and ``minor``."""
    return Part(torus(major, minor), **kw)


def open_cup_profile(r_bot: float, r_top: float, h: float, wall: float, y0: float = 0.0) -> list:
    """Profile of an open container (out, up, over the rim, down inside)."""
    return [
        (0, y0),
        (r_bot, y0),
        (r_top, y0 + h),
        (r_top - wall, y0 + h),
        (r_bot - wall, y0 + wall),
        (0, y0 + wall),
    ]


def arc_points(cx, cy, rad, a0, a1, n=9, z=0.0, plane="xy"):
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
    """``section(angle)`` with ``n`` square teeth ``depth`` deep (gears, combs)."""

    def f(a):
        import torch

        return 1 - depth * (torch.sin(n * a) > 0).float() * 0.999 - depth * 0.001

    return f


def fluted_section(n: int, depth: float):
    """``section(angle)`` with ``n`` rounded flutes ``depth`` deep."""

    def f(a):
        import torch

        return 1 - depth * torch.cos(n * a).abs()

    return f


def four_legs(w, d, h, rad, y_top, **kw) -> list[Part]:
    """Four rods of length ``h`` down from the corners of a ``w x d`` top at ``y_top``."""
    return [
        rod((sx * w / 2, y_top, sz * d / 2), (sx * w / 2, y_top - h, sz * d / 2), rad, **kw)
        for sx in (-1, 1)
        for sz in (-1, 1)
    ]


def wheel(x, y, z, rad, width, axis="z", slot=1) -> Part:
    """A tyre (torus) of radius ``rad`` at ``(x, y, z)`` turning about ``axis``."""
    rot = (90.0, 0.0, 0.0) if axis == "z" else (0.0, 0.0, 90.0)
    return Part(torus(rad - width / 2, width / 2), at=(x, y, z), rot=rot, slot=slot)
