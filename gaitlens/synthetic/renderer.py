"""Figure renderer: draws a synthetic run as a side-view treadmill video.

Every shape is built in the analysis frame (metres, at the depth of its body side) and
projected with the run's pinhole camera, then filled with OpenCV's anti-aliased
polygons (sub-pixel coordinates via ``shift``). The figure: head with hair, ear, eye,
nose and mouth; neck; a shirt torso whose lower back follows the pelvic tilt and the
lumbar curve; shorts rigidly attached to the pelvis (waistband parallel to the
ASIS-PSIS line, buttocks behind the hip), so tilt shows in the silhouette; tapered
limbs with a calf bulge; shoes; far-side limbs darker. Behind: a wall, a treadmill
deck with a moving belt (marks travel backward at belt speed) and a handrail.

Noise options (``RunnerParams``): sensor noise, motion blur (sub-frame averaging over
the shutter) and compression (``crf``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from .model import rotate
from .run import SIDES, SyntheticRun

SHIFT = 4  # sub-pixel bits for cv2 polygon drawing
_S = float(1 << SHIFT)


@dataclass
class Style:
    """Colours (RGB) and body widths (metres for a 1.75 m runner)."""

    skin: tuple = (222, 170, 135)
    hair: tuple = (58, 40, 30)
    shirt: tuple = (35, 95, 180)
    shorts: tuple = (40, 42, 58)
    shoe: tuple = (235, 235, 230)
    sole: tuple = (200, 60, 50)
    sock: tuple = (40, 40, 44)
    far_shade: float = 0.72
    wall_top: tuple = (214, 210, 200)
    wall_bottom: tuple = (182, 176, 165)
    floor: tuple = (120, 108, 96)
    deck: tuple = (55, 56, 62)
    belt: tuple = (34, 34, 38)
    belt_mark: tuple = (90, 90, 96)
    rail: tuple = (150, 152, 158)
    thigh_r: tuple = (0.085, 0.072, 0.055)  # hip, mid, knee
    shank_r: tuple = (0.050, 0.056, 0.033)  # knee, calf, ankle
    upper_arm_r: tuple = (0.047, 0.040, 0.036)
    forearm_r: tuple = (0.036, 0.032, 0.026)
    #: solid body: trunk, pelvis, head, neck and limbs drawn as their side outline swept
    #: across the body's width (a prism), so a turned camera sees the chest or back
    #: and round limbs rather than flat cut-outs. None: solid only when the camera is
    #: turned (``RunnerParams.camera_yaw_deg`` / ``camera_pitch_deg``), which keeps the
    #: side-view renders as they were
    solid: Optional[bool] = None
    trunk_half_width_m: float = 0.15  # chest breadth about 0.30 m (1.75 m runner)
    pelvis_half_width_m: float = 0.16  # hip breadth about 0.33 m
    head_half_width_m: float = 0.075
    neck_half_width_m: float = 0.05
    limb_depth_frac: float = 0.8  # a limb's half-depth / its mid-length radius
    #: a furnished wall behind the treadmill: two tall cupboards and a door frame, whose
    #: vertical edges are what ``gaitlens.pose.vertical`` levels the frame by (projected
    #: with the run's camera, so a pitched camera makes them converge). False: the plain
    #: wall and poster of the sample clips
    room: bool = False
    wood: tuple = (168, 118, 70)


def _shade(c, k):
    return tuple(int(round(v * k)) for v in c)


def _fill(img, pts_px, color, outline: Optional[float] = None):
    """Anti-aliased filled polygon; ``outline`` = darkening factor of a 1 px edge."""
    import cv2

    p = np.round(np.asarray(pts_px) * _S).astype(np.int32)
    cv2.fillPoly(img, [p], color, lineType=cv2.LINE_AA, shift=SHIFT)
    if outline is not None:
        cv2.polylines(img, [p], True, _shade(color, outline), 1, lineType=cv2.LINE_AA, shift=SHIFT)


def _fill_union(img, polys_px, color, ss: int = 4):
    """Anti-aliased union of polygons (one colour): drawn one by one into a ``ss`` x
    supersampled mask of their bounding box (OpenCV fills overlapping polygons of one
    call by the even-odd rule), averaged down to coverage and blended in."""
    import cv2

    allp = np.vstack(polys_px)
    h, w = img.shape[:2]
    x0, y0 = (max(0, int(np.floor(v)) - 1) for v in allp.min(axis=0))
    x1 = min(w, int(np.ceil(allp[:, 0].max())) + 2)
    y1 = min(h, int(np.ceil(allp[:, 1].max())) + 2)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros(((y1 - y0) * ss, (x1 - x0) * ss), np.uint8)
    off = np.array([x0, y0], float)
    for poly in polys_px:
        q = np.round(((np.asarray(poly) - off + 0.5) * ss - 0.5) * _S).astype(np.int32)
        cv2.fillPoly(mask, [q], 255, lineType=cv2.LINE_8, shift=SHIFT)
    a = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    a = (a.astype(np.float32) / 255.0)[..., None]
    roi = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = np.round(roi * (1 - a) + np.asarray(color, np.float32) * a).astype(np.uint8)


def _circle(img, c_px, r_px, color):
    import cv2

    c = tuple(int(round(v * _S)) for v in c_px)
    cv2.circle(img, c, int(round(r_px * _S)), color, -1, lineType=cv2.LINE_AA, shift=SHIFT)


def _chaikin(p: np.ndarray, it: int = 2) -> np.ndarray:
    """Corner cutting of a closed polygon (smooth outline)."""
    for _ in range(it):
        q = np.roll(p, -1, axis=0)
        p = np.stack([0.75 * p + 0.25 * q, 0.25 * p + 0.75 * q], axis=1).reshape(-1, 2)
    return p


def _limb(a, b, radii, n_arc=9):
    """Outline (metres) of a tapered limb a->b with radii at 0, 0.5, 1 along it."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    L = float(np.hypot(*d)) + 1e-9
    u = d / L
    nrm = np.array([-u[1], u[0]])
    fr = np.array([0.0, 0.35, 1.0])
    r = np.asarray(radii, float)
    left = [a + f * d + nrm * ri for f, ri in zip(fr, r)]
    right = [a + f * d - nrm * ri for f, ri in zip(fr, r)]
    ang_b = np.linspace(-np.pi / 2, np.pi / 2, n_arc)
    cap_b = [b + r[-1] * (np.cos(t) * u + np.sin(t) * nrm) for t in ang_b[::-1]]
    cap_a = [a + r[0] * (-np.cos(t) * u + np.sin(t) * nrm) for t in ang_b]
    return np.array(left + cap_b[1:-1] + right[::-1] + cap_a[1:-1])


