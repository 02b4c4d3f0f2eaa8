"""Procedural materials: one parameter row per material, derived from its name.

The random-material library has one procedural material per ThreeDWorld material name in
``t2s_env.data.load_materials()`` (141 names; the paper says 140). TDW's textures cannot be
shipped, so each name is read for what it says -- metal, wood, brick, tiles, fabric, plastic,
glass, stone, paint... and colour words (red, black, beige, copper...) -- and becomes a base and
a secondary colour, a procedural pattern, a specular strength and exponent and a metalness.
Names without a colour word get a colour hashed from the name, so the library is varied and
deterministic. Objects' *natural* materials use the same parser on descriptive names
(``"plastic_glossy_red"``, ``"wood_oak"``...).

>>> lib = material_library()
>>> lib.rows.shape[0] == len(lib.names) == 141
True
>>> row = material_row("steel_glossy")
>>> bool(row[MAT_METAL] > 0.5)
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from t2s_env.data import load_materials
from t2s_env.simulator.raster import MAT_KS, MAT_METAL, MAT_WIDTH

GRAIN, CHECKER, SMOOTH, FINE = range(4)

_COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (0.75, 0.1, 0.08),
    "tomato": (0.85, 0.3, 0.22),
    "orange": (0.95, 0.5, 0.1),
    "yellow": (0.95, 0.85, 0.15),
    "green": (0.15, 0.6, 0.2),
    "olive": (0.45, 0.45, 0.2),
    "blue": (0.12, 0.3, 0.8),
    "purple": (0.45, 0.2, 0.6),
    "pink": (0.95, 0.55, 0.7),
    "black": (0.05, 0.05, 0.05),
    "white": (0.92, 0.92, 0.9),
    "light_gray": (0.72, 0.72, 0.72),
    "gray": (0.45, 0.45, 0.46),
    "grey": (0.45, 0.45, 0.46),
    "beige": (0.85, 0.78, 0.62),
    "tan": (0.78, 0.65, 0.48),
    "wheat": (0.9, 0.82, 0.6),
    "sand": (0.86, 0.76, 0.55),
    "goldenrod": (0.9, 0.82, 0.5),
    "brown": (0.45, 0.27, 0.12),
    "chocolate": (0.35, 0.2, 0.1),
    "moka": (0.4, 0.28, 0.2),
    "wenge": (0.25, 0.16, 0.1),
    "padauk": (0.65, 0.22, 0.12),
    "cedar": (0.6, 0.33, 0.2),
    "chestnut": (0.55, 0.36, 0.2),
    "copper": (0.75, 0.45, 0.3),
    "brass": (0.78, 0.62, 0.3),
    "gold": (0.92, 0.74, 0.3),
    "silver": (0.85, 0.85, 0.88),
    "chrome": (0.85, 0.86, 0.9),
    "aluminium": (0.78, 0.79, 0.8),
    "titanium": (0.6, 0.6, 0.62),
    "steel": (0.62, 0.63, 0.65),
    "spruce": (0.85, 0.72, 0.5),
    "ash": (0.8, 0.68, 0.5),
    "zebrano": (0.75, 0.62, 0.4),
    "cork": (0.7, 0.52, 0.32),
    "cardboard": (0.7, 0.55, 0.36),
    "concrete": (0.6, 0.6, 0.58),
    "granite": (0.5, 0.5, 0.5),
    "marble": (0.9, 0.9, 0.88),
    "porcelain": (0.95, 0.95, 0.93),
    "skin": (0.9, 0.7, 0.55),
    "banana": (0.95, 0.82, 0.25),
}

_KINDS: tuple[tuple[tuple[str, ...], dict[str, float]], ...] = (
    (
        ("chrome", "silver", "steel", "aluminium", "titanium", "metal", "brass", "copper", "gold"),
        {"pattern": SMOOTH, "ks": 0.7, "shine": 40, "metal": 0.85, "contrast": 0.1},
    ),
    (("anodized", "metallic", "pearlescent", "iridescent"), {"pattern": SMOOTH, "ks": 0.6, "shine": 30, "metal": 0.45, "contrast": 0.2}),
    (("wood", "parquet", "laser_cut", "planks", "cedar", "banana_peel"), {"pattern": GRAIN, "ks": 0.15, "shine": 12, "metal": 0.0, "contrast": 0.35}),
    (("brick", "tiles", "cinderblock", "slate", "shutter", "padded", "checker"), {"pattern": CHECKER, "ks": 0.1, "shine": 10, "metal": 0.0, "contrast": 0.4}),
    (("weave", "honeycomb", "scales", "grill", "grid", "perforated", "printed", "grater", "pattern", "mesh", "squares", "pixel", "stitched", "dots"), {"pattern": CHECKER, "ks": 0.25, "shine": 20, "metal": 0.0, "contrast": 0.3}),
    (("concrete", "stone", "granite", "marble", "travertine", "quartzite", "plaster", "cliff", "terrazzo", "church", "asphalt", "stones", "mountain"), {"pattern": SMOOTH, "ks": 0.08, "shine": 8, "metal": 0.0, "contrast": 0.45}),
    (("fabric", "felt", "suede", "silk", "shirt", "synthetic", "seatbelt", "kevlar", "carpet", "headliner", "jersey", "acoustic", "cotton"), {"pattern": FINE, "ks": 0.05, "shine": 6, "metal": 0.0, "contrast": 0.3}),
    (("glass", "translucent", "resin"), {"pattern": SMOOTH, "ks": 0.9, "shine": 60, "metal": 0.35, "contrast": 0.05}),
    (("ceramic", "porcelain", "enamel"), {"pattern": SMOOTH, "ks": 0.6, "shine": 50, "metal": 0.05, "contrast": 0.05}),
    (("cardboard", "cork", "paper", "foam", "polystyrene"), {"pattern": FINE, "ks": 0.05, "shine": 5, "metal": 0.0, "contrast": 0.25}),
    (("plastic", "vinyl", "paint", "elastomer", "rubber", "flipflop", "glossy", "matte", "satin"), {"pattern": SMOOTH, "ks": 0.45, "shine": 30, "metal": 0.0, "contrast": 0.08}),
)


def _hash_unit(name: str, salt: str) -> np.ndarray:
    h = hashlib.sha256(f"{salt}:{name}".encode()).digest()
    return np.frombuffer(h[:12], dtype=np.uint32).astype(np.float64) / 2**32


def material_row(name: str) -> np.ndarray:
    """The ``(MAT_WIDTH,)`` float32 parameter row of a material name (see module docstring)."""
    low = name.lower()
    kind = {"pattern": SMOOTH, "ks": 0.3, "shine": 20, "metal": 0.0, "contrast": 0.15}
    for words, params in _KINDS:
        if any(w in low for w in words):
            kind = dict(params)
            break
    colour = None
    best = -1
    for word, rgb in _COLOURS.items():  # the longest colour word found wins
        if word in low and len(word) > best:
            colour, best = np.array(rgb), len(word)
    h = _hash_unit(name, "colour")
    if colour is None:
        hue = h[0]
        sat = 0.25 + 0.6 * h[1]
        val = 0.35 + 0.6 * h[2]
        k = (np.array([5.0, 3.0, 1.0]) + hue * 6) % 6
        colour = val - val * sat * np.clip(np.minimum(k, 4 - k), 0, 1)
    if "rainbow" in low or "iridescent" in low:
        kind["contrast"] = 0.8
    if "matt" in low or "rough" in low:
        kind["ks"] *= 0.3
    if "glossy" in low or "shiny" in low or "polished" in low:
        kind["ks"] = max(kind["ks"], 0.6)
        kind["shine"] = max(kind["shine"], 50)
    if any(w in low for w in ("oxid", "battered", "dented", "damaged", "eroded")):
        kind["contrast"] = max(kind["contrast"], 0.4)
        kind["metal"] *= 0.5
        colour = colour * np.array([1.0, 0.85, 0.7]) if "oxid" in low else colour * 0.8
    if "stripe" in low or "strips" in low or "ridges" in low or "wave" in low:
        kind["pattern"] = GRAIN
    second = colour * (1 - kind["contrast"]) + kind["contrast"] * (
        np.array([0.05, 0.05, 0.05]) if colour.mean() > 0.5 else np.array([0.95, 0.95, 0.9])
    )
    if "rainbow" in low or "iridescent" in low:
        second = 1.0 - colour
    row = np.zeros(MAT_WIDTH, dtype=np.float32)
    row[0:3], row[3:6] = colour, second
    row[6] = kind["pattern"]
    row[MAT_KS], row[8], row[MAT_METAL] = kind["ks"], kind["shine"], kind["metal"]
    return row




@dataclass(frozen=True)
class MaterialLibrary:
    """Named materials: ``rows[i]`` is the parameter row of ``names[i]``."""

    names: tuple[str, ...]
    rows: torch.Tensor


@lru_cache(maxsize=1)
def material_library() -> MaterialLibrary:
    """The random-material library: one row per name of ``load_materials()``."""
    names = load_materials()
    return MaterialLibrary(names, torch.as_tensor(np.stack([material_row(n) for n in names])))
