"""Procedural geometry: closed parametric surfaces sampled into dense oriented point sets.

An object is a list of :class:`Part` s; each part is a closed parametric surface
``f(u, v) -> xyz`` on the unit square, placed by a rotation and a translation and tagged with a
material slot. :func:`sample_object` turns an object into ``n`` surface points with outward
normals, spread in proportion to surface area (systematic sampling over a fine ``(u, v)`` grid
with jitter), plus procedural texture coordinates. The renderer splats these points; it never
touches a triangle.

>>> part = Part(superquadric(1.0, 1.0, 1.0))
>>> pts = sample_object([part], n=2000, seed=0)
>>> pts.position.shape, pts.normal.shape
(torch.Size([2000, 3]), torch.Size([2000, 3]))
>>> bool((pts.position.norm(dim=1) <= 1.0 + 1e-4).all())  # normalised to the unit ball
True
>>> float((pts.normal * pts.position).sum(1).min()) > 0  # outward normals on a sphere
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

Surface = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``f(u, v) -> (N, 3)`` for ``u, v`` in ``[0, 1]`` (float64 tensors of shape ``(N,)``)."""

N_PATTERNS = 4
"""Procedural texture channels per point: wood grain, checker, smooth noise, fine speckle."""


def _spow(x: torch.Tensor, e: float) -> torch.Tensor:
    return torch.sign(x) * torch.abs(x).clamp_min(1e-12) ** e


