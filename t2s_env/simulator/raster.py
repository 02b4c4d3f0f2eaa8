"""The embedded renderer's core: batched point splatting with a z-buffer, hole filling,
shading, background, depth of field and anti-aliasing -- all in PyTorch, batched over images.

Objects are dense oriented point sets (:mod:`t2s_env.simulator.geometry`). Per batch:

1. *Transform and project* every point of every image (one ``bmm``), cull back-facing points.
2. *Z-buffer*: pack ``(quantised depth, point index)`` into one ``int64`` key per point and
   keep the smallest key per pixel with a single ``scatter_reduce(..., "amin")`` -- nearest
   point wins, ties broken by index, no Python loop over points or triangles.
3. *Hole filling*: a pixel whose opposite neighbours (left/right, up/down or a diagonal pair)
   are both nearer than it takes its nearest neighbour's point -- this closes gaps between
   splats without growing silhouettes.
4. *Shading* of the covered pixels only: Lambert + Blinn-Phong specular under a directional
   light, hemispherical ambient light and (for metals) reflections from the environment image,
   procedural textures; the environment image fills the background.
5. *Anti-aliasing* of silhouette pixels, *depth of field* by blending a blur pyramid with the
   per-pixel circle of confusion, then ``uint8``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

_DEPTH_BITS = 40
_INDEX_BITS = 22
_DEPTH_SCALE = float(1 << 30) / 64.0  # depth units -> integer; depths up to 64 units
_EMPTY = torch.iinfo(torch.int64).max
MAX_POINTS = 1 << _INDEX_BITS

# material row layout (see materials.py)
MAT_C0, MAT_C1, MAT_PATTERN, MAT_KS, MAT_SHINE, MAT_METAL = (
    slice(0, 3),
    slice(3, 6),
    6,
    7,
    8,
    9,
)
MAT_WIDTH = 10


@dataclass
class Scene:
    """Everything the rasteriser needs for a batch of ``B`` images (tensors on one device).

    Attributes:
        position, normal: ``(B, P, 3)`` object-space points and unit normals.
        slot: ``(B, P)`` int64 material slot per point.
        pattern: ``(B, P, C)`` procedural texture values per point.
        rotation: ``(B, 3, 3)`` object -> camera rotation.
        translation: ``(B, 3)`` object centre in camera space (camera looks along ``+z``).
        materials: ``(B, S, MAT_WIDTH)`` material rows per slot.
        light_dir: ``(B, 3)`` unit vector towards the light, camera space.
        light_rgb: ``(B, 3)`` light colour times intensity.
        env_rotation: ``(B, 3, 3)`` camera -> world rotation used to look up the environment.
        sky: ``(B,)`` int64 index into the environment library.
        blur: ``(B,)`` bool, depth of field on.
        focus: ``(B,)`` focus distance; ``aperture``: ``(B,)`` circle-of-confusion scale.
    """

    position: torch.Tensor
    normal: torch.Tensor
    slot: torch.Tensor
    pattern: torch.Tensor
    rotation: torch.Tensor
    translation: torch.Tensor
    materials: torch.Tensor
    light_dir: torch.Tensor
    light_rgb: torch.Tensor
    env_rotation: torch.Tensor
    sky: torch.Tensor
    blur: torch.Tensor
    focus: torch.Tensor
    aperture: torch.Tensor
    shared_background: bool = False


@dataclass(frozen=True)
class Environment:
    """The environment-image library: ``images (K, 3, h, w)`` equirectangular (``y`` up),
    ``small (K, hs*ws, 3)`` a blurred copy for reflections, ``ambient (K, 2, 3)`` the mean
    colour of the lower and upper hemispheres (hemispherical ambient light)."""

    images: torch.Tensor
    small: torch.Tensor
    small_hw: tuple[int, int]
    ambient: torch.Tensor

    def to(self, device: torch.device) -> Environment:
        return Environment(
            self.images.to(device), self.small.to(device), self.small_hw, self.ambient.to(device)
        )


def _directions_to_grid(d: torch.Tensor) -> torch.Tensor:
    """Unit directions ``(..., 3)`` -> equirectangular grid coordinates in ``[-1, 1]``."""
    lon = torch.atan2(d[..., 0], -d[..., 2])
    lat = torch.asin(d[..., 1].clamp(-1, 1))
    return torch.stack([lon / math.pi, -lat / (math.pi / 2)], dim=-1)


def camera_rays(resolution: int, focal: float, device: torch.device) -> torch.Tensor:
    """Unit ray direction per pixel centre, ``(H*W, 3)``, camera space (``+z`` forward)."""
    c = (torch.arange(resolution, device=device, dtype=torch.float32) + 0.5) - resolution / 2
    y, x = torch.meshgrid(-c, c, indexing="ij")
    d = torch.stack([x, y, torch.full_like(x, focal)], dim=-1).view(-1, 3)
    return F.normalize(d, dim=1)


def background(
    env: Environment, sky: torch.Tensor, env_rotation: torch.Tensor, rays: torch.Tensor, res: int
) -> torch.Tensor:
    """The environment seen through each pixel: ``(B, 3, H, W)``."""
    d = torch.einsum("bij,pj->bpi", env_rotation, rays)
    grid = _directions_to_grid(d).view(-1, res, res, 2)
    return F.grid_sample(
        env.images[sky], grid, mode="bilinear", padding_mode="border", align_corners=False
    )


def _fill_holes(key: torch.Tensor, depth: torch.Tensor, tau: torch.Tensor, iters: int):
    """Close splat gaps: see the module docstring (step 3). ``key, depth: (B, H, W)``."""
    b, h, w = depth.shape
    for _ in range(iters):
        dp = F.pad(depth, (1, 1, 1, 1), value=math.inf)
        thr = depth - tau

        def near(dy: int, dx: int, dp: torch.Tensor = dp, thr: torch.Tensor = thr) -> torch.Tensor:
            return dp[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] < thr

        fill = (
            (near(0, -1) & near(0, 1))
            | (near(-1, 0) & near(1, 0))
            | (near(-1, -1) & near(1, 1))
            | (near(-1, 1) & near(1, -1))
        )
        if not bool(fill.any()):
            break
        _, arg = F.max_pool2d(-depth.unsqueeze(1), 3, 1, 1, return_indices=True)
        src = key.view(b, h * w).gather(1, arg.view(b, h * w)).view(b, h, w)
        key = torch.where(fill, src, key)
        depth = _key_depth(key)
    return key, depth


def _key_depth(key: torch.Tensor) -> torch.Tensor:
    d = (key >> _INDEX_BITS).to(torch.float32) / _DEPTH_SCALE
    return torch.where(key == _EMPTY, torch.full_like(d, math.inf), d)


def _blur_pyramid(img: torch.Tensor, coc: torch.Tensor) -> torch.Tensor:
    """Depth of field: blend blur levels of radius ~0, 1, 2, 4 px by the circle of confusion
    ``coc`` (``(B, 1, H, W)`` in pixels)."""
    res = img.shape[-1]
    levels = [img]
    for k in (2, 4, 8):
        if res // k < 2:
            levels.append(levels[-1])
            continue
        small = F.avg_pool2d(img, k)
        levels.append(F.interpolate(small, size=img.shape[-2:], mode="bilinear"))
    radii = (0.0, 1.0, 2.0, 4.0)
    out = levels[0]
    for i in range(1, 4):
        w = ((coc - radii[i - 1]) / (radii[i] - radii[i - 1])).clamp(0, 1)
        out = out + w * (levels[i] - out)
    return out


def rasterise(
    scene: Scene,
    env: Environment,
    resolution: int,
    focal: float,
    fill_iters: int = 3,
    antialias: bool = True,
) -> torch.Tensor:
    """Render a batch: ``(B, H, W, 3)`` uint8. ``focal`` is the focal length in pixels."""
    pos, nrm = scene.position, scene.normal
    b, p, _ = pos.shape
    if p > MAX_POINTS:
        raise ValueError(f"at most {MAX_POINTS} points per object, got {p}")
    dev = pos.device
    res = resolution
    hw = res * res
    # 1. transform, cull, project
    cam = torch.bmm(pos, scene.rotation.transpose(1, 2)) + scene.translation.unsqueeze(1)
    local_t = torch.bmm(scene.rotation.transpose(1, 2), scene.translation.unsqueeze(-1))
    facing = (nrm * (pos + local_t.transpose(1, 2))).sum(-1) < 0
    z = cam[..., 2]
    inv = focal / z.clamp_min(1e-3)
    px = (cam[..., 0] * inv + res / 2).floor()
    py = (res / 2 - cam[..., 1] * inv).floor()
    ok = facing & (z > 0.05) & (px >= 0) & (px < res) & (py >= 0) & (py < res)
    base = torch.arange(b, device=dev).unsqueeze(1) * hw
    pix = torch.where(ok, base + (py * res + px).long(), torch.full_like(base, b * hw))
    # 2. z-buffer on packed (depth, index) keys
    idx = torch.arange(p, device=dev).unsqueeze(0)
    key = ((z * _DEPTH_SCALE).long().clamp(0, (1 << _DEPTH_BITS) - 1) << _INDEX_BITS) | idx
    zbuf = torch.full((b * hw + 1,), _EMPTY, dtype=torch.int64, device=dev)
    zbuf.scatter_reduce_(0, pix.view(-1), key.view(-1), "amin")
    key = zbuf[:-1].view(b, res, res)
    depth = _key_depth(key)
    # 3. hole filling; tolerance ~3 pixel footprints at that depth
    tau = 3.0 * depth.clamp(max=1e6) / focal
    key, depth = _fill_holes(key, depth, tau, fill_iters)
    hit = key != _EMPTY
    # 4. shade the covered pixels
    rays = camera_rays(res, focal, dev)
    if scene.shared_background:
        bg = background(env, scene.sky[:1], scene.env_rotation[:1], rays, res).expand(b, -1, -1, -1)
    else:
        bg = background(env, scene.sky, scene.env_rotation, rays, res)
    img = bg.permute(0, 2, 3, 1).reshape(b * hw, 3).clone()
    flat = hit.view(-1).nonzero().squeeze(1)
    if flat.numel():
        bi = flat // hw
        g = bi * p + (key.view(-1)[flat] & ((1 << _INDEX_BITS) - 1))
        n = torch.bmm(
            scene.rotation[bi], nrm.reshape(-1, 3)[g].unsqueeze(-1)
        ).squeeze(-1)
        v = -rays[flat % hw]
        mat = scene.materials.reshape(-1, scene.materials.shape[-1])[
            bi * scene.materials.shape[1] + scene.slot.reshape(-1)[g]
        ]
        pat = scene.pattern.reshape(-1, scene.pattern.shape[-1])[g]
        t = pat.gather(1, mat[:, MAT_PATTERN].long().unsqueeze(1))
        albedo = mat[:, MAT_C0] + (mat[:, MAT_C1] - mat[:, MAT_C0]) * t
        light = scene.light_dir[bi]
        ndl = (n * light).sum(1, keepdim=True).clamp_min(0)
        half = F.normalize(light + v, dim=1)
        ndh = (n * half).sum(1, keepdim=True).clamp(0, 1)
        lrgb = scene.light_rgb[bi]
        rot_w = scene.env_rotation[bi]
        ny = (rot_w[:, 1, :] * n).sum(1, keepdim=True)
        amb = env.ambient[scene.sky[bi]]
        ambient = amb[:, 0] + (amb[:, 1] - amb[:, 0]) * (0.5 + 0.5 * ny)
        spec = mat[:, MAT_KS : MAT_KS + 1] * ndh.pow(mat[:, MAT_SHINE : MAT_SHINE + 1]) * lrgb
        spec = spec * (ndl > 0)
        diffuse = albedo * (0.55 * ambient + lrgb * ndl)
        metal = mat[:, MAT_METAL : MAT_METAL + 1]
        if bool((metal > 0).any()):
            r = 2 * (n * v).sum(1, keepdim=True) * n - v
            rw = torch.bmm(rot_w, r.unsqueeze(-1)).squeeze(-1)
            gx, gy = _directions_to_grid(rw).unbind(-1)
            hs, ws = env.small_hw
            ix = ((gx + 1) * 0.5 * ws).long().clamp(0, ws - 1)
            iy = ((gy + 1) * 0.5 * hs).long().clamp(0, hs - 1)
            refl = env.small.reshape(-1, 3)[scene.sky[bi] * (hs * ws) + iy * ws + ix]
            diffuse = diffuse * (1 - metal) + metal * albedo * (0.25 + 1.1 * refl)
        img[flat] = diffuse + spec
    img = img.view(b, res, res, 3).permute(0, 3, 1, 2)
    # 5. anti-alias silhouettes: blend pixels with a covered/uncovered neighbourhood
    if antialias:
        cover = hit.unsqueeze(1).to(img.dtype)
        mixed = F.max_pool2d(cover, 3, 1, 1) != -F.max_pool2d(-cover, 3, 1, 1)
        smooth = F.avg_pool2d(img, 3, 1, 1, count_include_pad=False)
        img = torch.where(mixed, 0.5 * img + 0.5 * smooth, img)
    if bool(scene.blur.any()):
        sel = scene.blur.nonzero().squeeze(1)
        d = depth[sel].unsqueeze(1).clamp(max=1e3)
        f = scene.focus[sel].view(-1, 1, 1, 1)
        coc = scene.aperture[sel].view(-1, 1, 1, 1) * (1 / f - 1 / d).abs() * res / 64
        img = img.clone()
        img[sel] = _blur_pyramid(img[sel], coc)
    return (img.clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(0, 2, 3, 1)
