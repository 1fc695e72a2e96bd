"""ESTIMATED sagittal pelvic tilt from a side view, with a per-frame confidence.

Why this is hard (BIOMECHANICS.md section 7): a pose model gives hip joint centres, and
the line through both hip centres is the axis the pelvis tilts about, so tilt cannot be
read from hip keypoints. This module never uses the hip-to-hip line. It uses:

1. **the silhouette around the pelvis** (``silhouette`` features of
   ``gaitlens.pose.silhouette``: distances from the trunk axis, hip midpoint -> shoulder
   midpoint, to the mask edge at levels along the trunk). Anterior tilt rotates the
   front of the pelvis (ASIS) forward and down, so the lower-abdomen front edge at
   ``ABDOMEN_LEVEL`` (0.20 trunk lengths above the hips, just above the ASIS) moves away
   from the trunk axis. The edges are measured *relative to the trunk axis*, so the cue
   sees the pelvis rotation relative to the trunk (tilt - trunk lean); the clip's
   measured trunk lean is added back (gain 1, geometry; the free fit gives 1.17):

       tilt = lean + intercept + gain x front_edge(0.20) / trunk length

   Without the lean term the previous version (abdomen minus chest, no lean) read a
   runner who holds the pelvis back *and* the trunk upright (the ``pelvic_tilt_suppressed``
   pattern) at about the healthy level: 9.4 deg for a 3.2 deg truth. The line is fitted
   by ``bench/validate_pelvis.py --fit`` on a render set disjoint from the held-out set
   (coefficients and errors in ``ABDOMEN_FIT``, docs/pelvis.md). The back edge gives
   the clothing and noise checks (lumbar concavity, residual of a line fitted over the
   buttocks, ``CONTOUR_LEVELS``). The estimate is one value per clip: the within-stride
   range is NOT measured (``dynamic`` False, ``pelvic_tilt_rom_deg`` NaN). Measured on
   60 fps renders with ASIS/PSIS truth (docs/pelvis.md, ``bench/validate_pelvis.py
   --in-stride``): even averaged over the step cycle, the edge's motion is dominated by
   the error of MediaPipe's hip landmark, which repeats with every step (3-16 deg of
   tilt equivalent), so averaging over strides does not remove it; the estimated
   in-stride ranges do not follow the true ones (held-out r 0.1-0.2, mean error 4.6-5.1
   deg over two runs; a constant 6 deg does better, 1.5 deg). With the renderer's true
   hip and shoulder points the same masks give the range within about 2 deg (curve r
   0.9), so the mask and its 1/120-trunk-length sampling are not the limit.
2. **population prior**: the mean running tilt of healthy runners (Fukuchi et al. 2017
   ASIS/PSIS markers, see reference_bands.json) is the level when the silhouette cannot
   be trusted (loose clothing, noisy or missing edges); tilt differs by up to about
   20 deg between runners (Schache et al. 2000, Br J Sports Med 34:279-283), so the
   level alone gets a low confidence, and a silhouette level is only doubted when it is
   further than that from the healthy mean.
3. **the user's calibration** ``config.standing_pelvic_tilt_deg``: the runner's own
   standing tilt (e.g. measured by a clinician); the running level is then that value
   plus the healthy runners' mean running-minus-standing change.

The confidence (0..1 per frame) multiplies clip factors (clothing: a loose top hides
the lumbar concavity, a flat back contour; edge noise; share of frames with the edges;
plausibility) with frame factors (the abdomen and back edges found in this frame; this
frame's abdomen cue within a few degrees of the clip level, i.e. no arm or thigh
crossing the edge, no jump); capped at ``silhouette_max_confidence``. A low clip weight
pulls the value to the healthy-runner level. Every output is labelled as an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .signals import midpoint, point, trunk_lean_deg

#: Back-edge levels (fractions of hip->shoulder distance, + up the trunk) used for the
#: contour angle: from the top of the buttocks to the lower lumbar spine. Levels below
#: -0.10 are avoided: the thigh of the trailing leg joins the contour there.
CONTOUR_LEVELS = (-0.10, -0.05, 0.0, 0.05, 0.10, 0.15, 0.20)
#: Front-edge level of the lower abdomen (fraction of hip->shoulder distance): just above
#: the ASIS and the waistband. Of all front levels it follows (tilt - lean) most closely
#: on the fit renders (r = 0.98; 0.15: 0.87, 0.25: 0.69; the chest levels carry the arm
#: swing and were dropped: bench/validate_pelvis.py).
ABDOMEN_LEVEL = 0.20
#: Former abdomen/chest levels (``abdomen_protrusion``, kept as a diagnostic).
ABDOMEN_LEVELS = (0.15, 0.20, 0.25)
CHEST_LEVELS = (0.55, 0.60)
#: tilt = lean x lean_gain + intercept + gain x front edge(ABDOMEN_LEVEL)/trunk length;
#: least squares on the ``fit`` renders of bench/validate_pelvis.py (parametric runners,
#: tilt 2-20 deg, trunk lean 3-15 deg, both facings, three body proportions), lean gain
#: fixed at 1 (the edges are measured in the trunk frame).
ABDOMEN_FIT = {
    "intercept_deg": -64.93,
    "gain_deg": 327.5,
    "lean_gain": 1.0,
    "source": "bench/validate_pelvis.py --fit (12 renders, leave-one-out MAE 1.29 deg)",
}
#: Trimmed share on each side for the clip aggregate of the per-frame cue (arms and
#: thighs crossing the edge give outliers; the edge is quantised to 1/120 trunk length).
TRIM = 0.25
#: Per-frame consistency: a frame whose cue is within ``CONSIST_FULL_DEG`` of the clip
#: level keeps full weight, falling to 0 at ``CONSIST_ZERO_DEG`` (the true in-stride
#: tilt swings +-3-4 deg, Fukuchi ASIS/PSIS; one ray step is about 3 deg).
CONSIST_FULL_DEG = 6.0
CONSIST_ZERO_DEG = 15.0
#: Lumbar concavity (fraction of trunk length): at or below ``CONCAVITY_FLAT`` the back
#: is flat (loose top; real clip with a hoodie: 0.029) -> clothing factor 0; from
#: ``CONCAVITY_FITTED`` on -> 1 (renders with fitted clothing: 0.058-0.112, lowest for a
#: short trunk with a flattened lower back, bench/validate_pelvis.py).
CONCAVITY_FLAT = 0.03
CONCAVITY_FITTED = 0.055
#: A silhouette level further than ``PLAUSIBLE_DEG`` from the healthy mean is doubted
#: (between-runner differences reach about 20 deg, Schache et al. 2000); weight 0 at
#: ``IMPLAUSIBLE_DEG``.
PLAUSIBLE_DEG = 20.0
IMPLAUSIBLE_DEG = 30.0
#: Levels used for the lumbar-concavity (clothing) check.
CONCAVITY_LEVELS = (-0.10, 0.60)

#: What a tilt confidence means, used wherever the tilt is shown or judged: below
#: ``TILT_SEEN_CONFIDENCE`` the estimate is mostly the population prior (the pelvis was
#: not seen: the overlay says so, the report greys it out, the tilt fault is not judged);
#: from ``TILT_GOOD_CONFIDENCE`` it is good enough for a firmer verdict and for the
#: pelvis-referenced hip flexion of the hamstring model (gaitlens.kinematics; median over
#: the clip). The estimator's confidence is built from the contour checks above.
TILT_SEEN_CONFIDENCE = 0.3
TILT_GOOD_CONFIDENCE = 0.6
#: Confidence given to a tilt that only comes from the population prior.
PRIOR_ONLY_CONFIDENCE = 0.1


@dataclass
class PelvicTilt:
    """Estimated pelvic tilt (+ anterior, deg) and its per-frame confidence (0..1)."""

    tilt_deg: np.ndarray
    confidence: np.ndarray
    method: str
    notes: list = field(default_factory=list)
    contour_angle_deg: Optional[np.ndarray] = None  # back-contour angle (diagnostic)
    abdomen_protrusion: Optional[np.ndarray] = None  # abdomen - chest edge (diagnostic)
    abdomen_edge: Optional[np.ndarray] = None  # the cue: front edge at 0.20, trunk lengths
    clothing_factor: Optional[float] = None
    silhouette_level_deg: Optional[float] = None  # clip level from the silhouette alone
    silhouette_weight: Optional[float] = None  # its weight against the healthy level
    dynamic: bool = False  # True if within-stride tilt motion is measured (docs/pelvis.md)


def _constants() -> dict:
    from . import reference

    return reference.load_constants()


def standing_tilt_deg(config=None) -> float:
    """The runner's standing tilt: the calibration if given, else the population value."""
    v = getattr(config, "standing_pelvic_tilt_deg", None) if config is not None else None
    if v is not None:
        return float(v)
    return float(_constants()["standing_pelvic_tilt_deg"]["value"])


