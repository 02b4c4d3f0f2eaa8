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
    """Everything the rasteriser needs for a batch of ``B`` images of ``U`` distinct object
    instances (tensors on one device).

    Attributes:
        position, normal: ``(U, P, 3)`` object-space points and unit normals per instance.
        slot: ``(U, P)`` int64 material slot per point.
        pattern: ``(U, P, C)`` procedural texture values per point.
        instance: ``(B,)`` int64 row of each image's instance in the arrays above.
        splat: ``(B,)`` int64 splat size in pixels (``s x s`` per point; larger for close-ups).
        rotation: ``(B, 3, 3)`` object -> camera rotation.
        translation: ``(B, 3)`` object centre in camera space (camera looks along ``+z``).
        materials: ``(B, S, MAT_WIDTH)`` material rows per slot.
        light_dir: ``(B, 3)`` unit vector towards the light, camera space.
        light_rgb: ``(B, 3)`` light colour times intensity.
        env_rotation: ``(B, 3, 3)`` camera -> world rotation used to look up the environment.
        sky: ``(B,)`` int64 index into the environment library.
        blur: ``(B,)`` bool, depth of field on.
        focus: ``(B,)`` focus distance; ``aperture``: ``(B,)`` circle-of-confusion scale.
        shared_background: every image has the same environment and look direction.
    """

    position: torch.Tensor
    normal: torch.Tensor
    slot: torch.Tensor
    pattern: torch.Tensor
    instance: torch.Tensor
    splat: torch.Tensor
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


def _pad(x: torch.Tensor, value) -> torch.Tensor:
    """Pad the last two dims of ``x`` by one with ``value`` (any dtype, unlike ``F.pad``)."""
    out = torch.full(
        (*x.shape[:-2], x.shape[-2] + 2, x.shape[-1] + 2), value, dtype=x.dtype, device=x.device
    )
    out[..., 1:-1, 1:-1] = x
    return out


def _fill_holes(key: torch.Tensor, focal: float, iters: int) -> torch.Tensor:
    """Close splat gaps (module docstring, step 3) on packed keys ``(B, H, W)``.

    Keys order by depth, so the nearest neighbour is simply the smallest neighbouring key.
    """
    b, h, w = key.shape
    for _ in range(iters):
        kp = _pad(key, _EMPTY)
        dq = kp >> _INDEX_BITS
        centre = dq[:, 1:-1, 1:-1]
        # tolerance: ~3 pixel footprints at this depth (empty pixels: everything is nearer)
        thr = centre - (centre.to(torch.float32) * (3.0 / focal)).to(torch.int64)
        left, right = kp[:, 1:-1, :-2], kp[:, 1:-1, 2:]
        up, down = kp[:, :-2, 1:-1], kp[:, 2:, 1:-1]
        fill = ((dq[:, 1:-1, :-2] < thr) & (dq[:, 1:-1, 2:] < thr)) | (
            (dq[:, :-2, 1:-1] < thr) & (dq[:, 2:, 1:-1] < thr)
        )
        if not bool(fill.any()):
            break
        nearest = torch.minimum(torch.minimum(left, right), torch.minimum(up, down))
        key = torch.where(fill, nearest, key)
    return key


