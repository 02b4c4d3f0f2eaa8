"""Procedural environment images: equirectangular skies over procedural ground.

Every environment is made here from a seed -- gradient sky, sun disc and glow, fractal-noise
clouds, a mountain silhouette at the horizon, and textured ground (grass, sand, tiles, water,
snow) -- so nothing is downloaded or shipped. Environment 0 is the *fixed* background used when
the ``backgr`` knob is off.

>>> env = environment_library(4)
>>> env.images.shape, env.ambient.shape
(torch.Size([4, 3, 64, 128]), torch.Size([4, 2, 3]))
>>> bool(((env.images >= 0) & (env.images <= 1)).all())
True
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F

from t2s_env.simulator.raster import Environment

HEIGHT, WIDTH = 64, 128
N_ENVIRONMENTS = 64
"""Size of the default environment library."""


def _fractal_noise(gen: torch.Generator, h: int, w: int, octaves: int = 4) -> torch.Tensor:
    """Fractal value noise ``(h, w)`` in ``[0, 1]``, periodic in ``x`` (longitude)."""
    out = torch.zeros(h, w)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        gh, gw = 2 + 2**o, 4 + 2 ** (o + 1)
        lat = torch.rand(1, 1, gh, gw, generator=gen)
        lat = torch.cat([lat, lat[..., :1]], dim=-1)  # wrap in longitude
        up = F.interpolate(lat, size=(h, w + w // gw), mode="bicubic", align_corners=True)
        out += amp * up[0, 0, :, :w]
        total += amp
        amp *= 0.5
    return (out / total).clamp(0, 1)


def _sky(seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1000 + seed)

    def r(lo: float, hi: float, n: int = 1) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=gen)

    h, w = HEIGHT, WIDTH
    lat = (0.5 - (torch.arange(h) + 0.5) / h) * math.pi  # +pi/2 at the top row
    lon = ((torch.arange(w) + 0.5) / w * 2 - 1) * math.pi
    lat, lon = torch.meshgrid(lat, lon, indexing="ij")
    d = torch.stack(
        [torch.cos(lat) * torch.sin(lon), torch.sin(lat), -torch.cos(lat) * torch.cos(lon)], dim=0
    )
    if seed == 0:  # the fixed background: a clear, neutral day
        zenith, horizon = torch.tensor([0.30, 0.50, 0.85]), torch.tensor([0.78, 0.85, 0.93])
        sun_el, sun_az, cloud_cover, ground_kind = 0.9, 2.2, 0.25, 0
        ground = torch.tensor([0.36, 0.42, 0.28])
        dusk = 0.0
    else:
        dusk = float(r(0, 1)) ** 3
        zenith = torch.stack([r(0.05, 0.4), r(0.2, 0.6), r(0.45, 0.95)]).view(3)
        horizon = torch.stack([r(0.6, 1.0), r(0.55, 0.95), r(0.5, 0.95)]).view(3)
        horizon = horizon * (1 - dusk) + dusk * torch.tensor([1.0, 0.55, 0.3])
        zenith = zenith * (1 - 0.6 * dusk)
        sun_el, sun_az = float(r(0.05, 1.2)), float(r(-math.pi, math.pi))
        cloud_cover = float(r(0, 0.9))
        ground_kind = int(torch.randint(0, 5, (1,), generator=gen))
        ground = torch.rand(3, generator=gen) * 0.6 + 0.1
    t = torch.sin(lat).clamp_min(0) ** 0.5
    img = horizon.view(3, 1, 1) * (1 - t) + zenith.view(3, 1, 1) * t
    sun = torch.tensor(
        [math.cos(sun_el) * math.sin(sun_az), math.sin(sun_el), -math.cos(sun_el) * math.cos(sun_az)]
    )
    cs = (d * sun.view(3, 1, 1)).sum(0)
    sun_rgb = torch.tensor([1.0, 0.95, 0.85]) * (1 - dusk) + dusk * torch.tensor([1.0, 0.6, 0.3])
    img = img + sun_rgb.view(3, 1, 1) * (0.35 * cs.clamp_min(0) ** 8 + (cs > 0.9995).float())
    clouds = _fractal_noise(gen, h, w)
    cm = ((clouds - (1 - cloud_cover)) / 0.25).clamp(0, 1) * (lat > 0.02).float()
    cloud_rgb = 0.85 + 0.15 * clouds
    img = img * (1 - 0.85 * cm) + 0.85 * cm * cloud_rgb * (1 - 0.4 * dusk)
    # mountains on the horizon
    ridge = 0.05 + 0.18 * _fractal_noise(gen, 1, w, octaves=3)[0] * float(r(0, 1))
    mountain = (lat < ridge.view(1, w)) & (lat > 0)
    mcol = horizon * 0.45 + torch.tensor([0.05, 0.08, 0.06])
    img = torch.where(mountain.unsqueeze(0), mcol.view(3, 1, 1), img)
    # ground: project onto the plane y = -1 and texture it
    below = lat < 0
    dist = 1.0 / (-torch.sin(lat)).clamp_min(1e-3)
    gx, gz = d[0] * dist, d[2] * dist
    n = _fractal_noise(gen, h, w)
    if ground_kind == 0:  # grass / soil
        tex = 0.7 + 0.6 * n
    elif ground_kind == 1:  # tiles
        tex = 0.75 + 0.35 * ((torch.floor(gx) + torch.floor(gz)) % 2)
    elif ground_kind == 2:  # sand ripples
        tex = 0.8 + 0.25 * torch.sin(gx * 3 + 4 * n)
    elif ground_kind == 3:  # water: reflects the horizon
        tex = 0.9 + 0.2 * n
        ground = 0.5 * ground + 0.5 * horizon * 0.7
    else:  # snow
        tex = 0.9 + 0.1 * n
        ground = torch.tensor([0.85, 0.88, 0.92])
    fade = (dist / 30).clamp(0, 1)  # haze towards the horizon
    gcol = ground.view(3, 1, 1) * tex * (1 - fade) + horizon.view(3, 1, 1) * 0.8 * fade
    img = torch.where(below.unsqueeze(0), gcol, img)
    return img.clamp(0, 1)


@lru_cache(maxsize=4)
def environment_library(n: int = N_ENVIRONMENTS) -> Environment:
    """``n`` procedural environments (deterministic), with their reflection maps and ambient."""
    if n < 1:
        raise ValueError(f"need at least one environment, got {n}")
    images = torch.stack([_sky(i) for i in range(n)])
    small = F.avg_pool2d(images, 4)  # (n, 3, 16, 32): blurry reflections
    hs, ws = small.shape[-2:]
    lat = (0.5 - (torch.arange(HEIGHT) + 0.5) / HEIGHT) * math.pi
    wgt = torch.cos(lat).view(1, 1, HEIGHT, 1).expand(1, 1, HEIGHT, WIDTH)
    upper = wgt * (lat > 0).view(1, 1, -1, 1)
    lower = wgt * (lat < 0).view(1, 1, -1, 1)
    up = (images * upper).sum((2, 3)) / upper.sum()
    down = (images * lower).sum((2, 3)) / lower.sum()
    ambient = torch.stack([down, up], dim=1)
    return Environment(
        images=images.contiguous(),
        small=small.permute(0, 2, 3, 1).reshape(n, hs * ws, 3).contiguous(),
        small_hw=(int(hs), int(ws)),
        ambient=ambient.contiguous(),
    )
