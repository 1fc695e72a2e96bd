"""ESTIMATED sagittal pelvic tilt from a side view, with a per-frame confidence.

Why this is hard (BIOMECHANICS.md section 7): a pose model gives hip joint centres, and
the line through both hip centres is the axis the pelvis tilts about, so tilt cannot be
read from hip keypoints. This module never uses the hip-to-hip line. It uses:

1. **the silhouette around the pelvis** (``silhouette`` features of
   ``gaitlens.pose.silhouette``: distances from the trunk axis to the mask edge at
   levels along the trunk). Anterior tilt drops the front of the pelvis (ASIS) and
   pushes the lower abdomen forward: the front edge at ``ABDOMEN_LEVELS`` (just above
   the hips) minus the front edge at ``CHEST_LEVELS``, in trunk lengths, maps linearly
   to the clip's tilt (line stored in ``gaitlens/data/reference_bands.json``, fitted on
   parametric and Fukuchi-driven renders: leave-one-out error 1.38 deg vs 4.0 deg for
   the prior alone). The back edge gives the clothing and noise checks (lumbar
   concavity, residual of a line fitted over the buttocks, ``CONTOUR_LEVELS``). The
   frame-to-frame motion of these edges did not follow the true within-stride tilt on
   the Fukuchi-driven renders (arms and thighs cross the edges), so the estimate is one
   value per clip and the within-stride range is reported as not measured.
2. **posture relations / population prior**: the mean running tilt of healthy runners
   (Fukuchi et al. 2017 ASIS/PSIS markers, see reference_bands.json) sets the level
   when the silhouette cannot; tilt differs by up to about 20 deg between runners
   (Schache et al. 2000, Br J Sports Med 34:279-283), so the level alone
   gets a low confidence.
3. **the user's calibration** ``config.standing_pelvic_tilt_deg``: the runner's own
   standing tilt (e.g. measured by a clinician); the running level is then that value
   plus the healthy runners' mean running-minus-standing change.

The confidence (0..1 per frame) multiplies: share of edge levels found, edge noise, a
clothing factor (a loose top hides the lumbar concavity: a flat, low-curvature back
contour) and the plausibility of the silhouette level against healthy runners (weight
1 within 3 SD, 0 beyond 5 SD); capped at ``silhouette_max_confidence``. Low weight
pulls the value to the healthy-runner level. Every output is labelled
as an estimate; docs/kinematics.md states the measured error and the limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

#: Back-edge levels (fractions of hip->shoulder distance, + up the trunk) used for the
#: contour angle: from the top of the buttocks to the lower lumbar spine. Levels below
#: -0.10 are avoided: the thigh of the trailing leg joins the contour there.
CONTOUR_LEVELS = (-0.10, -0.05, 0.0, 0.05, 0.10, 0.15, 0.20)
#: Front-edge levels of the lower abdomen (just above the hips, about the ASIS and the
#: waistband) and of the chest; their difference is the abdomen protrusion.
ABDOMEN_LEVELS = (0.15, 0.20, 0.25)
CHEST_LEVELS = (0.55, 0.60)
#: Levels used for the lumbar-concavity (clothing) check.
CONCAVITY_LEVELS = (-0.10, 0.60)

#: Under this median confidence the hip flexion used by the hamstring model stays
#: trunk-referenced (gaitlens.kinematics).
MIN_CONFIDENCE_FOR_HIP = 0.5
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
    abdomen_protrusion: Optional[np.ndarray] = None  # the cue, trunk lengths per frame
    clothing_factor: Optional[float] = None
    dynamic: bool = False  # True if within-stride tilt motion is measured (not yet)


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
    from .kinematics import _point, midpoint, trunk_lean_deg

    hip = midpoint(_point(clean, "left_hip"), _point(clean, "right_hip"))
    sho = midpoint(_point(clean, "left_shoulder"), _point(clean, "right_shoulder"))
    return trunk_lean_deg(hip, sho), np.linalg.norm(sho - hip, axis=1)


def _odd(k: int) -> int:
    k = max(3, int(k))
    return k if k % 2 else k + 1


# --------------------------------------------------------------------------- estimate
def estimate_tilt(clean, config=None) -> PelvicTilt:
    """ESTIMATED pelvic tilt (deg, + anterior) and per-frame confidence (0..1).

    Method ``silhouette_abdomen`` when the track has silhouette features with enough
    valid frames, else ``population_prior`` (constant level, low confidence).
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

    prot = abdomen_protrusion(edges["levels"], edges["front"], trunk_len)
    if not np.isfinite(prot).any() or np.isfinite(prot).mean() < 0.5:
        prior.notes.append("front (abdomen) edge of the silhouette mostly missing")
        return prior
    prot_clip = float(np.nanmedian(prot))
    level_sil = (
        float(c["abdomen_tilt_intercept_deg"]["value"])
        + float(c["abdomen_tilt_gain_deg"]["value"]) * prot_clip
    )

    # confidence factors (clip level: the estimate is one value per clip)
    use = np.isin(np.round(edges["levels"], 2), np.round(CONTOUR_LEVELS + ABDOMEN_LEVELS, 2))
    both = np.concatenate([edges["back"], edges["front"]], axis=1)
    found = np.isfinite(both[:, np.concatenate([use, use])]).mean(axis=1)
    f_found = np.clip((found - 0.5) / 0.5, 0, 1)
    rms_med = float(np.nanmedian(rms))
    good, bad = (float(c[k]["value"]) for k in ("contour_rms_good", "contour_rms_bad"))
    f_noise = float(np.clip((bad - rms_med) / (bad - good), 0.0, 1.0))
    if f_noise < 0.5:
        notes.append(f"silhouette edges are noisy (residual {rms_med:.3f} of trunk length)")
    conc = lumbar_concavity(edges["levels"], edges["back"], trunk_len)
    conc_med = float(np.nanmedian(conc)) if np.isfinite(conc).any() else 0.0
    flat, fitted = (float(c[k]["value"]) for k in ("concavity_flat", "concavity_fitted"))
    f_cloth = float(np.clip((conc_med - flat) / (fitted - flat), 0.0, 1.0))
    if f_cloth < 0.6:
        notes.append(
            f"lower-back contour is flat (concavity {conc_med:.3f} of trunk length; fitted "
            f"clothing on a normal back >= {fitted:.2f}): loose clothing likely hides the "
            "pelvis, so the silhouette is not used for the tilt and the estimate is the "
            "healthy-runner level. Film in tight clothing for a tilt estimate."
        )
    # a silhouette level far outside healthy running (> 5 SD) is not the pelvis: the
    # weight falls from 1 at 3 SD to 0 at 5 SD
    band = c["running_pelvic_tilt_deg"]
    z = abs(level_sil - float(band["value"])) / max(float(band["sd"]), 1.0)
    f_plaus = float(np.clip(2.5 - 0.5 * z, 0.0, 1.0))
    if f_plaus < 1.0:
        notes.append(
            f"silhouette level {level_sil:.1f} deg is far from healthy runners "
            f"({band['value']:.1f} +- {band['sd']:.1f} deg): down-weighted"
        )
    w = float(np.clip(f_cloth * f_noise * valid.mean() * f_plaus, 0.0, 1.0))
    if calibrated:
        tilt_level = level
        notes.append(f"level = standing calibration + healthy running change ({level:.1f} deg)")
    else:
        tilt_level = w * level_sil + (1 - w) * level
    notes.append(
        "method: clip-level tilt from the lower-abdomen protrusion of the segmentation "
        f"silhouette (front edge at {ABDOMEN_LEVELS} minus chest {CHEST_LEVELS}: "
        f"{prot_clip:+.3f} trunk lengths -> {level_sil:.1f} deg, weight {w:.2f} vs the "
        f"healthy-runner level {level:.1f} deg); within-stride tilt motion is NOT measured"
    )
    tilt = np.full(n, tilt_level)
    conf = f_found * w * float(c["silhouette_max_confidence"]["value"])
    if calibrated:
        conf = np.maximum(conf, 2 * PRIOR_ONLY_CONFIDENCE)
    conf = np.where(valid, conf, 0.0)
    return PelvicTilt(
        tilt_deg=tilt,
        confidence=np.clip(conf, 0.0, 1.0),
        method="silhouette_abdomen" + ("+calibration" if calibrated else ""),
        notes=notes,
        contour_angle_deg=theta,
        abdomen_protrusion=prot,
        clothing_factor=f_cloth,
        dynamic=False,
    )