def population_running_tilt_deg(config=None) -> float:
    """Running tilt level: calibration + mean running-minus-standing change, or the mean."""
    c = _constants()
    v = getattr(config, "standing_pelvic_tilt_deg", None) if config is not None else None
    if v is not None:
        return float(v) + float(c["running_minus_standing_tilt_deg"]["value"])
    return float(c["running_pelvic_tilt_deg"]["value"])


# --------------------------------------------------------------------------- cues
def _back_front_names(names: tuple, facing: str) -> tuple[str, str]:
    back = "neg" if facing == "right" else "pos"
    front = "pos" if back == "neg" else "neg"
    return back, front


def silhouette_edges(clean) -> Optional[dict]:
    """Back and front edge distances (n, L) in px and their levels, or None."""
    sil = getattr(clean, "silhouette", None)
    names = tuple(getattr(clean, "silhouette_names", ()) or ())
    if sil is None or not names:
        return None
    sil = np.asarray(sil, float)
    facing = getattr(clean, "facing", None) or "right"
    back, front = _back_front_names(names, facing)
    lev_b = [float(nm.split("_")[-1]) for nm in names if nm.startswith(f"edge_{back}_")]
    cols_b = [i for i, nm in enumerate(names) if nm.startswith(f"edge_{back}_")]
    cols_f = [i for i, nm in enumerate(names) if nm.startswith(f"edge_{front}_")]
    if not cols_b:
        return None
    return {
        "levels": np.asarray(lev_b),
        "back": sil[:, cols_b],
        "front": sil[:, cols_f] if cols_f else None,
    }