def superquadric(
    a: float,
    b: float,
    c: float,
    e1: float = 1.0,
    e2: float = 1.0,
    taper: float = 0.0,
    twist: float = 0.0,
    bend: float = 0.0,
) -> Surface:
    """A superquadric with half-sizes ``(a, b, c)`` (``y`` up) and shape exponents ``e1, e2``.

    ``e = 1`` is round, ``e -> 0.1`` square, ``e = 2`` pinched. ``taper`` scales the ``x, z``
    section linearly from ``1 - taper`` at the bottom to ``1 + taper`` at the top; ``twist``
    rotates it by ``twist`` radians from bottom to top; ``bend`` curves the ``y`` axis towards
    ``+x`` (radians of arc over the height).
    """

    def f(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        # radial parametrisation: a sphere direction pushed out to the surface F(p) = 1, so
        # flat faces of box-like shapes are spread evenly over (u, v) (the classic angle
        # parametrisation squeezes them into slivers)
        theta = (u * 2 - 1) * math.pi
        phi = (v - 0.5) * math.pi
        dx, dy, dz = (
            torch.cos(phi) * torch.cos(theta),
            torch.sin(phi),
            torch.cos(phi) * torch.sin(theta),
        )
        ax, ay, az = dx.abs().clamp_min(1e-12), dy.abs().clamp_min(1e-12), dz.abs().clamp_min(1e-12)
        big = torch.maximum(torch.maximum(ax, ay), az)  # rescale for stable large powers
        ax, ay, az = ax / big, ay / big, az / big
        inside = (ax ** (2 / e2) + az ** (2 / e2)) ** (e2 / e1) + ay ** (2 / e1)
        s = inside ** (-e1 / 2) / big
        x, y, z = a * dx * s, b * dy * s, c * dz * s
        t = y / max(b, 1e-9)
        s = 1 + taper * t
        x, z = x * s, z * s
        if twist:
            ang = twist * (t + 1) / 2
            x, z = x * torch.cos(ang) - z * torch.sin(ang), x * torch.sin(ang) + z * torch.cos(ang)
        if bend:
            # bend the y axis along an arc of total angle `bend` (radius b*2/bend)
            rad = 2 * b / bend
            ang = y / rad
            x, y = (rad - x) * -torch.cos(ang) + rad, (rad - x) * torch.sin(ang)
        return torch.stack([x, y, z], dim=-1)

    return f


def _chaikin(points: np.ndarray, rounds: int) -> np.ndarray:
    """Corner-cutting smoothing of an open polyline (end points kept)."""
    p = np.asarray(points, dtype=np.float64)
    for _ in range(rounds):
        q = 0.75 * p[:-1] + 0.25 * p[1:]
        r = 0.25 * p[:-1] + 0.75 * p[1:]
        mid = np.stack([q, r], axis=1).reshape(-1, p.shape[1])
        p = np.concatenate([p[:1], mid, p[-1:]], axis=0)
    return p


def _polyline(points: np.ndarray) -> Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Arc-length parametrisation ``s in [0, 1] -> (point, tangent)`` of a polyline."""
    p = torch.as_tensor(points, dtype=torch.float64)
    seg = p[1:] - p[:-1]
    length = seg.norm(dim=1).clamp_min(1e-9)
    cum = torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumsum(length, 0)])
    cum = cum / cum[-1]

    def at(s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        i = torch.searchsorted(cum, s.clamp(0, 1), right=True).clamp(1, len(cum) - 1) - 1
        w = ((s - cum[i]) / (cum[i + 1] - cum[i]).clamp_min(1e-12)).unsqueeze(-1)
        return p[i] + w * seg[i], seg[i] / length[i].unsqueeze(-1)

    return at


def lathe(
    profile: Sequence[tuple[float, float]],
    section: Callable[[torch.Tensor], torch.Tensor] | None = None,
    smooth: int = 2,
) -> Surface:
    """A surface of revolution about ``y`` of a profile of ``(radius, height)`` points.

    The profile runs from the axis at the bottom to the axis at the top (end points on the
    axis are added when missing) and may fold back (a cup: out, up, over the rim, down inside),
    so the surface is always closed. ``section(angle)`` optionally scales the radius by angle
    (gear teeth, flutes, square sections).
    """
    prof = [tuple(map(float, p)) for p in profile]
    if prof[0][0] != 0:
        prof.insert(0, (0.0, prof[0][1]))
    if prof[-1][0] != 0:
        prof.append((0.0, prof[-1][1]))
    at = _polyline(_chaikin(np.array(prof), smooth))

    def f(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        rp, _ = at(u)
        ang = v * 2 * math.pi
        r = rp[:, 0] if section is None else rp[:, 0] * section(ang)
        return torch.stack([r * torch.cos(ang), rp[:, 1], -r * torch.sin(ang)], dim=-1)

    return f


def torus(major: float, minor: float, minor_y: float | None = None) -> Surface:
    """A torus in the ``x-z`` plane (ring radius ``major``, tube radius ``minor``)."""
    my = minor if minor_y is None else minor_y

    def f(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        t, p = u * 2 * math.pi, v * 2 * math.pi
        r = major + minor * torch.cos(p)
        return torch.stack([r * torch.cos(t), my * torch.sin(p), -r * torch.sin(t)], dim=-1)

    return f


def tube(
    path: Sequence[tuple[float, float, float]],
    radius: float | Sequence[float],
    smooth: int = 3,
    flat: float = 1.0,
) -> Surface:
    """A tube of (optionally varying) ``radius`` along a 3D polyline, closed by round caps.

    ``flat`` squashes the section along the path's binormal (``< 1``: a flat strap or blade).
    """
    pts = _chaikin(np.asarray(path, dtype=np.float64), smooth)
    rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (len(path),))
    rad = _chaikin(rad.reshape(-1, 1), smooth)[:, 0]
    at = _polyline(np.concatenate([pts, rad[:, None]], axis=1))
    p = torch.as_tensor(pts)
    length = float((p[1:] - p[:-1]).norm(dim=1).sum())
    r0, r1 = float(rad[0]), float(rad[-1])
    total = length + r0 + r1
    # a fixed reference direction not parallel to any tangent, for the section frame
    t_all = p[-1] - p[0]
    ref = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    if abs(float(torch.nn.functional.normalize(t_all, dim=0) @ ref)) > 0.9:
        ref = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)

    def f(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        s = u * total - r0
        pr, tan = at((s / length).clamp(0, 1))
        centre, tan, r = pr[:, :3], tan[:, :3], pr[:, 3]
        tan = torch.nn.functional.normalize(tan, dim=1)
        before, after = s < 0, s > length
        # hemispherical caps beyond the ends
        d = torch.where(before, -s, torch.where(after, s - length, torch.zeros_like(s)))
        rr = torch.where(before, r0, torch.where(after, r1, r))
        r = torch.sqrt((rr**2 - d**2).clamp_min(0))
        centre = centre + torch.where(before, -d, d).unsqueeze(-1) * tan * (
            before | after
        ).unsqueeze(-1)
        n1 = torch.nn.functional.normalize(torch.cross(tan, ref.expand_as(tan), dim=1), dim=1)
        n2 = torch.cross(tan, n1, dim=1)
        ang = v * 2 * math.pi
        return centre + r.unsqueeze(-1) * (
            torch.cos(ang).unsqueeze(-1) * n1 + flat * torch.sin(ang).unsqueeze(-1) * n2
        )

    return f


def rotation(rx: float = 0.0, ry: float = 0.0, rz: float = 0.0) -> np.ndarray:
    """Rotation matrix from Euler angles in degrees (applied ``x``, then ``y``, then ``z``)."""
    a, b, c = np.radians([rx, ry, rz])
    mx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    my = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    mz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return mz @ my @ mx


@dataclass(frozen=True)
class Part:
    """One closed surface of an object, placed by ``rot`` (degrees) then ``at``.

    ``slot`` names the material slot (0 = the object's main material, 1, 2 ... its others).
    """

    surface: Surface
    at: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rot: tuple[float, float, float] = (0.0, 0.0, 0.0)
    slot: int = 0
    _matrix: torch.Tensor = field(init=False, repr=False, compare=False)

    _offset: torch.Tensor = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        m = torch.as_tensor(rotation(*self.rot), dtype=torch.float64)
        object.__setattr__(self, "_matrix", m.T)  # made once: a part is evaluated ~10 times
        object.__setattr__(self, "_offset", torch.tensor(self.at, dtype=torch.float64))

    def __call__(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return self.surface(u, v) @ self._matrix + self._offset


@dataclass(frozen=True)
class PointSet:
    """Dense surface samples of one object instance, normalised to the unit ball.

    Attributes:
        position: ``(P, 3)`` float32 points, centred, max norm 1.
        normal: ``(P, 3)`` float32 outward unit normals.
        slot: ``(P,)`` int64 material slot of each point.
        pattern: ``(P, N_PATTERNS)`` float32 procedural texture values in ``[0, 1]``.
        area: Surface area of the normalised object (sets the splat size at a distance).
    """

    position: torch.Tensor
    normal: torch.Tensor
    slot: torch.Tensor
    pattern: torch.Tensor
    area: float = 4 * math.pi


_GRID = 48


def _value_noise(p: torch.Tensor, freq: float, gen: torch.Generator) -> torch.Tensor:
    """Smooth 3D value noise in ``[0, 1]`` at points ``p`` (``(P, 3)`` in the unit ball)."""
    lattice = torch.rand(1, 1, 16, 16, 16, generator=gen, dtype=torch.float32)
    g = (p * freq / 8).clamp(-1, 1).to(torch.float32).view(1, 1, 1, -1, 3)
    return torch.nn.functional.grid_sample(lattice, g, align_corners=True).view(-1)


def sample_object(parts: Sequence[Part], n: int, seed: int) -> PointSet:
    """``n`` area-uniform surface samples of ``parts``, normalised to the unit ball.

    Sampling is systematic over a ``48 x 48`` grid of cells per part (even coverage, no
    clumps) with uniform jitter inside each cell; normals come from central differences of
    the parametrisation, oriented outwards per part (divergence theorem: a closed surface's
    ``sum n.(p - c) dA`` is positive).
    """
    if not parts:
        raise ValueError("an object needs at least one part")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    gen = torch.Generator().manual_seed(int(seed))
    g = _GRID
    cu = (torch.arange(g, dtype=torch.float64) + 0.5) / g
    uu, vv = torch.meshgrid(cu, cu, indexing="ij")
    uu, vv = uu.reshape(-1), vv.reshape(-1)
    h = 0.5 / g
    areas = []
    for part in parts:
        du = part(uu + h, vv) - part(uu - h, vv)
        dv = part(uu, vv + h) - part(uu, vv - h)
        areas.append(torch.cross(du, dv, dim=1).norm(dim=1))
    area = torch.cat(areas)
    cdf = torch.cumsum(area, 0)
    cdf = cdf / cdf[-1]
    offset = torch.rand(1, generator=gen, dtype=torch.float64)
    q = (torch.arange(n, dtype=torch.float64) + offset) / n
    cell = torch.searchsorted(cdf, q).clamp(max=len(cdf) - 1)
    part_of = cell // (g * g)
    local = cell % (g * g)
    jit = torch.rand(n, 2, generator=gen, dtype=torch.float64) - 0.5
    u = (uu[local] + jit[:, 0] / g).clamp(1e-4, 1 - 1e-4)
    v = (vv[local] + jit[:, 1] / g).clamp(1e-4, 1 - 1e-4)
    pos = torch.empty(n, 3, dtype=torch.float64)
    nrm = torch.empty(n, 3, dtype=torch.float64)
    slot = torch.empty(n, dtype=torch.int64)
    e = 1e-4
    for k, part in enumerate(parts):
        m = part_of == k
        if not bool(m.any()):
            continue
        uk, vk = u[m], v[m]
        p = part(uk, vk)
        du = part(uk + e, vk) - part(uk - e, vk)
        dv = part(uk, vk + e) - part(uk, vk - e)
        nk = torch.cross(du, dv, dim=1)
        bad = nk.norm(dim=1) < 1e-14
        if bool(bad.any()):  # a pole: fall back to the direction from the part's centre
            nk[bad] = p[bad] - p.mean(0)
        nk = torch.nn.functional.normalize(nk, dim=1)
        if float(((p - p.mean(0)) * nk).sum()) < 0:
            nk = -nk
        pos[m], nrm[m], slot[m] = p, nk, part.slot
    centre = (pos.max(0).values + pos.min(0).values) / 2
    pos = pos - centre
    radius = float(pos.norm(dim=1).max().clamp_min(1e-9))
    pos = pos / radius
    total_area = float(area.sum()) / radius**2  # each cell term is already its area
    radial = pos[:, [0, 2]].norm(dim=1)
    grain_noise = _value_noise(pos, 3.0, gen).double()
    grain = 0.5 + 0.5 * torch.sin(2 * math.pi * (7 * radial + 0.9 * pos[:, 1] + 2.5 * grain_noise))
    checker = (torch.floor(pos * 3.0 + 10).sum(1) % 2).double()
    smooth = _value_noise(pos, 4.0, gen).double()
    fine = _value_noise(pos, 14.0, gen).double()
    pattern = torch.stack([grain, checker, smooth, fine], dim=1)
    return PointSet(
        position=pos.float().contiguous(),
        normal=nrm.float().contiguous(),
        slot=slot,
        pattern=pattern.float().contiguous(),
        area=total_area,
    )
