"""The 100 object classes as procedural shape families.

One class per WordNet id of ``t2s_env.data.load_object_classes()`` (the paper's 100 ThreeDWorld
classes; TDW's models cannot be shipped), each program registered under its id with
:data:`shape` (:mod:`~t2s_env.simulator.catalogue`); the part helpers are in
:mod:`~t2s_env.simulator.parts`. Each class is a small program that composes closed
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

import numpy as np

from t2s_env.data import load_object_classes
from t2s_env.simulator.catalogue import ObjectClass, ShapeCatalogue
from t2s_env.simulator.geometry import Part, lathe, superquadric, torus
from t2s_env.simulator.parts import (
    arc_points,
    bent_tube,
    box,
    cylinder,
    ellipsoid,
    fluted_section,
    four_legs,
    jitter,
    open_cup_profile,
    polygon_section,
    ring,
    rod,
    teeth_section,
    turned,
    wheel,
)

CATALOGUE = ShapeCatalogue()
"""Every shape program of this module, by WordNet id."""
shape = CATALOGUE.register


@shape("n02909870", "bucket", natural=("plastic_vinyl_glossy_red", "steel_glossy"))
def bucket(r):
    rb, rt, h = jitter(r, 0.6), jitter(r, 0.8), jitter(r, 1.5)
    return [
        turned(open_cup_profile(rb, rt, h, 0.04)),
        bent_tube(arc_points(0, h, rt * 0.98, 180, 0, plane="xy"), 0.025, slot=1),
    ]


@shape("n02948072", "candle", natural=("paint_matte_white", "paint_glossy_yellow", "brass"))
def candle(r):
    rad, h = jitter(r, 0.25), jitter(r, 1.6, 0.3)
    parts = [
        turned([(0, 0), (rad, 0), (rad, h), (rad * 0.85, h + 0.03), (0, h + 0.03)]),
        ellipsoid(0.06, 0.16, 0.06, at=(0, h + 0.22, 0), slot=1),
    ]
    if r.random() < 0.6:
        parts.append(turned([(0, -0.1), (rad * 2.2, -0.1), (rad * 2.0, 0.05), (0, 0.05)], slot=2))
    return parts


@shape("n02951358", "canoe", natural=("paint_glossy_red", "wood_beech_natural"))
def canoe(r):
    L, w = jitter(r, 2.4), jitter(r, 0.45)
    return [
        Part(superquadric(L, 0.25, w, 0.6, 1.7)),
        box(0.08, 0.05, w * 1.6, at=(0.4, 0.2, 0), slot=1),
        box(0.08, 0.05, w * 1.6, at=(-0.6, 0.2, 0), slot=1),
    ]


@shape(
    "n02978881",
    "cassette",
    natural=("plastic_vinyl_glossy_black", "plastic_white", "plastic_translucent_gray"),
)
def cassette(r):
    w, h = jitter(r, 2.0, 0.05), jitter(r, 1.25, 0.05)
    parts = [box(w, h, 0.25, 0.08)]
    for x in (-0.42, 0.42):
        parts.append(Part(torus(0.17, 0.05), at=(x * w / 2, 0.05, 0.13), rot=(90, 0, 0), slot=1))
    parts.append(box(w * 0.5, h * 0.25, 0.02, 0.2, at=(0, 0.05, 0.125), slot=2))
    parts.append(box(w * 0.8, h * 0.2, 0.04, 0.2, at=(0, h * 0.42, 0.12), slot=2))
    return parts


@shape("n03110669", "trumpet", natural=("brass", "brass"))
def trumpet(r):
    L = jitter(r, 2.4, 0.1)
    bell = jitter(r, 0.45)
    prof = [
        (0.06, 0),
        (0.07, L * 0.45),
        (0.12, L * 0.6),
        (bell, L * 0.68),
        (bell - 0.02, L * 0.68),
        (0.04, L * 0.5),
        (0.04, 0),
    ]
    return [
        turned(prof, rot=(0, 0, -90), at=(-L * 0.35, 0, 0)),
        bent_tube(
            [
                (-L * 0.35, 0, 0),
                (-L * 0.5, 0, 0),
                (-L * 0.55, -0.3, 0),
                (-L * 0.4, -0.35, 0),
                (L * 0.1, -0.35, 0),
                (L * 0.15, -0.15, 0),
                (L * 0.05, 0, 0),
            ],
            0.045,
        ),
        *[cylinder(0.07, 0.45, 1.0, at=(-0.1 + 0.18 * i, -0.1, 0), slot=0) for i in range(3)],
        bent_tube([(-L * 0.5, 0, 0), (-L * 0.62, 0, 0)], [0.05, 0.07], smooth=0),
    ]


@shape(
    "n03180011",
    "desktop computer",
    natural=("plastic_vinyl_glossy_black", "plastic_gray", "plastic_light_gray"),
)
def desktop(r):
    w, h, d = jitter(r, 0.8), jitter(r, 1.9), jitter(r, 1.8)
    return [
        box(w, h, d, 0.08),
        box(w * 0.7, 0.12, 0.03, 0.2, at=(0, h * 0.3, d / 2), slot=1),
        box(w * 0.7, 0.12, 0.03, 0.2, at=(0, h * 0.15, d / 2), slot=1),
        cylinder(0.07, 0.04, 0.3, at=(0, -h * 0.3, d / 2), rot=(90, 0, 0), slot=2),
    ]


@shape("n03207941", "dishwasher", natural=("steel_glossy", "plastic_vinyl_glossy_black", "chrome"))
def dishwasher(r):
    w, h, d = jitter(r, 1.5, 0.05), jitter(r, 2.0, 0.05), jitter(r, 1.5, 0.05)
    return [
        box(w, h, d, 0.06),
        box(w * 0.96, h * 0.12, 0.06, 0.2, at=(0, h * 0.42, d / 2), slot=1),
        rod((-w * 0.35, h * 0.3, d / 2 + 0.07), (w * 0.35, h * 0.3, d / 2 + 0.07), 0.035, slot=2),
        box(w * 0.9, 0.04, 0.03, 0.3, at=(0, -h * 0.45, d / 2), slot=1),
    ]


@shape("n03445777", "golf ball", natural=("plastic_polka_recessed_grain_white", "wood_ash"))
def golf_ball(r):
    parts = [Part(superquadric(1, 1, 1))]
    if r.random() < 0.5:
        parts.append(
            turned([(0, -1.7), (0.08, -1.7), (0.07, -1.1), (0.3, -0.95), (0, -0.95)], slot=1)
        )
    return parts


@shape("n03445924", "golf cart", natural=("paint_glossy_white", "steel_glossy", "plastic_black"))
def golf_cart(r):
    L, W = jitter(r, 2.4, 0.1), jitter(r, 1.3, 0.1)
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


@shape("n03483316", "hair dryer", natural=("plastic_vinyl_glossy_pink", "plastic_light_gray"))
def hair_dryer(r):
    L = jitter(r, 1.3)
    return [
        turned(
            [
                (0, -L * 0.5),
                (0.32, -L * 0.5),
                (0.36, 0),
                (0.22, L * 0.5),
                (0.2, L * 0.7),
                (0, L * 0.7),
            ],
            rot=(0, 0, -90),
        ),
        box(0.28, jitter(r, 1.1), 0.3, 0.4, at=(-0.2, -0.55, 0), rot=(0, 0, jitter(r, 15))),
        box(0.05, 0.12, 0.1, 0.3, at=(-0.15, -0.3, 0.16), slot=1),
    ]


@shape(
    "n03584254", "iPod", natural=("aluminium_clean", "plastic_vinyl_glossy_black", "plastic_white")
)
def ipod(r):
    w, h = jitter(r, 0.9, 0.1), jitter(r, 1.6, 0.1)
    round_ = r.random() < 0.5
    parts = [
        box(w, h, 0.12, 0.12),
        box(
            w * 0.85,
            h * (0.45 if round_ else 0.8),
            0.02,
            0.1,
            at=(0, h * (0.2 if round_ else 0.0), 0.06),
            slot=1,
        ),
    ]
    if round_:
        parts.append(cylinder(w * 0.3, 0.02, 0.5, at=(0, -h * 0.25, 0.06), rot=(90, 0, 0), slot=2))
    return parts


@shape(
    "n03642806",
    "laptop",
    natural=("aluminium_brushed", "plastic_vinyl_glossy_black", "plastic_gray"),
)
def laptop(r):
    w, d = jitter(r, 2.0, 0.1), jitter(r, 1.4, 0.1)
    ang = jitter(r, 105, 0.1)
    return [
        box(w, 0.08, d, 0.12),
        box(
            w,
            d,
            0.05,
            0.12,
            at=(
                0,
                0.04 + d / 2 * math.sin(math.radians(ang)),
                -d / 2 - d / 2 * math.cos(math.radians(ang)),
            ),
            rot=(ang - 90, 0, 0),
        ),
        box(
            w * 0.9,
            d * 0.85,
            0.01,
            0.1,
            at=(
                0,
                0.04 + d / 2 * math.sin(math.radians(ang)),
                -d / 2 - d / 2 * math.cos(math.radians(ang)) + 0.03,
            ),
            rot=(ang - 90, 0, 0),
            slot=1,
        ),
        box(w * 0.8, 0.01, d * 0.4, 0.2, at=(0, 0.045, -d * 0.12), slot=2),
    ]


@shape("n03649909", "lawn mower", natural=("paint_glossy_green", "plastic_black", "steel_glossy"))
def lawn_mower(r):
    w, d = jitter(r, 1.4), jitter(r, 1.5)
    parts = [
        box(w, 0.4, d, 0.3, at=(0, 0.25, 0)),
        cylinder(0.25, 0.35, 0.4, at=(0, 0.6, 0.1), slot=1),
    ]
    for x in (-w / 2, w / 2):
        for z in (-d * 0.4, d * 0.4):
            parts.append(wheel(x, 0.05, z, 0.18, 0.08, axis="x", slot=1))
    parts.append(
        bent_tube(
            [
                (-w * 0.35, 0.4, -d / 2),
                (-w * 0.35, 1.4, -d * 1.1),
                (w * 0.35, 1.4, -d * 1.1),
                (w * 0.35, 0.4, -d / 2),
            ],
            0.03,
            smooth=1,
            slot=2,
        )
    )
    return parts


@shape("n03761084", "microwave", natural=("paint_glossy_white", "glass_black", "plastic_gray"))
def microwave(r):
    w, h, d = jitter(r, 1.8, 0.05), jitter(r, 1.05, 0.05), jitter(r, 1.3, 0.05)
    return [
        box(w, h, d, 0.08),
        box(w * 0.62, h * 0.75, 0.03, 0.1, at=(-w * 0.14, 0, d / 2), slot=1),
        box(w * 0.2, h * 0.8, 0.03, 0.2, at=(w * 0.36, 0, d / 2), slot=2),
        cylinder(0.07, 0.06, 0.5, at=(w * 0.36, -h * 0.2, d / 2 + 0.03), rot=(90, 0, 0), slot=2),
    ]


@shape("n03793489", "mouse", natural=("plastic_vinyl_glossy_gray", "plastic_black"))
def mouse(r):
    L = jitter(r, 1.2, 0.1)
    parts = [
        Part(superquadric(0.38, 0.25, L / 2, 0.7, 1.0, taper=-0.25), at=(0, 0.25, 0)),
        cylinder(0.04, 0.04, 0.6, at=(0, 0.48, L * 0.22), rot=(0, 0, 90), slot=1),
    ]
    if r.random() < 0.6:
        parts.append(
            bent_tube(
                [(0, 0.2, L / 2), (0, 0.15, L * 0.8), (0.2, 0.05, L * 1.1), (0.1, 0.02, L * 1.4)],
                0.025,
                slot=1,
            )
        )
    return parts


@shape("n03874599", "padlock", natural=("brass", "chrome", "plastic_black"))
def padlock(r):
    w = jitter(r, 1.0)
    return [
        box(w, jitter(r, 0.85), 0.4, 0.3),
        bent_tube(
            [(-w * 0.3, 0.3, 0)] + arc_points(0, 0.65, w * 0.3, 180, 0) + [(w * 0.3, 0.3, 0)],
            0.07,
            slot=1,
        ),
        cylinder(0.06, 0.02, 0.3, at=(0, -0.1, 0.2), rot=(90, 0, 0), slot=2),
    ]


@shape(
    "n03876231", "paintbrush", natural=("wood_red_cedar", "aluminium_clean", "fabric_black_bristle")
)
def paintbrush(r):
    L = jitter(r, 2.0)
    wide = r.random() < 0.5
    return [
        turned(
            [(0, 0), (0.08, 0.02), (0.11, L * 0.5), (0.07, L * 0.75), (0, L * 0.75)],
            at=(0, -L * 0.75, 0),
        ),
        box(0.35 if wide else 0.2, 0.3, 0.12 if wide else 0.2, 0.4, at=(0, 0.12, 0), slot=1),
        Part(
            superquadric(0.17 if wide else 0.1, 0.3, 0.06 if wide else 0.1, 0.5, 0.6, taper=-0.4),
            at=(0, 0.55, 0),
            slot=2,
        ),
    ]


@shape("n04004767", "printer", natural=("plastic_light_gray", "plastic_black", "plastic_gray"))
def printer(r):
    w, h, d = jitter(r, 1.8), jitter(r, 0.9), jitter(r, 1.4)
    return [
        box(w, h, d, 0.15),
        box(w * 0.7, 0.05, d * 0.7, 0.1, at=(0, h * 0.75, -d * 0.45), rot=(-55, 0, 0), slot=2),
        box(w * 0.7, 0.06, 0.02, 0.1, at=(0, h * 0.1, d / 2), slot=1),
        box(w * 0.3, 0.15, 0.02, 0.3, at=(w * 0.3, h * 0.35, d / 2), slot=1),
    ]


@shape("n04039381", "racket", natural=("paint_glossy_blue", "plastic_black", "plastic_weave_white"))
def racket(r):
    a, b = jitter(r, 0.55), jitter(r, 0.75)
    return [
        Part(_frame(a, b), at=(0, 0.9, 0), rot=(90, 0, 0)),
        box(2 * a * 0.95, 2 * b * 0.95, 0.01, 0.1, at=(0, 0.9, 0), slot=2),
        turned([(0, -1.0), (0.07, -1.0), (0.06, 0.1), (0.03, 0.2), (0, 0.2)]),
        cylinder(0.075, 0.5, 0.3, at=(0, -0.75, 0), slot=1),
    ]


@shape("n04070727", "refrigerator", natural=("steel_glossy", "chrome", "plastic_gray"))
def refrigerator(r):
    w, h, d = jitter(r, 1.2, 0.1), jitter(r, 2.6, 0.05), jitter(r, 1.1, 0.05)
    two = r.random() < 0.5
    parts = [box(w, h, d, 0.06)]
    if two:
        parts += [
            rod((-0.06, h * 0.3, d / 2 + 0.06), (-0.06, -h * 0.2, d / 2 + 0.06), 0.03, slot=1),
            rod((0.06, h * 0.3, d / 2 + 0.06), (0.06, -h * 0.2, d / 2 + 0.06), 0.03, slot=1),
            box(0.02, h * 0.98, 0.02, 0.3, at=(0, 0, d / 2), slot=2),
        ]
    else:
        parts += [
            box(w * 0.98, 0.03, 0.02, 0.3, at=(0, h * 0.15, d / 2), slot=2),
            rod((w * 0.4, h * 0.42, d / 2 + 0.06), (w * 0.4, h * 0.22, d / 2 + 0.06), 0.03, slot=1),
            rod(
                (w * 0.4, h * 0.05, d / 2 + 0.06), (w * 0.4, -h * 0.25, d / 2 + 0.06), 0.03, slot=1
            ),
        ]
    return parts


@shape(
    "n04074963",
    "remote control",
    natural=("plastic_vinyl_glossy_black", "plastic_gray", "plastic_red"),
)
def remote(r):
    L, w = jitter(r, 2.0), jitter(r, 0.45)
    parts = [box(w, L, 0.18, 0.25)]
    for i in range(4):
        for j in range(3):
            parts.append(
                ellipsoid(
                    0.05, 0.05, 0.03, at=((j - 1) * w * 0.28, -L * 0.1 - i * L * 0.1, 0.09), slot=1
                )
            )
    parts.append(cylinder(0.07, 0.03, 0.5, at=(0, L * 0.35, 0.09), rot=(90, 0, 0), slot=2))
    return parts


@shape("n04125021", "safe", natural=("paint_matte_gray", "chrome", "steel_battered"))
def safe(r):
    s = jitter(r, 1.4, 0.1)
    return [
        box(s, jitter(r, s), s * 0.9, 0.08),
        cylinder(0.17, 0.08, 0.4, at=(0.1, 0.15, s * 0.45), rot=(90, 0, 0), slot=1),
        rod((0.1, -0.15, s * 0.47), (0.1, -0.15, s * 0.6), 0.03, slot=1),
        rod((-0.02, -0.15, s * 0.6), (0.22, -0.15, s * 0.6), 0.03, slot=1),
        *[cylinder(0.05, 0.25, 0.3, at=(-s * 0.47, y, s * 0.4), slot=2) for y in (-0.35, 0.35)],
    ]


@shape("n04154565", "screwdriver", natural=("plastic_translucent_yellow", "chrome"))
def screwdriver(r):
    L = jitter(r, 1.1)
    return [
        turned(
            [(0, 0), (0.18, 0.03), (0.2, L * 0.8), (0.1, L), (0, L)],
            section=fluted_section(6, 0.12),
            at=(0, -L, 0),
        ),
        rod((0, 0, 0), (0, jitter(r, 1.1), 0), 0.04, slot=1),
        box(0.09, 0.14, 0.02, 0.3, at=(0, 1.12, 0), slot=1),
    ]


@shape("n04204347", "shopping cart", natural=("metal_wire_straight_grill", "chrome", "plastic_red"))
def shopping_cart(r):
    L, W, H = jitter(r, 1.6, 0.1), jitter(r, 1.0, 0.1), jitter(r, 0.8, 0.1)
    y = 1.0
    parts = [
        Part(superquadric(L / 2, 0.02, W / 2, 0.1, 0.1), at=(0, y, 0), slot=0),
        Part(superquadric(0.02, H / 2, W / 2, 0.1, 0.1), at=(L / 2, y + H / 2, 0), rot=(0, 0, -10)),
        Part(superquadric(0.02, H / 2, W / 2, 0.1, 0.1), at=(-L / 2, y + H / 2, 0)),
        Part(superquadric(L / 2, H / 2, 0.02, 0.1, 0.1), at=(0, y + H / 2, W / 2)),
        Part(superquadric(L / 2, H / 2, 0.02, 0.1, 0.1), at=(0, y + H / 2, -W / 2)),
        rod(
            (-L / 2 - 0.15, y + H + 0.1, -W / 2), (-L / 2 - 0.15, y + H + 0.1, W / 2), 0.04, slot=2
        ),
    ]
    for x in (-L * 0.4, L * 0.4):
        for z in (-W * 0.4, W * 0.4):
            parts.append(rod((x, y, z), (x, 0.15, z), 0.025, slot=1))
            parts.append(wheel(x, 0.08, z, 0.09, 0.05, slot=2))
    return parts


@shape("n04254120", "soap dispenser", natural=("plastic_translucent_green", "chrome"))
def soap_dispenser(r):
    h, rad = jitter(r, 1.2), jitter(r, 0.4)
    return [
        turned(
            [(0, 0), (rad, 0), (rad * 1.02, h * 0.8), (rad * 0.4, h), (0, h)],
            section=polygon_section(4, 0.3) if r.random() < 0.4 else None,
        ),
        cylinder(0.12, 0.25, 0.5, at=(0, h + 0.12, 0), slot=1),
        bent_tube(
            [(0, h + 0.25, 0), (0, h + 0.33, 0), (0.35, h + 0.33, 0), (0.4, h + 0.28, 0)],
            0.05,
            smooth=1,
            slot=1,
        ),
    ]


@shape("n04380533", "table lamp", natural=("fabric_beige", "brass"))
def table_lamp(r):
    h = jitter(r, 1.6)
    top = jitter(r, 0.6)
    return [
        turned([(0, 0), (0.45, 0), (0.4, 0.1), (0, 0.12)], slot=1),
        rod((0, 0.1, 0), (0, h, 0), 0.05, slot=1),
        turned(
            [
                (0, h - 0.5),
                (top * 1.5, h - 0.5),
                (top * 0.9, h + 0.3),
                (top * 0.88, h + 0.3),
                (top * 1.47, h - 0.48),
                (0, h - 0.48),
            ]
        ),
    ]


@shape("n04442312", "toaster", natural=("chrome", "plastic_black", "plastic_black"))
def toaster(r):
    w, h, d = jitter(r, 1.6, 0.1), jitter(r, 1.0, 0.1), jitter(r, 0.9, 0.1)
    return [
        box(w, h, d, 0.3),
        box(w * 0.65, 0.05, 0.12, 0.3, at=(0, h / 2, -d * 0.18), slot=1),
        box(w * 0.65, 0.05, 0.12, 0.3, at=(0, h / 2, d * 0.18), slot=1),
        box(0.12, 0.08, 0.2, 0.4, at=(w / 2 + 0.05, h * 0.2, 0), slot=2),
    ]


@shape("n04507155", "umbrella", natural=("fabric_blue", "chrome", "wood_burma_padauk"))
def umbrella(r):
    rad = jitter(r, 1.3)
    ribs = int(r.integers(6, 10))
    import torch

    canopy = turned(
        [(0, 0.6), (rad * 0.5, 0.5), (rad, 0.0), (rad * 0.98, -0.03), (rad * 0.5, 0.45), (0, 0.55)],
        section=lambda a: 1 - 0.06 * torch.cos(ribs * a).abs(),
    )
    return [
        canopy,
        rod((0, 0.7, 0), (0, -1.4, 0), 0.03, slot=1),
        bent_tube([(0, -1.4, 0)] + arc_points(0.15, -1.4, 0.15, 180, 360, 7)[1:], 0.05, slot=2),
    ]


@shape("n04522168", "vase", natural=("ceramic_porcelain_blue",))
def vase(r):
    h = jitter(r, 2.0)
    b, n = jitter(r, 0.6, 0.3), jitter(r, 0.25, 0.3)
    return [
        turned(
            [
                (0, 0),
                (b * 0.6, 0),
                (b, h * 0.35),
                (n, h * 0.8),
                (n * 1.3, h),
                (n * 1.2, h),
                (n * 0.8, h * 0.85),
                (0, h * 0.8),
            ]
        )
    ]


@shape("n07753592", "banana", natural=("banana_yellow", "wood_wenge"))
def banana(r):
    L = jitter(r, 2.2)
    bend = jitter(r, 0.5)
    pts = [
        (math.sin(t) * L / 2, (1 - math.cos(t)) * L * bend / 2, 0)
        for t in np.linspace(-1.0, 1.0, 9)
    ]
    import torch

    parts = [bent_tube(pts, [0.05, 0.12, 0.19, 0.21, 0.22, 0.21, 0.18, 0.12, 0.06], smooth=2)]
    parts[0] = Part(
        lambda u, v, f=parts[0].surface: (
            f(u, v) * (1 - 0.06 * torch.cos(5 * v * 2 * math.pi)).unsqueeze(-1) + 0
        )
    )
    parts.append(rod(pts[-1], (pts[-1][0] + 0.15, pts[-1][1] + 0.15, 0), 0.04, slot=1))
    return parts


@shape("n04592099", "wine glass", natural=("glass_clear",))
def wine_glass(r):
    h = jitter(r, 2.0)
    bw = jitter(r, 0.45)
    return [
        turned(
            [
                (0, 0),
                (0.5, 0),
                (0.48, 0.04),
                (0.06, 0.06),
                (0.05, h * 0.45),
                (bw * 0.8, h * 0.55),
                (bw, h * 0.8),
                (bw * 0.9, h),
                (bw * 0.87, h),
                (bw * 0.96, h * 0.8),
                (bw * 0.76, h * 0.57),
                (0, h * 0.5),
            ]
        )
    ]


@shape("n04559451", "faucet", natural=("chrome", "chrome"))
def faucet(r):
    h = jitter(r, 1.4)
    reach = jitter(r, 0.8)
    return [
        turned([(0, 0), (0.28, 0), (0.26, 0.15), (0.14, 0.2), (0.12, h * 0.6), (0, h * 0.6)]),
        bent_tube(
            [(0, h * 0.5, 0), (0, h, 0)]
            + [(reach * 0.5, h * 1.15, 0), (reach, h, 0), (reach, h * 0.75, 0)],
            0.07,
        ),
        rod((0, h * 0.45, 0), (-0.5, h * 0.7, 0), 0.04, slot=1),
    ]


@shape("n04461879", "toy block", natural=("paint_glossy_red",))
def toy_block(r):
    sides = int(r.choice([3, 4, 5, 6, 8]))
    h = jitter(r, 0.7, 0.3)
    return [
        turned([(0, 0), (1.0, 0), (1.0, h), (0, h)], section=polygon_section(sides, 0.04), smooth=0)
    ]


@shape("n04453156", "toothbrush", natural=("plastic_vinyl_glossy_green", "fabric_white"))
def toothbrush(r):
    L = jitter(r, 2.6, 0.08)
    return [
        Part(superquadric(0.06, L / 2, 0.1, 0.4, 0.6, bend=jitter(r, 0.2, 0.5))),
        box(0.14, 0.35, 0.1, 0.2, at=(0, L / 2 - 0.2, 0.12), slot=1),
    ]


@shape("n04446521", "toilet", natural=("ceramic_porcelain", "plastic_white"))
def toilet(r):
    return [
        turned([(0, 0), (0.35, 0), (0.3, 0.4), (0.55, 0.8), (0.45, 0.8), (0, 0.5)], at=(0, 0, 0.1)),
        ring(0.48, 0.06, at=(0, 0.85, 0.12), slot=1),
        box(1.1, jitter(r, 0.8), 0.4, 0.2, at=(0, 1.2, -0.55)),
    ]


@shape("n04430364", "pillow", natural=("silk_satin_moire",))
def pillow(r):
    w, d = jitter(r, 1.8), jitter(r, 1.3)
    return [Part(superquadric(w / 2, jitter(r, 0.3), d / 2, 0.7, jitter(r, 1.6, 0.1)))]


@shape("n04397768", "teakettle", natural=("steel_glossy", "plastic_black"))
def kettle(r):
    rad, h = jitter(r, 0.8), jitter(r, 1.2)
    return [
        turned([(0, 0), (rad, 0), (rad * 1.05, h * 0.5), (rad * 0.6, h), (0, h)]),
        bent_tube(
            [(rad * 0.6, h * 0.3, 0), (rad * 1.3, h * 0.7, 0), (rad * 1.5, h * 1.0, 0)],
            [0.12, 0.08, 0.06],
            smooth=1,
        ),
        bent_tube(
            [
                (-rad * 0.5, h * 0.95, 0),
                (-rad * 0.4, h * 1.45, 0),
                (rad * 0.3, h * 1.45, 0),
                (rad * 0.4, h * 0.95, 0),
            ],
            0.06,
            smooth=2,
            slot=1,
        ),
        ellipsoid(0.15, 0.1, 0.15, at=(0, h + 0.03, 0), slot=1),
    ]


@shape("n04379243", "table", natural=("wood_american_chestnut", "wood_american_chestnut"))
def table(r):
    w, d, h = jitter(r, 2.2), jitter(r, 1.3), jitter(r, 1.6)
    round_top = r.random() < 0.3
    top = (
        cylinder(w / 2, 0.1, 0.2, at=(0, h, 0)) if round_top else box(w, 0.1, d, 0.1, at=(0, h, 0))
    )
    return [top, *four_legs(w * 0.85, d * 0.8 if not round_top else w * 0.6, h, 0.06, h, slot=1)]


@shape("n04284002", "spoon", natural=("silver_glossy",))
def spoon(r):
    L = jitter(r, 2.2)
    bw = jitter(r, 0.3)
    return [
        Part(superquadric(bw, 0.06, bw * 1.5, 0.6, 1.0), at=(0, 0, L * 0.35)),
        Part(
            superquadric(0.08, 0.025, L * 0.35, 0.4, 0.6, bend=0.3),
            at=(0, 0.05, -L * 0.05),
            rot=(0, 0, 0),
        ),
    ]


@shape("n04256520", "sofa", natural=("fabric_carpet_grey", "fabric_felt_gray"))
def sofa(r):
    w, d = jitter(r, 2.6), jitter(r, 1.1)
    return [
        box(w, 0.45, d, 0.3, at=(0, 0.35, 0)),
        box(w, 0.8, 0.3, 0.3, at=(0, 0.8, -d / 2 + 0.15)),
        box(0.3, 0.65, d, 0.3, at=(-w / 2, 0.55, 0), slot=1),
        box(0.3, 0.65, d, 0.3, at=(w / 2, 0.55, 0), slot=1),
        *[
            box(w / 2 * 0.95, 0.2, d * 0.8, 0.4, at=(sx * w / 4, 0.65, 0.05), slot=0)
            for sx in (-1, 1)
        ],
    ]


@shape("n04197781", "button", natural=("plastic_vinyl_glossy_red", "plastic_black"))
def button(r):
    holes = 2 if r.random() < 0.5 else 4
    rad = jitter(r, 1.0)
    parts = [
        turned(
            [(0, -0.05), (rad, -0.1), (rad, 0.1), (rad * 0.85, 0.15), (rad * 0.75, 0.05), (0, 0.05)]
        )
    ]
    offs = (
        [(-0.25, 0), (0.25, 0)]
        if holes == 2
        else [(-0.22, -0.22), (0.22, -0.22), (-0.22, 0.22), (0.22, 0.22)]
    )
    for x, z in offs:
        parts.append(cylinder(0.09, 0.14, 0.6, at=(x * rad, 0.0, z * rad), slot=1))
    return parts


@shape("n03624134", "knife", natural=("steel_glossy", "wood_wenge"))
def knife(r):
    L = jitter(r, 1.5)
    return [
        Part(lambda u, v, L=L: _blade(u, v, L)),
        box(jitter(r, 0.9), 0.16, 0.1, 0.35, at=(-0.45, -0.03, 0), slot=1),
    ]


def _blade(u, v, L):
    import torch

    p = superquadric(L / 2, 0.16, 0.015, 0.3, 0.3)(u, v)
    t = (p[:, 0] / L + 0.5).clamp(0, 1)  # 0 at the handle, 1 at the tip
    y = p[:, 1] * (1 - 0.85 * t**2) - 0.1 * t**2 * (p[:, 1] < 0)
    return torch.stack([p[:, 0] + L / 2, y, p[:, 2]], -1)


@shape("n03621049", "ladle", natural=("steel_glossy",))
def ladle(r):
    L = jitter(r, 2.2)
    b = jitter(r, 0.45)
    return [
        turned(
            open_cup_profile(b * 0.6, b, b * 0.7, 0.03)[:3]
            + [(b - 0.03, b * 0.7), (b * 0.55, 0.03), (0, 0.03)]
        ),
        bent_tube(
            [(b * 0.9, b * 0.65, 0), (b + 0.3, L * 0.5, 0), (b + 0.4, L * 0.9, 0), (b + 0.2, L, 0)],
            0.045,
            smooth=2,
            slot=0,
        ),
    ]


@shape("n03430551", "gear", natural=("steel_oxidized", "brass"))
def gear(r):
    teeth = int(r.integers(10, 22))
    t = jitter(r, 0.35)
    return [
        turned(
            [(0.35, -t / 2), (1.0, -t / 2), (1.0, t / 2), (0.35, t / 2)],
            section=teeth_section(teeth, 0.12),
            smooth=0,
            rot=(90, 0, 0),
        ),
        ring(0.33, 0.06, rot=(90, 0, 0), slot=1),
    ]


@shape("n03383948", "fork", natural=("silver_glossy",))
def fork(r):
    L = jitter(r, 2.2)
    tines = int(r.choice([3, 4]))
    parts = [
        Part(superquadric(0.09, L * 0.3, 0.025, 0.4, 0.5, taper=-0.3), at=(0, -L * 0.2, 0)),
        box(0.36, 0.3, 0.03, 0.4, at=(0, L * 0.12, 0)),
    ]
    for i in range(tines):
        x = (i - (tines - 1) / 2) * 0.3 / (tines - 1) * 1.8 / 1.5
        parts.append(rod((x * 0.5, L * 0.2, 0), (x * 0.5, L * 0.45, 0.02), 0.025))
    return parts


@shape("n03367059", "floor lamp", natural=("fabric_white", "steel_glossy_black"))
def floor_lamp(r):
    h = jitter(r, 3.0, 0.1)
    arcish = r.random() < 0.4
    parts = [turned([(0, 0), (0.5, 0), (0.45, 0.08), (0, 0.1)], slot=1)]
    if arcish:
        parts += [
            bent_tube([(0, 0.1, 0), (0, h * 0.7, 0), (0.6, h, 0), (1.2, h * 0.9, 0)], 0.04, slot=1),
            turned([(0, -0.3), (0.35, -0.3), (0.3, 0.0), (0, 0.05)], at=(1.2, h * 0.8, 0)),
        ]
    else:
        parts += [
            rod((0, 0.1, 0), (0, h, 0), 0.04, slot=1),
            turned(
                [
                    (0, h - 0.3),
                    (0.55, h - 0.3),
                    (0.4, h + 0.25),
                    (0.38, h + 0.25),
                    (0.53, h - 0.28),
                    (0, h - 0.28),
                ]
            ),
        ]
    return parts


@shape("n03147509", "mug", natural=("ceramic_porcelain",))
def mug(r):
    rad, h = jitter(r, 0.55), jitter(r, 1.1)
    return [
        turned(open_cup_profile(rad * jitter(r, 0.9, 0.1), rad, h, 0.05)),
        Part(torus(jitter(r, 0.3), 0.06), at=(rad + 0.05, h * 0.5, 0), rot=(90, 0, 0)),
    ]


@shape("n03101796", "baking sheet", natural=("aluminium_brushed",))
def baking_sheet(r):
    w, d = jitter(r, 2.4), jitter(r, 1.6)
    rim = 0.08
    return [
        box(w, 0.03, d, 0.1),
        box(w, rim, 0.04, 0.2, at=(0, rim / 2, d / 2)),
        box(w, rim, 0.04, 0.2, at=(0, rim / 2, -d / 2)),
        box(0.04, rim, d, 0.2, at=(w / 2, rim / 2, 0)),
        box(0.04, rim, d, 0.2, at=(-w / 2, rim / 2, 0)),
    ]


@shape("n03056701", "coaster", natural=("cork_simple", "cork_heavy"))
def coaster(r):
    sq = r.random() < 0.3
    return [
        turned(
            [(0, 0), (1, 0), (1, 0.12), (0.85, 0.12), (0.8, 0.08), (0, 0.08)],
            section=polygon_section(4, 0.25) if sq else None,
            smooth=0,
        ),
        ring(0.5, 0.03, at=(0, 0.085, 0), slot=1),
    ]


@shape("n03001627", "chair", natural=("wood_beech_natural", "wood_beech_natural"))
def chair(r):
    w, h = jitter(r, 1.0), jitter(r, 0.9)
    return [
        box(w, 0.1, w, 0.2, at=(0, h, 0)),
        box(w, jitter(r, 1.0), 0.08, 0.2, at=(0, h + 0.55, -w / 2), rot=(-8, 0, 0)),
        *four_legs(w * 0.85, w * 0.85, h, 0.045, h, slot=1),
    ]


@shape("n02933112", "cabinet", natural=("wood_beech_natural", "wood_wenge", "brass"))
def cabinet(r):
    w, h, d = jitter(r, 1.5), jitter(r, 1.9), jitter(r, 0.8)
    doors = int(r.choice([1, 2]))
    parts = [box(w, h, d, 0.05)]
    if doors == 2:
        parts.append(box(0.02, h * 0.95, 0.02, 0.3, at=(0, 0, d / 2), slot=1))
        parts += [ellipsoid(0.05, 0.05, 0.05, at=(x, 0, d / 2 + 0.04), slot=2) for x in (-0.1, 0.1)]
    else:
        parts += [box(w * 0.95, 0.02, 0.02, 0.3, at=(0, y, d / 2), slot=1) for y in (-h / 6, h / 6)]
        parts += [
            ellipsoid(0.05, 0.05, 0.05, at=(0, y, d / 2 + 0.04), slot=2) for y in (-h / 3, 0, h / 3)
        ]
    return parts


@shape("n02883344", "carton", natural=("cardboard_corrugated",))
def carton(r):
    w, h, d = jitter(r, 1.6), jitter(r, 1.1), jitter(r, 1.2)
    flap = jitter(r, 35, 0.5)
    return [
        Part(
            lathe(open_cup_profile(0.71, 0.71, h, 0.02), section=polygon_section(4, 0.0), smooth=0),
            rot=(0, 45, 0),
        ),
        box(w * 0.5, 0.02, d * 0.5, 0.1, at=(0, h + 0.2, d * 0.45), rot=(flap + 40, 0, 0)),
        box(w * 0.5, 0.02, d * 0.5, 0.1, at=(0, h + 0.2, -d * 0.45), rot=(-flap - 40, 0, 0)),
    ]


@shape("n02773838", "duffel bag", natural=("fabric_green", "fabric_black", "chrome"))
def duffel(r):
    L, rad = jitter(r, 2.0), jitter(r, 0.5)
    return [
        Part(superquadric(L / 2, rad, rad, 0.6, 0.8)),
        bent_tube(
            [
                (-L * 0.2, rad * 0.8, -0.1),
                (-L * 0.2, rad * 1.8, 0),
                (L * 0.2, rad * 1.8, 0),
                (L * 0.2, rad * 0.8, -0.1),
            ],
            0.04,
            slot=1,
        ),
        box(L * 0.8, 0.03, 0.03, 0.3, at=(0, rad * 0.95, 0.1), slot=2),
    ]


@shape("n04587648", "window", natural=("paint_glossy_white", "glass_clear"))
def window(r):
    w, h = jitter(r, 1.6), jitter(r, 2.0)
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


@shape("n04272054", "sunglasses", natural=("plastic_vinyl_glossy_black", "glass_black"))
def sunglasses(r):
    lw, lh = jitter(r, 0.55), jitter(r, 0.42)
    e = float(r.choice([0.3, 1.0]))
    parts = []
    for s in (-1, 1):
        parts.append(Part(superquadric(lw, lh, 0.04, e, e), at=(s * (lw + 0.12), 0, 0), slot=1))
        parts.append(Part(_frame(lw, lh), at=(s * (lw + 0.12), 0, 0), rot=(90, 0, 0)))
        parts.append(
            bent_tube(
                [
                    (s * (2 * lw + 0.15), 0.15, 0),
                    (s * (2 * lw + 0.2), 0.15, -1.2),
                    (s * (2 * lw + 0.15), -0.1, -1.5),
                ],
                0.04,
                smooth=1,
            )
        )
    parts.append(bent_tube([(-0.15, 0.1, 0), (0, 0.18, 0), (0.15, 0.1, 0)], 0.04, smooth=1))
    return parts


def _frame(a, b):
    import torch

    base = torus(1.0, 0.06)
    scale = torch.tensor([a, 1.0, b], dtype=torch.float64)
    return lambda u, v: base(u, v) * scale


@shape("n03603722", "jug", natural=("ceramic_porcelain_blue",))
def jug(r):
    rad, h = jitter(r, 0.6), jitter(r, 1.6)
    return [
        turned(
            [
                (0, 0),
                (rad, 0),
                (rad * 1.1, h * 0.4),
                (rad * 0.75, h * 0.85),
                (rad * 0.8, h),
                (rad * 0.74, h),
                (rad * 0.68, h * 0.85),
                (rad * 1.02, h * 0.4),
                (rad * 0.94, 0.05),
                (0, 0.05),
            ]
        ),
        bent_tube(
            [
                (-rad * 0.8, h * 0.8, 0),
                (-rad * 1.5, h * 0.7, 0),
                (-rad * 1.5, h * 0.3, 0),
                (-rad * 1.0, h * 0.2, 0),
            ],
            0.07,
            smooth=2,
        ),
        Part(superquadric(0.2, 0.04, 0.15, 0.5, 1.0), at=(rad * 0.85, h * 0.98, 0), rot=(0, 0, 20)),
    ]


@shape("n03162818", "dart", natural=("plastic_red", "steel_glossy", "plastic_vinyl_glossy_black"))
def dart(r):
    L = jitter(r, 2.2)
    return [
        rod((0, -L / 2, 0), (0, L * 0.1, 0), 0.06, slot=1),
        turned(
            [(0, -L * 0.05), (0.09, 0), (0.1, L * 0.25), (0, L * 0.3)],
            at=(0, L * 0.05 - L / 2 - 0.35, 0),
            slot=0,
        ),
        turned([(0, 0), (0.02, 0), (0, 0.35)], at=(0, -L / 2 - 0.3, 0), rot=(180, 0, 0), slot=1),
        box(0.5, 0.5, 0.01, 0.05, at=(0, L * 0.3, 0), rot=(0, 0, 45), slot=2),
        box(0.01, 0.5, 0.5, 0.05, at=(0, L * 0.3, 0), rot=(45, 0, 0), slot=2),
    ]


@shape("n02774152", "bag", natural=("fabric_red", "fabric_black", "gold_natural"))
def handbag(r):
    w, h = jitter(r, 1.8), jitter(r, 1.2)
    return [
        box(w, h, 0.6, 0.25),
        bent_tube(
            [
                (-w * 0.25, h / 2, 0.2),
                (-w * 0.25, h * 1.1, 0.2),
                (w * 0.25, h * 1.1, 0.2),
                (w * 0.25, h / 2, 0.2),
            ],
            0.04,
            smooth=2,
            slot=1,
        ),
        bent_tube(
            [
                (-w * 0.25, h / 2, -0.2),
                (-w * 0.25, h * 1.1, -0.2),
                (w * 0.25, h * 1.1, -0.2),
                (w * 0.25, h / 2, -0.2),
            ],
            0.04,
            smooth=2,
            slot=1,
        ),
        box(0.2, 0.12, 0.05, 0.3, at=(0, h * 0.3, 0.31), slot=2),
    ]


@shape("n13384557", "money", natural=("paper_green", "paper_olive"))
def money(r):
    n = int(r.integers(1, 4))
    w, d = jitter(r, 2.2, 0.05), jitter(r, 1.0, 0.05)
    return [
        box(w, 0.03, d, 0.05, at=(0, i * 0.05, 0), rot=(0, float(r.uniform(-15, 15)), 0))
        for i in range(n)
    ] + [Part(superquadric(d * 0.25, 0.02, d * 0.3, 0.5, 1.0), at=(0, n * 0.05 - 0.02, 0), slot=1)]


@shape("n13265011", "gift box", natural=("paper_blue", "silk_smooth_red"))
def gift_box(r):
    s = jitter(r, 1.4)
    h = jitter(r, 1.2)
    return [
        box(s, h, s, 0.05),
        box(s * 1.02, h * 1.02, 0.2, 0.05, slot=1),
        box(0.2, h * 1.02, s * 1.02, 0.05, slot=1),
        Part(torus(0.22, 0.07), at=(-0.2, h / 2 + 0.15, 0), rot=(90, 0, 20), slot=1),
        Part(torus(0.22, 0.07), at=(0.2, h / 2 + 0.15, 0), rot=(90, 0, -20), slot=1),
    ]


@shape("n04421872", "thermometer", natural=("plastic_white", "chrome", "plastic_gray"))
def thermometer(r):
    L = jitter(r, 2.2)
    return [
        Part(superquadric(0.2, L * 0.3, 0.08, 0.5, 0.5, taper=-0.2), at=(0, L * 0.2, 0)),
        rod((0, -0.1 * L, 0), (0, -L * 0.5, 0), 0.04, slot=1),
        box(0.25, 0.3, 0.02, 0.2, at=(0, L * 0.3, 0.08), slot=2),
    ]


@shape("n04255586", "can", natural=("aluminium_clean_red", "aluminium_clean"))
def soda_can(r):
    rad, h = jitter(r, 0.5, 0.1), jitter(r, 1.7, 0.2)
    return [
        turned([(0, 0), (rad * 0.75, 0), (rad, h * 0.1), (rad, h * 0.88), (rad * 0.8, h), (0, h)]),
        ring(rad * 0.78, 0.03, at=(0, h, 0), slot=1),
    ]


@shape("n04148054", "scissors", natural=("steel_glossy", "plastic_vinyl_glossy_orange"))
def scissors(r):
    L = jitter(r, 1.4)
    a = jitter(r, 14, 0.4)
    parts = []
    for s in (-1, 1):
        parts.append(
            Part(
                superquadric(L / 2, 0.09, 0.02, 0.4, 0.5, taper=0.0),
                at=(
                    L / 2 * math.cos(math.radians(s * a)),
                    L / 2 * math.sin(math.radians(s * a)),
                    0.02 * s,
                ),
                rot=(0, 0, s * a),
                slot=0,
            )
        )
        parts.append(
            Part(
                torus(0.22, 0.06),
                at=(
                    -0.35 * math.cos(math.radians(s * a)),
                    -0.35 * math.sin(math.radians(s * a)) + s * 0.2,
                    0,
                ),
                rot=(90, 0, 0),
                slot=1,
            )
        )
    return parts


@shape("n04140064", "saw", natural=("steel_glossy", "plastic_vinyl_glossy_orange"))
def saw(r):
    L = jitter(r, 2.4)
    return [
        Part(lambda u, v, L=L: _saw(u, v, L)),
        box(0.6, 0.8, 0.15, 0.4, at=(-0.25, 0.1, 0), slot=1),
    ]


def _saw(u, v, L):
    import torch

    p = superquadric(L / 2, 0.3, 0.01, 0.2, 0.2)(u, v)
    t = (p[:, 0] / L + 0.5).clamp(0, 1)
    y = p[:, 1] * (1 - 0.55 * t)  # tapering blade
    teeth = 0.04 * (torch.remainder(p[:, 0] * 25, 1.0)) * (p[:, 1] < 0)
    return torch.stack([p[:, 0] + L / 2, y - teeth, p[:, 2]], -1)


@shape("n03880531", "skillet", natural=("steel_glossy_black", "wood_wenge"))
def skillet(r):
    rad = jitter(r, 0.9)
    return [
        turned(open_cup_profile(rad * 0.8, rad, jitter(r, 0.3), 0.04)),
        Part(
            superquadric(0.55, 0.04, 0.08, 0.4, 0.4), at=(rad + 0.5, 0.25, 0), rot=(0, 0, 8), slot=1
        ),
    ]


@shape("n03475581", "comb", natural=("plastic_vinyl_glossy_black",))
def comb(r):
    L = jitter(r, 2.2)
    n = int(r.integers(10, 16))
    parts = [box(L, 0.22, 0.05, 0.2, at=(0, 0.2, 0))]
    for i in range(n):
        x = -L / 2 + (i + 0.5) * L / n
        parts.append(box(L / n * 0.45, jitter(r, 0.5, 0.05), 0.04, 0.3, at=(x, -0.1, 0)))
    return parts


@shape("n03108853", "cork", natural=("cork_simple",))
def cork(r):
    h, rad = jitter(r, 1.0), jitter(r, 0.45)
    champagne = r.random() < 0.3
    if champagne:
        return [
            turned(
                [
                    (0, 0),
                    (rad, 0),
                    (rad * 0.9, h * 0.5),
                    (rad * 1.2, h * 0.7),
                    (rad * 1.15, h),
                    (0, h * 1.05),
                ]
            )
        ]
    return [turned([(0, 0), (rad * 0.8, 0), (rad, h), (0, h)], smooth=0)]


@shape("n02938886", "calculator", natural=("plastic_gray", "plastic_olive_green", "plastic_black"))
def calculator(r):
    w, h = jitter(r, 1.2, 0.1), jitter(r, 1.8, 0.1)
    parts = [
        box(w, h, 0.15, 0.15),
        box(w * 0.8, h * 0.18, 0.02, 0.1, at=(0, h * 0.32, 0.075), slot=1),
    ]
    for i in range(5):
        for j in range(4):
            parts.append(
                box(
                    w * 0.15,
                    h * 0.08,
                    0.04,
                    0.3,
                    at=((j - 1.5) * w * 0.21, h * 0.1 - i * h * 0.13, 0.08),
                    slot=2,
                )
            )
    return parts


@shape("n04576002", "wheelchair", natural=("chrome", "plastic_black", "fabric_blue"))
def wheelchair(r):
    w = jitter(r, 1.1, 0.1)
    return [
        box(w, 0.1, w, 0.2, at=(0, 0.9, 0), slot=2),
        box(w, 0.9, 0.08, 0.2, at=(0, 1.4, -w / 2), rot=(-10, 0, 0), slot=2),
        Part(torus(0.66, 0.04), at=(-w / 2 - 0.1, 0.7, -0.1), rot=(0, 0, 90), slot=1),
        Part(torus(0.66, 0.04), at=(w / 2 + 0.1, 0.7, -0.1), rot=(0, 0, 90), slot=1),
        wheel(-w / 2, 0.12, w * 0.6, 0.12, 0.06, axis="x"),
        wheel(w / 2, 0.12, w * 0.6, 0.12, 0.06, axis="x"),
        rod((-w / 2, 0.9, w / 2), (-w / 2, 0.2, w * 0.6), 0.03, slot=0),
        rod((w / 2, 0.9, w / 2), (w / 2, 0.2, w * 0.6), 0.03, slot=0),
    ]


@shape("n04487996", "trophy", natural=("gold_natural", "wood_wenge"))
def trophy(r):
    h = jitter(r, 1.4)
    cw = jitter(r, 0.6)
    return [
        turned(
            [
                (0, 0),
                (0.5, 0),
                (0.5, 0.3),
                (0.2, 0.35),
                (0.08, 0.4),
                (0.07, h * 0.6),
                (cw * 0.5, h * 0.75),
                (cw, h * 1.2),
                (cw * 0.95, h * 1.2),
                (cw * 0.45, h * 0.8),
                (0, h * 0.75),
            ]
        ),
        Part(torus(0.22, 0.04), at=(cw + 0.1, h * 1.0, 0), rot=(90, 0, 0)),
        Part(torus(0.22, 0.04), at=(-cw - 0.1, h * 1.0, 0), rot=(90, 0, 0)),
        box(1.1, 0.3, 1.1, 0.1, at=(0, -0.15, 0), slot=1),
    ]


@shape("n04363559", "surfboard", natural=("paint_glossy_white", "plastic_blue"))
def surfboard(r):
    L, w = jitter(r, 3.0, 0.1), jitter(r, 0.55)
    return [
        Part(lambda u, v, L=L, w=w: _board(u, v, L, w)),
        box(0.02, 0.25, 0.3, 0.3, at=(0, -0.15, -L * 0.4), slot=1),
    ]


def _board(u, v, L, w):
    import torch

    p = superquadric(w, 0.06, L / 2, 0.5, 1.0)(u, v)
    t = p[:, 2] / (L / 2)
    x = p[:, 0] * (1 - 0.6 * t.clamp(0, 1) ** 2)
    y = p[:, 1] + 0.12 * t.clamp(0, 1) ** 3
    return torch.stack([x, y, p[:, 2]], -1)


@shape("n04225987", "skateboard", natural=("wood_ash", "plastic_yellow", "aluminium_clean"))
def skateboard(r):
    L, w = jitter(r, 2.6, 0.1), jitter(r, 0.7, 0.1)
    parts = [Part(superquadric(w / 2, 0.04, L / 2, 0.3, 0.4), at=(0, 0.3, 0))]
    for z in (-L * 0.32, L * 0.32):
        parts.append(box(w * 0.6, 0.08, 0.12, 0.3, at=(0, 0.22, z), slot=2))
        for x in (-w * 0.38, w * 0.38):
            parts.append(cylinder(0.09, 0.08, 0.5, at=(x, 0.1, z), rot=(0, 0, 90), slot=1))
    return parts


@shape("n03990474", "pot", natural=("steel_glossy", "plastic_black"))
def pot(r):
    rad, h = jitter(r, 0.8), jitter(r, 0.9)
    return [
        turned(open_cup_profile(rad, rad, h, 0.04)),
        box(0.35, 0.06, 0.15, 0.3, at=(rad + 0.12, h * 0.85, 0), slot=1),
        box(0.35, 0.06, 0.15, 0.3, at=(-rad - 0.12, h * 0.85, 0), slot=1),
        turned([(0, h), (rad * 1.02, h), (rad * 0.6, h + 0.15), (0, h + 0.18)], slot=0),
        ellipsoid(0.1, 0.08, 0.1, at=(0, h + 0.24, 0), slot=1),
    ]


@shape("n03966976", "pliers", natural=("steel_glossy", "plastic_red"))
def pliers(r):
    L = jitter(r, 2.0)
    a = jitter(r, 10, 0.4)
    parts = []
    for s in (-1, 1):
        parts.append(
            bent_tube(
                [(0, 0, 0.02 * s), (-L * 0.3, s * 0.12, 0.02 * s), (-L * 0.7, s * 0.25, 0.02 * s)],
                [0.06, 0.07, 0.07],
                smooth=2,
                slot=1,
            )
        )
        parts.append(
            Part(
                superquadric(L * 0.17, 0.06, 0.03, 0.5, 0.6, taper=0),
                at=(L * 0.17, s * 0.04, 0.02 * s),
                rot=(0, 0, s * a * 0.3),
            )
        )
    parts.append(cylinder(0.09, 0.12, 0.6, rot=(90, 0, 0)))
    return parts


@shape("n03760671", "microscope", natural=("paint_glossy_white", "paint_glossy_black", "chrome"))
def microscope(r):
    return [
        box(1.0, 0.2, 1.2, 0.2, at=(0, 0.1, 0)),
        bent_tube([(0, 0.2, -0.45), (0, 1.0, -0.5), (0, 1.5, -0.3)], 0.14, smooth=2, slot=1),
        rod((0, 1.7, 0.05), (0, 0.85, 0.15), 0.12, slot=0),
        box(0.7, 0.05, 0.7, 0.1, at=(0, 0.7, 0.1), slot=1),
        cylinder(0.12, 0.2, 0.5, at=(0.25, 1.0, -0.45), rot=(0, 0, 90), slot=2),
    ]


@shape("n03649674", "lawn chair", natural=("wood_planks", "wood_planks"))
def lawn_chair(r):
    w = jitter(r, 1.1)
    back = jitter(r, 20, 0.5)
    n = int(r.integers(4, 7))
    parts = [box(w, 0.08, 0.12, 0.2, at=(0, 0.6, z), slot=0) for z in np.linspace(-0.4, 0.4, n)]
    parts += [
        box(0.12, 1.3, 0.06, 0.2, at=(x, 1.2, -0.6), rot=(-back, 0, 0))
        for x in np.linspace(-w / 2 + 0.1, w / 2 - 0.1, n)
    ]
    parts += [box(0.15, 0.06, 1.3, 0.2, at=(s * (w / 2 + 0.1), 0.95, 0), slot=1) for s in (-1, 1)]
    parts += four_legs(w + 0.2, 1.1, 0.95, 0.05, 0.95, slot=1)
    return parts


@shape("n03632277", "ladder", natural=("aluminium_brushed", "aluminium_clean"))
def ladder(r):
    h, w = jitter(r, 3.0), jitter(r, 0.9)
    n = int(r.integers(5, 8))
    parts = [box(0.08, h, 0.15, 0.2, at=(x, h / 2, 0), slot=0) for x in (-w / 2, w / 2)]
    parts += [
        rod((-w / 2, y, 0), (w / 2, y, 0), 0.04, slot=1) for y in np.linspace(h * 0.1, h * 0.9, n)
    ]
    return parts


@shape("n03593526", "jar", natural=("glass_clear", "paint_glossy_red"))
def jar(r):
    rad, h = jitter(r, 0.6), jitter(r, 1.1)
    return [
        turned([(0, 0), (rad, 0), (rad * 1.02, h * 0.8), (rad * 0.8, h * 0.9), (0, h * 0.9)]),
        cylinder(rad * 0.85, h * 0.15, 0.3, at=(0, h * 0.95, 0), slot=1),
    ]


@shape("n03346898", "fire hydrant", natural=("paint_glossy_red", "paint_glossy_yellow"))
def hydrant(r):
    h = jitter(r, 1.6)
    return [
        turned(
            [
                (0, 0),
                (0.5, 0),
                (0.5, 0.08),
                (0.33, 0.12),
                (0.32, h),
                (0.38, h * 1.02),
                (0.3, h * 1.1),
                (0, h * 1.3),
            ]
        ),
        cylinder(0.14, 0.6, 0.3, at=(0, h * 0.65, 0), rot=(0, 0, 90), slot=1),
        cylinder(0.18, 0.3, 0.3, at=(0, h * 0.6, 0.35), rot=(90, 0, 0), slot=1),
        cylinder(0.05, 0.12, 0.3, at=(0, h * 1.32, 0), slot=1),
    ]


@shape("n03320046", "fan", natural=("plastic_white", "plastic_light_gray"))
def fan(r):
    rad = jitter(r, 0.8)
    blades = int(r.integers(3, 6))
    y = jitter(r, 1.5)
    parts = [
        turned([(0, 0), (0.5, 0), (0.45, 0.1), (0, 0.12)], slot=1),
        rod((0, 0.1, 0), (0, y, 0), 0.05, slot=1),
        Part(torus(rad, 0.03), at=(0, y + rad * 0.1, 0.1), rot=(90, 0, 0), slot=1),
        cylinder(0.15, 0.3, 0.6, at=(0, y + rad * 0.1, -0.05), rot=(90, 0, 0), slot=1),
    ]
    for k in range(blades):
        a = 360 * k / blades
        c, s = math.cos(math.radians(a)), math.sin(math.radians(a))
        parts.append(
            Part(
                superquadric(rad * 0.4, 0.2, 0.02, 0.6, 0.6),
                at=(c * rad * 0.5, y + rad * 0.1 + s * rad * 0.5, 0.1),
                rot=(15, 0, a),
            )
        )
    return parts


@shape("n03222959", "door handle", natural=("chrome", "steel_glossy"))
def door_handle(r):
    L = jitter(r, 1.4)
    knob = r.random() < 0.3
    parts = [cylinder(0.35, 0.1, 0.3, rot=(90, 0, 0), slot=1)]
    if knob:
        parts.append(
            turned(
                [(0, 0), (0.12, 0), (0.1, 0.3), (0.35, 0.45), (0.3, 0.65), (0, 0.7)], rot=(90, 0, 0)
            )
        )
    else:
        parts += [
            rod((0, 0, 0), (0, 0, 0.35), 0.09),
            bent_tube([(0, 0, 0.35), (L * 0.3, 0, 0.38), (L, -0.05, 0.38)], 0.08, smooth=1),
        ]
    return parts


@shape("n03206908", "bowl", natural=("ceramic_porcelain_orange",))
def bowl(r):
    rad = jitter(r, 1.0)
    return [
        turned(
            [
                (0, 0),
                (rad * 0.45, 0),
                (rad * 0.48, 0.08),
                (rad * 0.85, rad * 0.35),
                (rad, rad * 0.6),
                (rad * 0.96, rad * 0.6),
                (rad * 0.8, rad * 0.37),
                (rad * 0.4, 0.12),
                (0, 0.12),
            ]
        )
    ]


@shape("n02801938", "basket", natural=("plastic_weave_tan", "wood_makore"))
def basket(r):
    rad, h = jitter(r, 1.0), jitter(r, 0.8)
    sq = r.random() < 0.4
    return [
        turned(
            open_cup_profile(rad * 0.8, rad, h, 0.05),
            section=polygon_section(4, 0.2) if sq else None,
        ),
        bent_tube(arc_points(0, h, rad * 0.95, 180, 0, n=11), 0.05, slot=1),
    ]


@shape("n01772222", "spider", natural=("fabric_black_hairy",))
def spider(r):
    parts = [
        ellipsoid(0.55, 0.4, 0.7, at=(0, 0.4, -0.55)),
        ellipsoid(0.35, 0.28, 0.4, at=(0, 0.35, 0.35)),
    ]
    span = jitter(r, 1.6)
    for s in (-1, 1):
        for a in (-50, -15, 15, 50):
            c, sn = math.cos(math.radians(a)), math.sin(math.radians(a))
            parts.append(
                bent_tube(
                    [
                        (0.2 * s, 0.35, 0.35 + 0.1 * sn),
                        (s * span * 0.5 * c, 0.9, 0.35 + span * 0.5 * sn),
                        (s * span * c, 0.0, 0.35 + span * sn),
                    ],
                    [0.06, 0.05, 0.03],
                    smooth=1,
                    slot=0,
                )
            )
    return parts


@shape("n07663899", "cake", natural=("chocolate_cake", "paint_matte_white", "porcelain"))
def cake(r):
    rad, h = jitter(r, 1.0), jitter(r, 0.8)
    layers = int(r.integers(1, 3))
    parts = []
    for i in range(layers):
        rr = rad * (1 - 0.3 * i)
        y = i * h
        parts.append(cylinder(rr, h, 0.2, at=(0, y + h / 2, 0)))
        parts.append(ring(rr * 0.92, 0.06, at=(0, y + h, 0), slot=1))
    parts.append(
        turned([(0, 0), (rad * 1.25, 0), (rad * 1.25, 0.05), (0, 0.05)], at=(0, -0.05, 0), slot=2)
    )
    return parts


@shape("n07601999", "chocolate", natural=("chocolate",))
def chocolate(r):
    nx, nz = int(r.integers(3, 6)), int(r.integers(2, 4))
    w, d = jitter(r, 2.4), jitter(r, 1.2)
    parts = [box(w, 0.08, d, 0.1)]
    for i in range(nx):
        for j in range(nz):
            parts.append(
                box(
                    w / nx * 0.85,
                    0.12,
                    d / nz * 0.85,
                    0.3,
                    at=((i + 0.5) * w / nx - w / 2, 0.08, (j + 0.5) * d / nz - d / 2),
                )
            )
    return parts


@shape("n04190052", "shelf", natural=("steel_glossy", "chrome"))
def shelf(r):
    w, h, d = jitter(r, 1.8), jitter(r, 2.6), jitter(r, 0.8)
    n = int(r.integers(3, 6))
    parts = [
        rod((x, 0, z), (x, h, z), 0.04, slot=1) for x in (-w / 2, w / 2) for z in (-d / 2, d / 2)
    ]
    parts += [box(w, 0.05, d, 0.1, at=(0, y, 0)) for y in np.linspace(0.15, h - 0.05, n)]
    return parts


@shape("n04148579", "sconce", natural=("fabric_beige", "brass"))
def sconce(r):
    return [
        box(0.5, 0.8, 0.08, 0.3, slot=1),
        bent_tube([(0, 0, 0.04), (0, -0.1, 0.5), (0, 0.3, 0.8)], 0.04, smooth=2, slot=1),
        turned(
            [
                (0, -0.1),
                (0.2, -0.1),
                (jitter(r, 0.4), 0.4),
                (jitter(r, 0.4) - 0.02, 0.4),
                (0.18, -0.08),
                (0, -0.08),
            ],
            at=(0, 0.35, 0.8),
        ),
    ]


@shape("n03914337", "pepper mill", natural=("wood_wenge", "chrome"))
def pepper_mill(r):
    h = jitter(r, 2.2)
    return [
        turned(
            [
                (0, 0),
                (0.35, 0),
                (0.38, h * 0.15),
                (0.25, h * 0.5),
                (0.33, h * 0.8),
                (0.25, h * 0.92),
                (0, h),
            ],
            section=fluted_section(8, 0.04),
        ),
        ellipsoid(0.1, 0.1, 0.1, at=(0, h + 0.05, 0), slot=1),
    ]


@shape("n03906997", "pen", natural=("plastic_vinyl_glossy_blue", "chrome"))
def pen(r):
    L = jitter(r, 2.6, 0.08)
    return [
        turned(
            [(0, 0), (0.02, 0.02), (0.09, L * 0.12), (0.1, L * 0.9), (0.08, L), (0, L)],
            at=(0, -L / 2, 0),
        ),
        box(0.05, L * 0.3, 0.08, 0.3, at=(0.1, L * 0.3, 0), slot=1),
        cylinder(0.105, L * 0.1, 0.3, at=(0, L * 0.48, 0), slot=1),
    ]


@shape("n03859280", "kennel", natural=("wood_planks_01", "paint_matte_red", "paint_matte_black"))
def kennel(r):
    w, h, d = jitter(r, 1.6), jitter(r, 1.1), jitter(r, 1.6)
    roof = jitter(r, 35, 0.2)
    rl = w / 2 / math.cos(math.radians(roof)) * 1.15
    return [
        box(w, h, d, 0.05, at=(0, h / 2, 0)),
        box(
            rl,
            0.06,
            d * 1.15,
            0.1,
            at=(-w / 4, h + math.tan(math.radians(roof)) * w / 4, 0),
            rot=(0, 0, roof),
            slot=1,
        ),
        box(
            rl,
            0.06,
            d * 1.15,
            0.1,
            at=(w / 4, h + math.tan(math.radians(roof)) * w / 4, 0),
            rot=(0, 0, -roof),
            slot=1,
        ),
        Part(superquadric(w * 0.22, h * 0.35, 0.02, 0.4, 0.4), at=(0, h * 0.35, d / 2), slot=2),
    ]


@shape("n03191029", "dice", natural=("plastic_vinyl_glossy_white", "paint_glossy_black"))
def dice(r):
    parts = [Part(superquadric(1, 1, 1, 0.2, 0.2))]
    pips = {
        0: [(0, 0)],
        1: [(-0.45, -0.45), (0.45, 0.45)],
        2: [(-0.45, -0.45), (0, 0), (0.45, 0.45)],
    }
    for face, (axis, sgn) in enumerate([(2, 1), (0, 1), (1, 1)]):
        for a, b in pips[face]:
            p = [0.0, 0.0, 0.0]
            p[axis] = sgn * 0.99
            others = [i for i in range(3) if i != axis]
            p[others[0]], p[others[1]] = a, b
            parts.append(ellipsoid(0.14, 0.14, 0.14, at=tuple(p), slot=1))
    return parts


@shape("n03063968", "coffee table", natural=("wood_palisander_brazil", "glass_clear"))
def coffee_table(r):
    w, d, h = jitter(r, 2.6), jitter(r, 1.4), jitter(r, 0.6)
    oval = r.random() < 0.4
    top = Part(superquadric(w / 2, 0.06, d / 2, 0.2, 1.0 if oval else 0.2), at=(0, h, 0), slot=1)
    return [
        top,
        box(w * 0.8, 0.05, d * 0.7, 0.1, at=(0, h * 0.3, 0)),
        *four_legs(w * 0.8, d * 0.7, h, 0.07, h),
    ]


@shape(
    "n03063485",
    "coffee grinder",
    natural=("wood_beech_chocolate_brown", "brass", "steel_glossy_black"),
)
def grinder(r):
    return [
        box(0.8, 0.9, 0.8, 0.3, at=(0, 0.45, 0)),
        turned(
            [(0, 0), (0.3, 0), (0.55, jitter(r, 0.7)), (0, jitter(r, 0.7))], at=(0, 0.9, 0), slot=1
        ),
        bent_tube(
            [(0, 1.65, 0), (0, 1.8, 0), (0.5, 1.8, 0), (0.5, 2.0, 0)], 0.04, smooth=0, slot=2
        ),
        ellipsoid(0.08, 0.12, 0.08, at=(0.5, 2.05, 0), slot=2),
    ]


@shape("n02871005", "bookend", natural=("steel_oxidized", "brass"))
def bookend(r):
    h, d = jitter(r, 1.6), jitter(r, 1.0)
    w = jitter(r, 1.1)
    return [
        box(w, 0.06, d, 0.1, at=(0, 0.03, 0)),
        box(w, h, 0.06, 0.1, at=(0, h / 2, -d / 2)),
        Part(
            superquadric(0.03, h * 0.3, d * 0.3, 0.1, 0.1, taper=-0.6),
            at=(0, h * 0.3, -d / 2 + d * 0.2),
            rot=(0, 90, 0),
            slot=1,
        ),
    ]


@shape("n02818832", "bed", natural=("fabric_white", "wood_beech_natural", "fabric_blue"))
def bed(r):
    w, L = jitter(r, 2.0), jitter(r, 2.8)
    return [
        box(w, 0.4, L, 0.1, at=(0, 0.4, 0), slot=1),
        box(w * 0.97, 0.35, L * 0.97, 0.3, at=(0, 0.75, 0)),
        box(w, jitter(r, 1.4), 0.12, 0.1, at=(0, 0.9, -L / 2), slot=1),
        Part(superquadric(w * 0.35, 0.12, 0.3, 0.6, 1.5), at=(0, 1.02, -L / 2 + 0.4), slot=2),
        *four_legs(w * 0.95, L * 0.95, 0.3, 0.05, 0.3, slot=1),
    ]


@shape("n02799175", "baseball bat", natural=("wood_ash",))
def bat(r):
    L = jitter(r, 3.0, 0.05)
    b = jitter(r, 0.17)
    return [
        turned(
            [
                (0, 0),
                (0.09, 0),
                (0.07, 0.05),
                (0.05, 0.1),
                (0.06, L * 0.45),
                (b, L * 0.8),
                (b, L * 0.97),
                (0, L),
            ],
            at=(0, -L / 2, 0),
        )
    ]


@shape("n02694662", "alarm clock", natural=("paint_glossy_red", "paint_glossy_white", "chrome"))
def alarm_clock(r):
    rad = jitter(r, 0.8)
    return [
        cylinder(rad, 0.4, 0.3, at=(0, 1.0, 0), rot=(90, 0, 0)),
        cylinder(rad * 0.85, 0.02, 0.2, at=(0, 1.0, 0.2), rot=(90, 0, 0), slot=1),
        turned(
            [(0, 0), (0.28, 0), (0.01, 0.25)],
            at=(-rad * 0.6, 1.0 + rad * 0.75, 0),
            rot=(0, 0, 30),
            slot=2,
        ),
        turned(
            [(0, 0), (0.28, 0), (0.01, 0.25)],
            at=(rad * 0.6, 1.0 + rad * 0.75, 0),
            rot=(0, 0, -30),
            slot=2,
        ),
        rod((-rad * 0.5, 1.0 - rad * 0.8, 0), (-rad * 0.7, 0.0, 0), 0.04, slot=2),
        rod((rad * 0.5, 1.0 - rad * 0.8, 0), (rad * 0.7, 0.0, 0), 0.04, slot=2),
        box(0.04, rad * 0.6, 0.02, 0.3, at=(0, 1.0 + rad * 0.25, 0.22), slot=2),
    ]


@shape("n11669921", "flower", natural=("silk_smooth_pink", "plastic_green", "paint_matte_yellow"))
def flower(r):
    n = int(r.integers(5, 10))
    h = jitter(r, 2.0)
    pr = jitter(r, 0.5)
    parts = [
        bent_tube([(0, 0, 0), (0.1, h * 0.5, 0), (0, h, 0)], 0.04, slot=1),
        ellipsoid(0.18, 0.1, 0.18, at=(0, h, 0), slot=2),
    ]
    for k in range(n):
        a = 360 * k / n
        c, s = math.cos(math.radians(a)), math.sin(math.radians(a))
        parts.append(
            Part(
                superquadric(pr / 2, 0.03, 0.15, 0.8, 1.0),
                at=(c * pr * 0.55, h + 0.02, -s * pr * 0.55),
                rot=(0, a, 10),
            )
        )
    parts.append(
        Part(superquadric(0.3, 0.02, 0.12, 0.8, 1.4), at=(0.25, h * 0.4, 0), rot=(0, 0, 30), slot=1)
    )
    return parts


@shape("n04399046", "tray", natural=("wood_burma_padauk", "brass"))
def tray(r):
    w, d = jitter(r, 2.4), jitter(r, 1.6)
    oval = r.random() < 0.4
    e = 1.0 if oval else 0.15
    return [
        Part(superquadric(w / 2, 0.03, d / 2, 0.3, e)),
        Part(_rim(w, d, oval)),
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


OBJECT_CLASSES: tuple[ObjectClass, ...] = CATALOGUE.classes(load_object_classes())
"""The 100 classes, label ``i`` = ``OBJECT_CLASSES[i]`` (the order of ``objects.json``)."""

__all__ = ["CATALOGUE", "OBJECT_CLASSES", "ObjectClass"]