class Renderer:
    """Draws frames of a ``SyntheticRun``."""

    def __init__(self, run: SyntheticRun, style: Optional[Style] = None):
        self.run = run
        self.p = run.params
        self.cam = run.camera
        self.style = style or Style()
        self.k = self.p.height_m / 1.75  # body-width scale
        solid = self.style.solid
        self.solid = bool(getattr(self.cam, "turned", False)) if solid is None else bool(solid)
        self._bg = self._background()

    # ------------------------------------------------------------- projection helpers
    def proj(self, xy_m, z_m=0.0):
        return self.cam.project(np.asarray(xy_m, float), z_m)

    def rpx(self, r_m, z_m=0.0):
        return r_m * self.cam.px_per_m(z_m)

    def part(self, img, poly_m, z_m, color, outline=None, half_width_m: float = 0.0):
        """One body part: its side outline (metres, analysis frame) at depth ``z_m``;
        with ``self.solid`` swept from ``z_m - half_width_m`` to ``z_m + half_width_m``
        (both end faces and every side face of the prism, filled as one union)."""
        if not self.solid or half_width_m <= 0:
            _fill(img, self.proj(poly_m, z_m), color, outline)
            return
        near = self.proj(poly_m, z_m - half_width_m)
        far = self.proj(poly_m, z_m + half_width_m)
        nxt = np.roll(np.arange(len(near)), -1)
        sides = np.stack([near, near[nxt], far[nxt], far], axis=1)
        _fill_union(img, [near, far, *sides], color)
        if outline is not None:
            _fill(img, near, color, outline)

    def limb(self, img, a, b, radii, z_m, color, outline=None, n_arc=9):
        """A tapered limb a->b (``_limb``), solid across ``limb_depth_frac`` x its radius."""
        hw = self.style.limb_depth_frac * float(np.asarray(radii)[1])
        self.part(img, _limb(a, b, radii, n_arc), z_m, color, outline, hw)

    # ------------------------------------------------------------- static background
    def _background(self) -> np.ndarray:
        w, h = self.p.image_size_px
        st = self.style
        t = np.linspace(0, 1, h)[:, None, None]
        img = np.array(st.wall_top) * (1 - t) + np.array(st.wall_bottom) * t
        img = np.broadcast_to(img, (h, w, 3)).copy()
        # floor of the room behind the treadmill
        floor_v = int(self.proj([0.0, -0.02], 3.0)[1])
        img[floor_v:] = st.floor
        img = np.clip(img, 0, 255).astype(np.uint8)
        # a framed poster far behind (static context)
        cx = self.cam.x_m
        poster = np.array([[-1.7, 1.15], [-1.05, 1.15], [-1.05, 1.75], [-1.7, 1.75]])
        poster[:, 0] += cx
        _fill(img, self.proj(poster, 3.0), (120, 140, 150))
        _fill(
            img,
            self.proj(
                poster * [1, 1] + [[0.04, 0.04], [-0.04, 0.04], [-0.04, -0.04], [0.04, -0.04]], 3.0
            ),
            (170, 190, 180),
        )
        if st.room:
            self._room(img, cx)
        return img

    def _room(self, img, cx: float) -> None:
        """Cupboards left of the runner and a door frame to the right, 3 m behind."""
        st = self.style
        dark = _shade(st.wood, 0.55)
        for x0 in (-1.55, -0.95):  # two cupboard doors, floor to 2.2 m
            box = np.array([[x0, 0.0], [x0 + 0.55, 0.0], [x0 + 0.55, 2.2], [x0, 2.2]])
            box[:, 0] += cx
            _fill(img, self.proj(box, 3.0), dark)
            inner = box + [[0.03, 0.03], [-0.03, 0.03], [-0.03, -0.03], [0.03, -0.03]]
            _fill(img, self.proj(inner, 3.0), st.wood)
        for x0 in (0.95, 1.80):  # door jambs, 2.1 m tall, 0.08 m wide
            jamb = np.array([[x0, 0.0], [x0 + 0.08, 0.0], [x0 + 0.08, 2.1], [x0, 2.1]])
            jamb[:, 0] += cx
            _fill(img, self.proj(jamb, 3.0), dark)

    def _treadmill(self, img, t_s: float, back: bool):
        st = self.style
        cx = self.cam.x_m
        x0, x1 = cx - 1.0, cx + 0.95
        zf, zn = 0.32, -0.32
        if back:
            # handrail and console post on the far side (behind the runner)
            _fill(
                img,
                self.proj(
                    [[x1 - 0.05, 0.0], [x1 + 0.02, 0.0], [x1 - 0.12, 1.15], [x1 - 0.19, 1.15]],
                    zf + 0.05,
                ),
                _shade(st.rail, 0.8),
            )
            _fill(
                img,
                self.proj(
                    [[x0 + 0.55, 0.93], [x1 - 0.12, 0.93], [x1 - 0.12, 0.965], [x0 + 0.55, 0.965]],
                    zf + 0.05,
                ),
                _shade(st.rail, 0.85),
            )
            # belt top surface, between its far and near edges
            far = self.proj([[x0, 0.0], [x1, 0.0]], zf)
            near = self.proj([[x1, 0.0], [x0, 0.0]], zn)
            _fill(img, np.vstack([far, near]), st.belt)
            # marks moving backward at belt speed
            sp = 0.45
            off = (-self.p.speed_m_s * t_s) % sp
            for xm in np.arange(x0 + off, x1, sp):
                q = np.vstack(
                    [
                        self.proj([[xm, 0.0], [xm + 0.05, 0.0]], zf),
                        self.proj([[xm + 0.05, 0.0], [xm, 0.0]], zn),
                    ]
                )
                _fill(img, q, st.belt_mark)
        else:
            # near side of the deck (in front of the feet' depth, below the belt)
            side = np.vstack(
                [
                    self.proj([[x0 - 0.05, 0.0], [x1 + 0.1, 0.0]], zn),
                    self.proj([[x1 + 0.1, -0.16], [x0 - 0.05, -0.16]], zn),
                ]
            )
            _fill(img, side, st.deck)
            _fill(
                img,
                self.proj(
                    [
                        [x0 - 0.05, -0.005],
                        [x1 + 0.1, -0.005],
                        [x1 + 0.1, -0.03],
                        [x0 - 0.05, -0.03],
                    ],
                    zn,
                ),
                _shade(st.rail, 0.9),
            )

    # ------------------------------------------------------------- body parts
    def _leg(self, img, P, s, z, shade):
        st, k = self.style, self.k
        skin = _shade(st.skin, shade)
        hip, knee, ankle = P[f"{s}_hip"], P[f"{s}_knee"], P[f"{s}_ankle"]
        self.limb(img, knee, ankle, np.array(st.shank_r) * k, z, skin, 0.8)
        self.limb(img, hip, knee, np.array(st.thigh_r) * k, z, skin, 0.8)
        # sock above the shoe
        sock_top = ankle + 0.14 * (knee - ankle)
        self.limb(
            img, sock_top, ankle, np.array([0.036, 0.035, 0.036]) * k, z, _shade(st.sock, shade)
        )
        # shoe, in the foot frame (x heel->toe, y up, origin = heel bottom)
        lf = self.p.seg("foot")
        sole, toe = P[f"{s}_sole"], P[f"{s}_toe"]
        v = toe - sole
        ang = np.arctan2(v[1], v[0])
        shoe = np.array(
            [
                [-0.014, 0.004],
                [0.3 * lf, -0.004],
                [lf + 0.012, 0.002],
                [lf + 0.01, 0.03],
                [0.8 * lf, 0.052],
                [0.55 * lf, 0.075],
                [0.4 * lf, 0.1],
                [0.05 * lf, 0.105],
                [-0.022, 0.08],
            ]
        ) * [1, k]
        soleband = np.array(
            [
                [-0.012, 0.004],
                [0.3 * lf, -0.004],
                [lf + 0.012, 0.002],
                [lf + 0.01, 0.016],
                [-0.016, 0.018],
            ]
        ) * [1, k]
        w_shoe = sole + rotate(shoe, ang)
        hw = 0.045 * k
        self.part(img, _chaikin(w_shoe, 1), z, _shade(st.shoe, shade), 0.6, hw)
        self.part(img, sole + rotate(soleband, ang), z, _shade(st.sole, shade), None, hw)

    def _shorts_leg(self, img, P, s, z, shade):
        st, k = self.style, self.k
        hip, knee = P[f"{s}_hip"], P[f"{s}_knee"]
        end = hip + 0.38 * (knee - hip)
        r = np.array([st.thigh_r[0] + 0.012, st.thigh_r[0] + 0.006, st.thigh_r[1] + 0.01]) * k
        self.limb(img, hip, end, r, z, _shade(st.shorts, shade), n_arc=5)

    def _arm(self, img, P, s, z, shade):
        st, k = self.style, self.k
        sho, elb, wri = P[f"{s}_shoulder"], P[f"{s}_elbow"], P[f"{s}_wrist"]
        self.limb(img, elb, wri, np.array(st.forearm_r) * k, z, _shade(st.skin, shade), 0.8)
        self.limb(img, sho, elb, np.array(st.upper_arm_r) * k, z, _shade(st.skin, shade), 0.8)
        sleeve_end = sho + 0.45 * (elb - sho)
        self.limb(
            img, sho, sleeve_end, np.array([0.062, 0.055, 0.05]) * k, z, _shade(st.shirt, shade)
        )
        hand = P[f"{s}_wrist"] + 0.55 * (P[f"{s}_index"] - P[f"{s}_wrist"])
        _circle(img, self.proj(hand, z), self.rpx(0.04 * k, z), _shade(st.skin, shade * 0.97))

    def _trunk(self, img, P, lean_deg, tilt_deg, lordosis_m):
        st, k = self.style, self.k
        hip = 0.5 * (P["left_hip"] + P["right_hip"])
        sho = 0.5 * (P["left_shoulder"] + P["right_shoulder"])
        up = sho - hip
        L = float(np.hypot(*up))
        u = up / L
        fwd = np.array([u[1], -u[0]])  # forward, perpendicular to the trunk axis
        tr = -np.radians(tilt_deg)
        asis, psis = P["asis"], P["psis"]

        def tpt(a, off):
            return hip + a * L * u + off * k * fwd

        # lumbar curve: the back sinks in around a ~ 0.2-0.35 by the lordosis depth
        back = [psis + rotate(np.array([-0.015, 0.012]) * k, tr)]
        for a, off in (
            (0.22, -0.085),
            (0.36, -0.09),
            (0.52, -0.105),
            (0.68, -0.115),
            (0.84, -0.105),
            (0.97, -0.075),
        ):
            bump = np.exp(-(((a - 0.28) / 0.12) ** 2))
            back.append(tpt(a, off + lordosis_m * bump / k))
        top = [tpt(1.04, -0.03), tpt(1.05, 0.03)]
        front = [
            tpt(a, off)
            for a, off in ((0.95, 0.085), (0.78, 0.115), (0.6, 0.11), (0.42, 0.095), (0.25, 0.1))
        ]
        front.append(asis + rotate(np.array([0.03, 0.0]) * k, tr))
        poly = _chaikin(np.array(back + top + front), 2)
        self.part(img, poly, 0.0, st.shirt, None, st.trunk_half_width_m * k)
        # shorts body, rigid with the pelvis (pelvis frame: x fwd, y up, origin hip)
        hc = (
            np.array(
                [
                    [0.10, 0.11],
                    [0.085, -0.02],
                    [0.05, -0.12],
                    [-0.04, -0.15],
                    [-0.12, -0.12],
                    [-0.16, -0.04],
                    [-0.15, 0.05],
                    [-0.12, 0.11],
                ]
            )
            * k
        )
        rel_psis = rotate((psis - hip)[None], -tr)[0]
        rel_asis = rotate((asis - hip)[None], -tr)[0]
        hc[0] = rel_asis + np.array([0.035, 0.025]) * k
        hc[-1] = rel_psis + np.array([-0.015, 0.03]) * k
        shorts = hip + rotate(_chaikin(hc, 2), tr)
        self.part(img, shorts, 0.0, st.shorts, None, st.pelvis_half_width_m * k)
        # waistband, parallel to the ASIS-PSIS line
        wb = np.array([hc[-1], hc[0], hc[0] - [0, 0.018 * k], hc[-1] - [0, 0.018 * k]])
        wb_z = -st.pelvis_half_width_m * k if self.solid else 0.0  # on the near face
        _fill(img, self.proj(hip + rotate(wb, tr), wb_z), _shade(st.shorts, 1.6))

    def _head(self, img, P):
        st, k = self.style, self.k
        head, neck = P["head"], P["neck"]
        hr = 0.062 * self.p.height_m
        self.part(
            img,
            _limb(neck, head, np.array([0.052, 0.05, 0.048]) * k),
            0.0,
            _shade(st.skin, 0.93),
            None,
            st.neck_half_width_m * k,
        )
        c = self.proj(head, 0.0)
        r_px = self.rpx(hr, 0.0)
        hup = head - neck
        hup /= np.hypot(*hup)
        fwd = np.array([hup[1], -hup[0]])
        # skull (slightly deeper than tall), jaw towards the front
        ang = np.linspace(0, 2 * np.pi, 40, endpoint=False)
        skull = head + hr * (np.cos(ang)[:, None] * fwd * 0.95 + np.sin(ang)[:, None] * hup)
        jaw = head + hr * np.array([0.55 * fwd - 0.92 * hup, 0.9 * fwd - 0.55 * hup])
        hw = st.head_half_width_m * k
        self.part(img, skull, 0.0, st.skin, None, hw)
        self.part(
            img, np.vstack([head + 0.3 * hr * fwd, jaw, head - 0.2 * hr * fwd]), 0.0, st.skin,
            None, 0.8 * hw,
        )  # fmt: skip
        # hair: back and top of the skull
        a2 = np.linspace(np.radians(65), np.radians(215), 24)
        hair = head + hr * 1.04 * (np.cos(a2)[:, None] * fwd + np.sin(a2)[:, None] * hup)
        hair = np.vstack(
            [hair, head + hr * (-0.55 * fwd + 0.05 * hup), head + hr * (0.1 * fwd + 0.55 * hup)]
        )
        self.part(img, hair, 0.0, st.hair, None, 1.05 * hw)
        ns = self.run.near_side
        # nose: a small triangle proud of the face
        nose = np.array(
            [
                head + hr * (0.88 * fwd + 0.05 * hup),
                P["nose"],
                head + hr * (0.86 * fwd - 0.25 * hup),
            ]
        )
        _fill(img, self.proj(nose, 0.0), _shade(st.skin, 0.95))
        # ear, eye, mouth (near side)
        zn = self.run.depth_m[f"{ns}_ear"]
        _circle(img, self.proj(P[f"{ns}_ear"], zn), 0.2 * r_px, _shade(st.skin, 0.8))
        ze = self.run.depth_m[f"{ns}_eye"]
        _circle(img, self.proj(P[f"{ns}_eye"], ze), max(1.2, 0.09 * r_px), (245, 245, 245))
        _circle(
            img,
            self.proj(P[f"{ns}_eye"] + 0.03 * hr * fwd, ze),
            max(0.8, 0.055 * r_px),
            (30, 25, 25),
        )
        m = P[f"{ns}_mouth"]
        _fill(
            img,
            self.proj(
                np.array(
                    [
                        m - 0.12 * hr * fwd + 0.02 * hr * hup,
                        m + 0.12 * hr * fwd + 0.02 * hr * hup,
                        m + 0.12 * hr * fwd - 0.03 * hr * hup,
                        m - 0.12 * hr * fwd - 0.03 * hr * hup,
                    ]
                ),
                0.0,
            ),
            (150, 80, 75),
        )
        del c

    # ------------------------------------------------------------- a whole frame
    def draw(self, P: dict, lean: float, tilt: float, t_s: float) -> np.ndarray:
        img = self._bg.copy()
        self._treadmill(img, t_s, back=True)
        near = self.run.near_side
        far = "right" if near == "left" else "left"
        d = self.run.depth_m
        sh = self.style.far_shade
        self._arm(img, P, far, d[f"{far}_elbow"], sh)
        self._leg(img, P, far, d[f"{far}_knee"], sh)
        self._shorts_leg(img, P, far, d[f"{far}_knee"], sh)
        self._trunk(img, P, lean, tilt, self.run.lordosis_m)
        self._head(img, P)
        self._leg(img, P, near, d[f"{near}_knee"], 1.0)
        self._shorts_leg(img, P, near, d[f"{near}_knee"], 1.0)
        self._arm(img, P, near, d[f"{near}_elbow"], 1.0)
        self._treadmill(img, t_s, back=False)
        return img

    def frames(self, start: int = 0, stop: Optional[int] = None) -> Iterator[np.ndarray]:
        """Rendered RGB frames, with the params' noise options applied."""
        p, run = self.p, self.run
        stop = run.n_frames if stop is None else stop
        nsub = max(1, int(p.motion_blur_subframes))
        rng = np.random.default_rng(p.seed + 7919)
        idx = np.arange(start, stop)
        offs = (np.arange(nsub) / nsub - 0.5 * (nsub - 1) / nsub) * p.shutter_frac / p.fps
        subs = []
        for o in offs if nsub > 1 else [0.0]:
            t = run.time_s[idx] + o
            pts, sig = run.sample(t)
            subs.append((t, pts, sig))
        for j in range(len(idx)):
            acc = None
            for t, pts, sig in subs:
                P = {k: v[j] for k, v in pts.items()}
                img = self.draw(P, sig["trunk_lean_deg"][j], sig["pelvic_tilt_deg"][j], t[j])
                acc = img.astype(np.float32) if acc is None else acc + img
            img = acc / len(subs) if len(subs) > 1 else acc
            if p.sensor_noise_std > 0:
                img = img + rng.normal(0, p.sensor_noise_std, img.shape).astype(np.float32)
            yield np.clip(img + 0.5 if len(subs) > 1 else img, 0, 255).astype(np.uint8)