def contour_angle(levels, back_px, trunk_len_px, lean_deg) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame angle (deg from vertical-up, + forward) of the back contour over
    ``CONTOUR_LEVELS`` and the RMS fit residual (fraction of trunk length).

    Along-axis coordinate a = level * trunk length, backward distance b = edge distance;
    least-squares line b = c0 + c1 a per frame (vectorised); going up, the contour leans
    back from the trunk axis by atan(c1), so theta = lean - atan(c1).
    """
    levels = np.asarray(levels, float)
    use = np.isin(np.round(levels, 2), np.round(CONTOUR_LEVELS, 2))
    a = levels[use][None, :] * trunk_len_px[:, None]
    b = back_px[:, use]
    ok = np.isfinite(a) & np.isfinite(b)
    w = ok.astype(float)
    cnt = w.sum(axis=1)
    a0, b0 = np.where(ok, a, 0.0), np.where(ok, b, 0.0)
    ma = a0.sum(1) / np.maximum(cnt, 1)
    mb = b0.sum(1) / np.maximum(cnt, 1)
    da, db = (a0 - ma[:, None]) * w, (b0 - mb[:, None]) * w
    sxx = (da * da).sum(1)
    c1 = np.where(sxx > 0, (da * db).sum(1) / np.where(sxx > 0, sxx, 1), np.nan)
    res = db - c1[:, None] * da
    rms = np.sqrt((res * res).sum(1) / np.maximum(cnt - 2, 1)) / trunk_len_px
    bad = cnt < 4
    theta = lean_deg - np.degrees(np.arctan(c1))
    theta[bad] = np.nan
    rms[bad] = np.nan
    return theta, rms


def abdomen_edge(levels, front_px, trunk_len_px) -> np.ndarray:
    """Per frame: distance from the trunk axis to the front silhouette edge at
    ``ABDOMEN_LEVEL``, as a fraction of trunk length (NaN where not found)."""
    n = len(trunk_len_px)
    if front_px is None:
        return np.full(n, np.nan)
    lev = np.round(np.asarray(levels, float), 2)
    j = np.flatnonzero(lev == round(ABDOMEN_LEVEL, 2))
    if not len(j):
        return np.full(n, np.nan)
    return front_px[:, j[0]] / trunk_len_px


def trimmed_mean(x: np.ndarray, trim: float = TRIM) -> float:
    """Mean of the finite values between the ``trim`` and ``1 - trim`` quantiles."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if not len(x):
        return float("nan")
    lo, hi = np.quantile(x, [trim, 1.0 - trim])
    return float(np.mean(x[(x >= lo) & (x <= hi)]))


def silhouette_level_deg(edge_clip: float, lean_clip_deg: float) -> float:
    """Clip tilt (deg) from the clip's abdomen edge (trunk lengths) and trunk lean (deg)."""
    f = ABDOMEN_FIT
    return float(f["lean_gain"] * lean_clip_deg + f["intercept_deg"] + f["gain_deg"] * edge_clip)