def _fill_coarse(key: torch.Tensor, focal: float, levels: int = 2) -> torch.Tensor:
    """Pull-push hole filling for close-ups, whose gaps outgrow the splats: fill holes of the
    2x2-block minimum image, then let each pixel that is empty or far behind its block's
    nearest point take that point. ``key: (B, H, W)``."""
    b, h, w = key.shape
    he, we = h + h % 2, w + w % 2
    if (he, we) != (h, w):
        padded = torch.full((b, he, we), _EMPTY, dtype=key.dtype, device=key.device)
        padded[:, :h, :w] = key
    else:
        padded = key
    coarse = padded.view(b, he // 2, 2, we // 2, 2).amin((2, 4))
    filled = _fill_holes(coarse, focal / 2, 2)
    if levels > 1 and min(coarse.shape[-2:]) >= 8:
        filled = _fill_coarse(filled, focal / 2, levels - 1)
    # only blocks that were holes at the coarse scale (surrounded by nearer points) or that are
    # mostly covered give their point to the fine pixels, so silhouettes grow by 1 px at most
    dense = (padded != _EMPTY).view(b, he // 2, 2, we // 2, 2).sum((2, 4)) >= 2
    changed = (filled != coarse) | dense
    up = filled.repeat_interleave(2, 1).repeat_interleave(2, 2)[:, :h, :w]
    mask = changed.repeat_interleave(2, 1).repeat_interleave(2, 2)[:, :h, :w]
    return torch.where(mask & (up < key), up, key)


def _box_down_up(img: torch.Tensor, k: int) -> torch.Tensor:
    """Blur by averaging ``k x k`` blocks and upsampling bilinearly (``(B, C, H, W)``)."""
    b, c, h, w = img.shape
    if h % k == 0 and w % k == 0:
        small = img.view(b, c, h // k, k, w // k, k).mean((3, 5))
    else:
        small = F.adaptive_avg_pool2d(img, (max(1, h // k), max(1, w // k)))
    return F.interpolate(small, size=(h, w), mode="bilinear")


def _depth_of_field(img: torch.Tensor, coc: torch.Tensor) -> torch.Tensor:
    """Blend the sharp image with a blur of radius ~2 px at 64x64 (scaled with the resolution)
    by the circle of confusion ``coc`` (``(B, 1, H, W)``, ``1`` = full blur)."""
    k = max(2, round(4 * img.shape[-1] / 64))
    return torch.lerp(img, _box_down_up(img, k), coc.clamp(0, 1))


def _antialias(img: torch.Tensor, hit: torch.Tensor) -> torch.Tensor:
    """Blend silhouette pixels (covered next to uncovered, 4-neighbourhood) with the mean of
    their plus-shaped neighbourhood. Planar ``img: (3, B, H, W)``, ``hit: (B, H, W)``."""
    hp = _pad(hit, False)
    edge = (
        (hp[:, 1:-1, :-2] ^ hit)
        | (hp[:, 1:-1, 2:] ^ hit)
        | (hp[:, :-2, 1:-1] ^ hit)
        | (hp[:, 2:, 1:-1] ^ hit)
    )
    ip = F.pad(img, (1, 1, 1, 1), mode="replicate")
    cross = ip[..., 1:-1, :-2] + ip[..., 1:-1, 2:] + ip[..., :-2, 1:-1] + ip[..., 2:, 1:-1]
    smooth = 0.625 * img + 0.09375 * cross
    return torch.where(edge, smooth, img)


def _zbuffer(scene: Scene, res: int, focal: float) -> torch.Tensor:
    """Project every point of every image and z-buffer them: ``(B, H, W)`` packed keys.

    Images are processed in groups of equal splat size: one ``bmm`` transforms all their
    points and one ``scatter_reduce`` writes all their keys.
    """
    b = scene.rotation.shape[0]
    u, p, _ = scene.position.shape
    dev = scene.position.device
    hw = res * res
    zbuf = torch.full((b * hw + 1,), _EMPTY, dtype=torch.int64, device=dev)
    idx = torch.arange(p, device=dev)
    rot_t = scene.rotation.transpose(1, 2)
    # camera at origin: a point faces it iff n . (p + R^T t) < 0
    local_t = torch.bmm(rot_t, scene.translation.unsqueeze(-1)).squeeze(-1)  # (B, 3)
    half = res / 2
    pos_t = scene.position.transpose(1, 2).contiguous()  # (U, 3, P): rows are contiguous
    nrm_t = scene.normal.transpose(1, 2).contiguous()
    ndotp = (scene.normal * scene.position).sum(-1)  # (U, P)
    for size in scene.splat.unique().tolist():
        # images with this splat size; their geometry gathered from the instance arrays
        sel = (scene.splat == size).nonzero().squeeze(1)
        inst = scene.instance[sel]
        cam = torch.bmm(scene.rotation[sel], pos_t[inst]) + scene.translation[sel].unsqueeze(-1)
        facing = torch.bmm(local_t[sel].unsqueeze(1), nrm_t[inst]).squeeze(1) < -ndotp[inst]
        x, y, z = cam.unbind(1)
        inv = focal / z.clamp_min(1e-3)
        # pixel coordinates shifted by +res so truncation is a floor for visible points
        lo = half + res - (size - 1) / 2
        px = (x * inv + lo).to(torch.int64)
        py = (lo - y * inv).to(torch.int64)
        front = facing & (z > 0.05)
        key = ((z * _DEPTH_SCALE).to(torch.int64) << _INDEX_BITS) | idx
        base = sel.unsqueeze(1) * hw - res * res - res
        if size > 1:  # every point covers size x size pixels
            off = torch.arange(size, device=dev)
            px = (px.unsqueeze(-1) + off.repeat(size)).flatten(1)
            py = (py.unsqueeze(-1) + off.repeat_interleave(size)).flatten(1)
            front = front.repeat_interleave(size * size, 1)
            key = key.repeat_interleave(size * size, 1)
        ok = front & (px >= res) & (px < 2 * res) & (py >= res) & (py < 2 * res)
        pix = torch.where(ok, base + py * res + px, b * hw)
        zbuf.scatter_reduce_(0, pix.view(-1), key.reshape(-1), "amin")
    return zbuf[:-1].view(b, res, res)


def rasterise(
    scene: Scene,
    env: Environment,
    resolution: int,
    focal: float,
    fill_iters: int = 2,
    antialias: bool = True,
) -> torch.Tensor:
    """Render a batch: ``(B, H, W, 3)`` uint8. ``focal`` is the focal length in pixels."""
    u, p, _ = scene.position.shape
    if p > MAX_POINTS:
        raise ValueError(f"at most {MAX_POINTS} points per object, got {p}")
    b = scene.rotation.shape[0]
    dev = scene.position.device
    res = resolution
    hw = res * res
    # 1-2. project and z-buffer on packed (depth, index) keys
    key = _zbuffer(scene, res, focal)
    # 3. hole filling
    key = _fill_holes(key, focal, fill_iters)
    for size, levels in ((3, 1), (4, 2)):  # close-ups: pull-push over 2x2 (4x4) blocks
        close = (scene.splat == size).nonzero().squeeze(1)
        if close.numel():
            key[close] = _fill_coarse(key[close], focal, levels)
    hit = key != _EMPTY
    # 4. background, then shade the covered pixels
    rays = camera_rays(res, focal, dev)
    # planar colour buffer (3, B*H*W): contiguous channels for the image-space passes
    if scene.shared_background:
        bg = background(env, scene.sky[:1], scene.env_rotation[:1], rays, res)
        img = bg.view(3, 1, hw).expand(3, b, hw).reshape(3, b * hw).clone()
    elif res >= 48:
        # the environment images are smoother than the pixels: look them up at half
        # resolution and upsample (a quarter of the trigonometry and texture fetches)
        half_res = res // 2
        bg = background(
            env, scene.sky, scene.env_rotation, camera_rays(half_res, focal / 2, dev), half_res
        )
        bg = F.interpolate(bg, size=(res, res), mode="bilinear")
        img = bg.permute(1, 0, 2, 3).reshape(3, b * hw)
    else:
        bg = background(env, scene.sky, scene.env_rotation, rays, res)
        img = bg.permute(1, 0, 2, 3).reshape(3, b * hw)
    flat = hit.view(-1).nonzero().squeeze(1)
    if flat.numel():
        img[:, flat] = _shade(scene, env, rays, key.view(-1)[flat], flat, hw, p)
    img = img.view(3, b, res, res)
    # 5. anti-aliasing and depth of field
    if antialias:
        img = _antialias(img, hit)
    if bool(scene.blur.any()):
        sel = scene.blur.nonzero().squeeze(1)
        depth = (key[sel] >> _INDEX_BITS).to(torch.float32) / _DEPTH_SCALE
        depth = torch.where(hit[sel], depth, torch.full_like(depth, 1e3)).unsqueeze(1)
        f = scene.focus[sel].view(-1, 1, 1, 1)
        coc = scene.aperture[sel].view(-1, 1, 1, 1) * (1 / f - 1 / depth).abs()
        blurred = _depth_of_field(img[:, sel].transpose(0, 1), coc)
        img[:, sel] = blurred.transpose(0, 1)
    return (img.clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(1, 2, 3, 0)


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise dot products of structure-of-arrays vectors ``(3, N)``."""
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _matvec(m: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``(9, N)`` row-major matrices times ``(3, N)`` vectors, structure of arrays."""
    return torch.stack(
        [m[3 * i] * v[0] + m[3 * i + 1] * v[1] + m[3 * i + 2] * v[2] for i in range(3)]
    )


def _shade(scene, env, rays, key, flat, hw, p) -> torch.Tensor:
    """Colours ``(3, N)`` of covered pixels ``flat`` whose nearest point keys are ``key``.

    Per-image, per-point and material attributes are packed into one table each and gathered
    once per pixel; the arithmetic runs on structure-of-arrays rows (``(3, N)``), which is
    several times faster on a CPU than ``(N, 3)`` rows.
    """
    b = scene.rotation.shape[0]
    bi = flat // hw
    per_image = torch.cat(
        [
            scene.rotation.reshape(b, 9),
            scene.light_dir,
            scene.light_rgb,
            scene.env_rotation[:, 1, :],
            env.ambient[scene.sky].reshape(b, 6),
        ],
        dim=1,
    ).T.contiguous()
    img = per_image.index_select(1, bi)
    rot, light, lrgb, up = img[0:9], img[9:12], img[12:15], img[15:18]
    amb_lo, amb_hi = img[18:21], img[21:24]
    u = scene.position.shape[0]
    per_point = (
        torch.cat(
            [scene.normal, scene.slot.unsqueeze(-1).to(scene.normal.dtype), scene.pattern], dim=-1
        )
        .view(u * p, -1)
        .T.contiguous()
    )
    pts = per_point.index_select(1, scene.instance[bi] * p + (key & ((1 << _INDEX_BITS) - 1)))
    n = _matvec(rot, pts[0:3])
    n_slots = scene.materials.shape[1]
    mats = scene.materials.reshape(-1, MAT_WIDTH).T.contiguous()
    mat = mats.index_select(1, bi * n_slots + pts[3].long())
    t = pts[4:].gather(0, mat[MAT_PATTERN].long().unsqueeze(0))
    albedo = torch.lerp(mat[MAT_C0], mat[MAT_C1], t)
    v = -rays.T.contiguous().index_select(1, flat % hw)
    ndl = _dot(n, light).clamp_min(0)
    half = light + v
    half = half * torch.rsqrt(_dot(half, half).clamp_min(1e-12))
    ndh = _dot(n, half).clamp(0, 1)
    ny = _dot(up, n)  # world "up" component of the normal
    ambient = torch.lerp(amb_lo, amb_hi, 0.5 + 0.5 * ny)
    spec = mat[MAT_KS] * ndh.pow(mat[MAT_SHINE]) * (ndl > 0)
    colour = albedo * (0.55 * ambient + lrgb * ndl)
    metal = mat[MAT_METAL]
    shiny = (metal > 0).nonzero().squeeze(1)
    if shiny.numel():  # reflections of the environment, metals only
        ns, vs, ms = n[:, shiny], v[:, shiny], metal[shiny]
        r = 2 * _dot(ns, vs) * ns - vs
        bs = bi[shiny]
        rw = _matvec(scene.env_rotation.reshape(b, 9)[bs].T, r)
        gx, gy = _directions_to_grid(rw.T).unbind(-1)
        hs, ws = env.small_hw
        ix = ((gx + 1) * 0.5 * ws).long().clamp(0, ws - 1)
        iy = ((gy + 1) * 0.5 * hs).long().clamp(0, hs - 1)
        sky = scene.sky[bs]
        refl = env.small.reshape(-1, 3)[sky * (hs * ws) + iy * ws + ix].T
        colour[:, shiny] = colour[:, shiny] * (1 - ms) + ms * albedo[:, shiny] * (0.25 + 1.1 * refl)
    return colour + spec * lrgb