def render(
    run: SyntheticRun,
    path,
    *,
    write_truth: bool = True,
    style: Optional[Style] = None,
    progress: bool = False,
) -> Path:
    """Write ``run`` as H.264 MP4 (``gaitlens.io.video.VideoWriter``) plus truth files.

    Truth: ``<stem>.truth.json`` and ``<stem>.truth.csv.gz`` next to the video.
    """
    from ..io.video import VideoWriter
    from .truth import write_truth as _write_truth

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = run.params.image_size_px
    rnd = Renderer(run, style)
    it = rnd.frames()
    if progress:
        from tqdm import tqdm

        it = tqdm(it, total=run.n_frames, desc=path.name, unit="frame")
    with VideoWriter(path, w, h, fps=run.params.fps, crf=run.params.crf, preset="medium") as vw:
        for i, img in enumerate(it):
            vw.write(img, run.time_s[i])
    if write_truth:
        _write_truth(run, path)
    return path


def render_png(run: SyntheticRun, frame: int, path) -> Path:
    """One frame as a PNG (for docs and eyeballing)."""
    import cv2

    img = next(Renderer(run).frames(frame, frame + 1))
    cv2.imwrite(str(path), img[:, :, ::-1])
    return Path(path)


__all__ = ["Renderer", "Style", "render", "render_png", "SIDES"]