def abdomen_protrusion(levels, front_px, trunk_len_px) -> np.ndarray:
    """Per frame: front-edge distance at ``ABDOMEN_LEVELS`` minus at ``CHEST_LEVELS``, as a
    fraction of trunk length. Anterior tilt drops the front of the pelvis (ASIS) and
    pushes the lower abdomen forward relative to the chest.
    """
    if front_px is None:
        return np.full(len(trunk_len_px), np.nan)
    lev = np.round(np.asarray(levels, float), 2)
    a = np.isin(lev, np.round(ABDOMEN_LEVELS, 2))
    ch = np.isin(lev, np.round(CHEST_LEVELS, 2))
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            d = np.nanmean(front_px[:, a], axis=1) - np.nanmean(front_px[:, ch], axis=1)
    return d / trunk_len_px


def lumbar_concavity(levels, back_px, trunk_len_px) -> np.ndarray:
    """Depth of the lumbar concavity (fraction of trunk length) per frame: the largest
    gap between the straight line joining the back edge at the ``CONCAVITY_LEVELS`` ends
    and the contour in between. Tight clothing on a normal back: a few % (lordosis);
    a loose top hanging from the shoulder blades to the buttocks: about 0.
    """
    levels = np.asarray(levels, float)
    lo, hi = CONCAVITY_LEVELS
    i_lo = int(np.argmin(np.abs(levels - lo)))
    i_hi = int(np.argmin(np.abs(levels - hi)))
    mid = (levels > lo + 1e-9) & (levels < hi - 1e-9)
    f = (levels[mid] - levels[i_lo]) / (levels[i_hi] - levels[i_lo])
    line = back_px[:, [i_lo]] + f[None, :] * (back_px[:, [i_hi]] - back_px[:, [i_lo]])
    gap = line - back_px[:, mid]
    with np.errstate(all="ignore"):
        depth = np.nanmax(np.where(np.isfinite(gap), gap, -np.inf), axis=1)
    depth[~np.isfinite(depth)] = np.nan
    return depth / trunk_len_px


def _trunk(clean):
    hip = midpoint(point(clean, "left_hip"), point(clean, "right_hip"))
    sho = midpoint(point(clean, "left_shoulder"), point(clean, "right_shoulder"))
    return trunk_lean_deg(hip, sho), np.linalg.norm(sho - hip, axis=1)


# --------------------------------------------------------------------------- estimate
def _ramp(x, zero, full):
    """0 at ``zero``, 1 at ``full`` (either order), linear in between."""
    return np.clip((np.asarray(x, float) - zero) / (full - zero), 0.0, 1.0)


def estimate_tilt(clean, config=None) -> PelvicTilt:
    """ESTIMATED pelvic tilt (deg, + anterior) and per-frame confidence (0..1).

    Method ``silhouette_abdomen`` when the track has silhouette features with enough
    valid frames (lower-abdomen edge relative to the trunk axis + the measured trunk
    lean, see the module docstring), else ``population_prior`` (constant level, low
    confidence). One level per clip (``dynamic`` False).
    """
    n = len(clean.time_s)
    c = _constants()
    level = population_running_tilt_deg(config)
    calibrated = getattr(config, "standing_pelvic_tilt_deg", None) is not None if config else False
    notes = ["pelvic tilt is ESTIMATED: hip keypoints cannot show it (BIOMECHANICS.md s.7)"]
    prior = PelvicTilt(
        tilt_deg=np.full(n, level),
        confidence=np.full(n, PRIOR_ONLY_CONFIDENCE * (2.0 if calibrated else 1.0)),
        method="population_prior" + ("+calibration" if calibrated else ""),
        notes=notes
        + [
            "no usable silhouette: tilt set to the "
            + ("calibrated" if calibrated else "healthy runners' mean")
            + f" running level ({level:.1f} deg), no within-stride detail"
        ],
    )
    edges = silhouette_edges(clean)
    if edges is None:
        return prior
    lean, trunk_len = _trunk(clean)
    theta, rms = contour_angle(edges["levels"], edges["back"], trunk_len, lean)
    valid = np.isfinite(theta)
    if valid.mean() < 0.5:
        prior.notes.append(f"silhouette contour found in only {valid.mean():.0%} of frames")
        return prior
    edge = abdomen_edge(edges["levels"], edges["front"], trunk_len)
    has_edge = np.isfinite(edge) & np.isfinite(lean)
    if has_edge.mean() < 0.5:
        prior.notes.append("front (abdomen) edge of the silhouette mostly missing")
        return prior
    edge_clip = trimmed_mean(edge[has_edge])
    lean_clip = float(np.nanmedian(lean[has_edge]))
    level_sil = silhouette_level_deg(edge_clip, lean_clip)

    # ---- clip factors
    rms_med = float(np.nanmedian(rms))
    good, bad = (float(c[k]["value"]) for k in ("contour_rms_good", "contour_rms_bad"))
    f_noise = float(_ramp(rms_med, bad, good))
    if f_noise < 0.5:
        notes.append(f"silhouette edges are noisy (residual {rms_med:.3f} of trunk length)")
    conc = lumbar_concavity(edges["levels"], edges["back"], trunk_len)
    conc_med = float(np.nanmedian(conc)) if np.isfinite(conc).any() else 0.0
    f_cloth = float(_ramp(conc_med, CONCAVITY_FLAT, CONCAVITY_FITTED))
    if f_cloth < 0.6:
        notes.append(
            f"lower-back contour is flat (concavity {conc_med:.3f} of trunk length; fitted "
            f"clothing on a normal back >= {CONCAVITY_FITTED:.3f}): loose clothing likely "
            "hides the pelvis, so the silhouette is not used for the tilt and the estimate "
            "is the healthy-runner level. Film in tight clothing for a tilt estimate."
        )
    band = c["running_pelvic_tilt_deg"]
    dist = abs(level_sil - float(band["value"]))
    f_plaus = float(_ramp(dist, IMPLAUSIBLE_DEG, PLAUSIBLE_DEG))
    if f_plaus < 1.0:
        notes.append(
            f"silhouette level {level_sil:.1f} deg is far from healthy runners "
            f"({band['value']:.1f} deg; runners differ by up to about 20 deg): down-weighted"
        )
    f_frames = float(_ramp(has_edge.mean(), 0.5, 0.8))
    w = float(np.clip(f_cloth * f_noise * f_plaus * f_frames, 0.0, 1.0))
    if calibrated:
        tilt_level = level
        notes.append(f"level = standing calibration + healthy running change ({level:.1f} deg)")
    else:
        tilt_level = w * level_sil + (1 - w) * level
    notes.append(
        "method: clip-level tilt from the lower-abdomen edge of the segmentation silhouette "
        f"(front edge {ABDOMEN_LEVEL:.2f} trunk lengths above the hips: {edge_clip:.3f} "
        f"trunk lengths, trunk lean {lean_clip:.1f} deg -> {level_sil:.1f} deg; weight "
        f"{w:.2f} vs the healthy-runner level {level:.1f} deg); within-stride tilt motion "
        "is NOT measured (the hip landmark's error within the stride is larger than the "
        "tilt swing, docs/pelvis.md)"
    )

    # ---- frame factors: edges found in this frame, cue consistent with the clip level
    use = np.isin(np.round(edges["levels"], 2), np.round(CONTOUR_LEVELS, 2))
    found_back = np.isfinite(edges["back"][:, use]).mean(axis=1)
    f_found = _ramp(found_back, 0.5, 1.0) * has_edge
    dev_deg = np.abs(ABDOMEN_FIT["gain_deg"] * (edge - edge_clip) + (lean - lean_clip))
    f_consist = np.where(has_edge, _ramp(dev_deg, CONSIST_ZERO_DEG, CONSIST_FULL_DEG), 0.0)
    f_consist = np.nan_to_num(f_consist, nan=0.0)
    conf = f_found * f_consist * w * float(c["silhouette_max_confidence"]["value"])
    if calibrated:
        conf = np.maximum(conf, 2 * PRIOR_ONLY_CONFIDENCE)
    conf = np.where(valid | has_edge, conf, 0.0)
    inconsistent = float(np.mean(has_edge & (f_consist < 0.5)))
    if inconsistent > 0.25:
        notes.append(
            f"the abdomen edge jumps away from the clip level in {inconsistent:.0%} of frames "
            "(arms or thighs across it, or loose clothing): those frames get low confidence"
        )
    return PelvicTilt(
        tilt_deg=np.full(n, tilt_level),
        confidence=np.clip(conf, 0.0, 1.0),
        method="silhouette_abdomen" + ("+calibration" if calibrated else ""),
        notes=notes,
        contour_angle_deg=theta,
        abdomen_protrusion=abdomen_protrusion(edges["levels"], edges["front"], trunk_len),
        abdomen_edge=edge,
        clothing_factor=f_cloth,
        silhouette_level_deg=level_sil,
        silhouette_weight=w,
        dynamic=False,
    )
