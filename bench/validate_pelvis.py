"""Held-out validation of the ESTIMATED pelvic tilt (gaitlens.pelvis) on rendered runners.

Renders (gaitlens.synthetic: parametric runners and Fukuchi-driven runners whose pelvis
follows the real ASIS/PSIS markers, Fukuchi et al. 2017) go through MediaPipe with its
segmentation mask (gaitlens.pipeline.run_pose -> gaitlens.pose.silhouette), the
cleaning stage and ``pelvis.estimate_tilt``; the clip-mean estimate is compared with the
renderer's ASIS/PSIS tilt. Two disjoint sets: ``fit`` (used by ``--fit`` to refit the
silhouette regression stored in gaitlens/pelvis.py) and ``test`` (held out: other seeds,
heights, proportions, the graded ``pelvic_tilt_suppressed`` knob at both facings, the
other fault knobs, and Fukuchi-driven trials). Pose tracks are cached under ``--cache``.

``--in-stride`` measures the within-stride tilt range instead (docs/pelvis.md): 60 fps,
6 s renders (more steps per clip), the per-frame silhouette estimate ensemble-averaged over
the step cycle (detected initial contacts), against the renderer's ASIS/PSIS tilt.

Usage: ``.venv/bin/python bench/validate_pelvis.py [--fit] [--in-stride [--heavy]]``
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FUKUCHI = ROOT.parent / "shared" / "data" / "mocap" / "fukuchi2017"
CACHE = Path("/tmp/gaitlens_pelvis_v2")

#: Winter (2009) segment proportions and two variants (long trunk / long legs).
_PROP_TRUNK = {"trunk": 0.305, "thigh": 0.238, "shank": 0.240}
_PROP_LEGS = {"trunk": 0.275, "thigh": 0.255, "shank": 0.256}


def _p(name, facing, seed, height=1.75, prop=None, **kw):
    return {"name": name, "kind": "param", "facing": facing, "seed": seed, "height": height,
            "prop": prop, "kw": kw}  # fmt: skip


#: fit set: tilt levels 2-20 deg set directly (no fault), a few fault knobs, both facings
FIT = [
    _p("f_t2_r", "right", 21, 1.70, pelvic_tilt_mean_deg=2.0),
    _p("f_t5_l", "left", 22, 1.80, pelvic_tilt_mean_deg=5.0),
    _p("f_t8_r", "right", 23, 1.65, _PROP_TRUNK, pelvic_tilt_mean_deg=8.0),
    _p("f_t11_l", "left", 24, 1.75, pelvic_tilt_mean_deg=11.0),
    _p("f_t14_r", "right", 25, 1.85, _PROP_LEGS, pelvic_tilt_mean_deg=14.0),
    _p("f_t17_l", "left", 26, 1.70, pelvic_tilt_mean_deg=17.0),
    _p("f_t20_r", "right", 27, 1.75, pelvic_tilt_mean_deg=20.0),
    _p("f_sup05_l", "left", 28, 1.80, pelvic_tilt_suppressed=0.5),
    _p("f_sup1_r", "right", 29, 1.70, pelvic_tilt_suppressed=1.0),
    _p("f_back08_l", "left", 30, 1.75, pelvis_back_hips_flexed=0.8),
    _p("f_t6back_r", "right", 31, 1.80, pelvic_tilt_mean_deg=6.0, pelvis_back_hips_flexed=0.5),
    _p("f_t16lag_l", "left", 32, 1.65, pelvic_tilt_mean_deg=16.0, pelvis_lag=0.6),
]
#: held-out set: graded suppressed knob x both facings, other knobs, other bodies
TEST = [
    _p(f"t_sup{int(k * 100):03d}_{f[0]}", f, 101 + i + 10 * j, h, prop, pelvic_tilt_suppressed=k)
    for i, k in enumerate((0.0, 0.25, 0.5, 0.75, 1.0))
    for j, (f, h, prop) in enumerate((("left", 1.62, _PROP_LEGS), ("right", 1.88, _PROP_TRUNK)))
] + [
    _p("t_back05_r", "right", 131, 1.70, pelvis_back_hips_flexed=0.5),
    _p("t_back10_l", "left", 132, 1.82, _PROP_TRUNK, pelvis_back_hips_flexed=1.0),
    _p("t_lag08_r", "right", 133, 1.78, _PROP_LEGS, pelvis_lag=0.8),
    _p("t_sup06back06_l", "left", 134, 1.68, pelvic_tilt_suppressed=0.6,
       pelvis_back_hips_flexed=0.6),
]  # fmt: skip


def fukuchi_specs() -> list:
    if not FUKUCHI.is_dir():
        return []
    from gaitlens_validation import fukuchi

    out = []
    for i, p in enumerate(fukuchi.list_trials(FUKUCHI)):
        facing = ("right", "left")[i % 2]
        out.append({"name": f"t_fk_{p.name[:13]}_{facing[0]}", "kind": "fukuchi", "path": p,
                    "facing": facing})  # fmt: skip
    return out


def sample_specs() -> list:
    """The four bundled sample clips (60 fps, 8 s, 480x640; not used in the fit)."""
    return [{"name": f"s_{n}", "kind": "sample", "clip": n, "facing": "?"}
            for n in ("normal", "pelvis_lag", "pelvis_back_hips_flexed", "pelvic_tilt_suppressed")
            if (ROOT / "sample_videos" / f"{n}.mp4").is_file()]  # fmt: skip


def ensure(spec: dict, cache: Path = CACHE, duration_s: float = 4.0, fps: float = 30.0):
    """Render + MediaPipe one clip (cached): returns (PoseTrack, truth tilt per frame)."""
    from gaitlens.io.track import PoseTrack

    cache.mkdir(parents=True, exist_ok=True)
    npz, sig = cache / f"{spec['name']}.npz", cache / f"{spec['name']}.tilt.csv"
    if npz.is_file() and not sig.is_file() and (cache / f"{spec['name']}.truth.csv.gz").is_file():
        tilt = pd.read_csv(cache / f"{spec['name']}.truth.csv.gz")["pelvic_tilt_deg"]
        pd.DataFrame({"pelvic_tilt_deg": tilt}).to_csv(sig, index=False)
    if not npz.is_file():
        from gaitlens import synthetic
        from gaitlens.config import AnalysisConfig
        from gaitlens.pipeline import run_pose

        if spec["kind"] == "sample":
            from gaitlens.synthetic.truth import load_truth

            mp4 = ROOT / "sample_videos" / f"{spec['clip']}.mp4"
            run_pose(mp4, AnalysisConfig(), progress=False).save(npz)
            tilt = load_truth(mp4)[1]["pelvic_tilt_deg"]
            pd.DataFrame({"pelvic_tilt_deg": tilt}).to_csv(sig, index=False)
            return PoseTrack.load(npz), tilt.to_numpy()
        if spec["kind"] == "fukuchi":
            from gaitlens_validation.mocap_driven import mocap_run

            run = mocap_run(spec["path"], start_s=spec.get("start_s", 8.0),
                            duration_s=duration_s, fps=fps,
                            facing=spec["facing"], sensor_noise_std=1.5)  # fmt: skip
        else:
            from gaitlens.synthetic.model import WINTER, RunnerParams

            prop = dict(WINTER)
            prop.update(spec["prop"] or {})
            p = RunnerParams(fps=fps, duration_s=duration_s, image_size_px=(480, 640),
                             seed=spec["seed"], facing=spec["facing"], height_m=spec["height"],
                             proportions=prop, sensor_noise_std=1.5, **spec["kw"])  # fmt: skip
            run = synthetic.simulate(p)
        mp4 = cache / f"{spec['name']}.mp4"
        synthetic.render(run, mp4)
        run_pose(mp4, AnalysisConfig(), progress=False).save(npz)
        pd.DataFrame({"pelvic_tilt_deg": run.signals["pelvic_tilt_deg"]}).to_csv(sig, index=False)
    return PoseTrack.load(npz), pd.read_csv(sig)["pelvic_tilt_deg"].to_numpy()


def render_all(which=("fit", "test")) -> None:
    specs = (FIT if "fit" in which else []) + (TEST + fukuchi_specs() if "test" in which else [])
    for s in specs:
        ensure(s)
        print("ok", s["name"], flush=True)


_SHORT = {"pelvic_tilt_mean_deg": "tilt", "pelvic_tilt_suppressed": "suppressed",
          "pelvis_back_hips_flexed": "back+hips", "pelvis_lag": "lag"}  # fmt: skip


def _body(s: dict) -> str:
    if s["kind"] == "fukuchi":
        return "subject's markers"
    if s["kind"] == "sample":
        return "sample clip, 60 fps, 8 s"
    prop = {None: "Winter", id(_PROP_TRUNK): "long trunk", id(_PROP_LEGS): "long legs"}
    return f"{s['height']:.2f} m, {prop[id(s['prop']) if s['prop'] else None]}, seed {s['seed']}"


def markdown(df: pd.DataFrame) -> str:
    """GitHub table (no tabulate dependency)."""
    fmt = [lambda v: f"{v:.2f}" if isinstance(v, float) else str(v)] * len(df.columns)
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(f(v) for f, v in zip(fmt, row)) + " |")
    return "\n".join(lines)


def evaluate(specs) -> pd.DataFrame:
    """Clip-level truth vs estimate (and the cue) for cached/rendered clips."""
    from gaitlens import cleaning, pelvis
    from gaitlens.config import AnalysisConfig

    rows = []
    for s in specs:
        track, truth = ensure(s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            c = cleaning.clean(track, AnalysisConfig())
            est = pelvis.estimate_tilt(c, AnalysisConfig())
            lean, _ = pelvis._trunk(c)
        ok = np.isfinite(est.abdomen_edge) if est.abdomen_edge is not None else None
        rows.append({
            "clip": s["name"], "facing": c.facing, "body": _body(s),
            "knobs": ", ".join(f"{_SHORT[k]} {v:g}" for k, v in s.get("kw", {}).items())
            or {"fukuchi": "Fukuchi ASIS/PSIS", "sample": s.get("clip", "")}.get(s["kind"], "-"),
            "truth_deg": float(np.mean(truth)), "est_deg": float(np.mean(est.tilt_deg)),
            "lean_deg": float(np.nanmedian(lean[ok])) if ok is not None else np.nan,
            "edge": pelvis.trimmed_mean(est.abdomen_edge) if ok is not None else np.nan,
            "conf_mean": float(np.mean(est.confidence)),
            "frames_conf_ge_0.3": float(np.mean(est.confidence >= 0.3)),
            "method": est.method,
            "sil_level_deg": est.silhouette_level_deg, "weight": est.silhouette_weight,
        })  # fmt: skip
    df = pd.DataFrame(rows)
    df["error_deg"] = df["est_deg"] - df["truth_deg"]
    return df


def fit(df: pd.DataFrame) -> dict:
    """Least squares (tilt - lean) = intercept + gain x edge on the fit set, with LOO."""
    x, y = df["edge"].to_numpy(), (df["truth_deg"] - df["lean_deg"]).to_numpy()
    X = np.c_[np.ones(len(x)), x]
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    loo = []
    for i in range(len(y)):
        m = np.arange(len(y)) != i
        bi = np.linalg.lstsq(X[m], y[m], rcond=None)[0]
        loo.append(X[i] @ bi - y[i])
    free = np.linalg.lstsq(np.c_[X, df["lean_deg"]], df["truth_deg"], rcond=None)[0]
    return {"intercept_deg": round(float(b[0]), 2), "gain_deg": round(float(b[1]), 1),
            "loo_mae_deg": float(np.mean(np.abs(loo))), "n": len(y),
            "free_lean_gain": float(free[2])}  # fmt: skip


# --------------------------------------------------------------------------- in-stride
#: in-stride study (``--in-stride``): 60 fps, 6 s clips, cached apart from the clip-level set
INSTRIDE_CACHE = Path("/tmp/gl_pelvis_v3/clips")
INSTRIDE_FPS, INSTRIDE_DURATION_S = 60.0, 6.0
#: fit set of the in-stride gain (parametric runners, in-stride range 2.4-10 deg)
INSTRIDE_FIT = [
    _p("F1_r", "right", 201, 1.75, pelvic_tilt_mean_deg=10.0),
    _p("F2_l", "left", 202, 1.70, _PROP_TRUNK, pelvic_tilt_mean_deg=14.0,
       pelvic_tilt_range_deg=9.0),
    _p("F3_r", "right", 203, 1.82, _PROP_LEGS, pelvic_tilt_suppressed=1.0),
    _p("F4_l", "left", 204, 1.66, pelvic_tilt_mean_deg=6.0, pelvic_tilt_range_deg=4.0),
    _p("F5_r", "right", 205, 1.78, _PROP_TRUNK, pelvic_tilt_mean_deg=16.0,
       pelvic_tilt_range_deg=10.0, pelvis_lag=0.5),
    _p("F6_l", "left", 206, 1.74, _PROP_LEGS, pelvic_tilt_suppressed=0.5),
]  # fmt: skip
#: held out: other parametric runners + Fukuchi-driven runs (real ASIS/PSIS tilt)
INSTRIDE_TEST = [
    _p("T1_l", "left", 301, 1.64, _PROP_LEGS, pelvic_tilt_mean_deg=11.0),
    _p("T2_r", "right", 302, 1.86, _PROP_TRUNK, pelvic_tilt_mean_deg=8.0,
       pelvic_tilt_range_deg=5.0),
    _p("T3_l", "left", 303, 1.72, pelvic_tilt_suppressed=0.75),
    _p("T4_r", "right", 304, 1.69, _PROP_LEGS, pelvic_tilt_mean_deg=13.0,
       pelvic_tilt_range_deg=8.5, pelvis_back_hips_flexed=0.6),
    _p("T5_l", "left", 305, 1.80, _PROP_TRUNK, pelvic_tilt_mean_deg=18.0,
       pelvic_tilt_range_deg=6.0),
    _p("T6_r", "right", 306, 1.76, pelvic_tilt_suppressed=1.0, pelvis_lag=0.6),
]  # fmt: skip
#: front-edge levels tried as the per-frame cue (trunk lengths above the hips)
INSTRIDE_LEVELS = (0.10, 0.15, 0.20)
N_PHASE_BINS = 20
#: harmonics of the step cycle kept in the smoothed ensemble curve (chosen a priori: the
#: in-stride tilt is biphasic, about one cycle per step, Fukuchi ASIS/PSIS)
N_HARMONICS = 3


def instride_fukuchi_specs() -> list:
    """Each Fukuchi trial twice: facing right from 6 s, facing left from 14 s."""
    if not FUKUCHI.is_dir():
        return []
    from gaitlens_validation import fukuchi

    return [{"name": f"K_{p.name[:13]}_{f[0]}{int(st)}", "kind": "fukuchi", "path": p,
             "facing": f, "start_s": st}
            for p in sorted(fukuchi.list_trials(FUKUCHI))
            for f, st in (("right", 6.0), ("left", 14.0))]  # fmt: skip


def step_phase(t: np.ndarray, ic_s: np.ndarray) -> np.ndarray:
    """Phase 0..1 of each sample in its step (initial contact of either foot to the next);
    NaN outside the first/last contact. Vectorised (searchsorted)."""
    ic = np.sort(np.asarray(ic_s, float))
    ph = np.full(len(t), np.nan)
    if len(ic) < 2:
        return ph
    k = np.searchsorted(ic, t, side="right") - 1
    ok = (k >= 0) & (k < len(ic) - 1)
    ph[ok] = (t[ok] - ic[k[ok]]) / (ic[k[ok] + 1] - ic[k[ok]])
    return ph


def ensemble_curve(phase: np.ndarray, x: np.ndarray, n_bins: int = N_PHASE_BINS) -> np.ndarray:
    """Median of ``x`` in each of ``n_bins`` phase bins (the ensemble-average curve)."""
    ok = np.isfinite(phase) & np.isfinite(x)
    b = np.minimum((phase[ok] * n_bins).astype(int), n_bins - 1)
    xs = x[ok]
    return np.array(
        [np.median(xs[b == k]) if np.any(b == k) else np.nan for k in range(n_bins)]
    )  # fmt: skip  (bins, not frames)


def smooth_curve(curve: np.ndarray, harmonics: int = N_HARMONICS) -> np.ndarray:
    """Least-squares Fourier series (``harmonics`` harmonics of the step cycle) through the
    finite bins of an ensemble curve, evaluated at the bin centres: the range of raw bin
    medians is biased up by noise and broken by a single bad bin."""
    c = np.asarray(curve, float)
    ph = (np.arange(len(c)) + 0.5) / len(c)
    cols = [np.ones_like(ph)]
    for k in range(1, harmonics + 1):
        cols += [np.cos(2 * np.pi * k * ph), np.sin(2 * np.pi * k * ph)]
    X = np.stack(cols, axis=1)
    ok = np.isfinite(c)
    if ok.sum() < X.shape[1]:
        return np.full_like(c, np.nan)
    return X @ np.linalg.lstsq(X[ok], c[ok], rcond=None)[0]


def _stride_ranges(t, x, events) -> np.ndarray:
    """5-95 % range of ``x`` within each stride [IC, next IC of the same foot), as
    gaitlens.strides.metrics computes ``pelvic_tilt_rom_deg``."""
    out = []
    for side in ("left", "right"):
        ic = np.sort(np.asarray(events.ic_s.get(side, []), float))
        for a, b in zip(ic[:-1], ic[1:]):
            w = x[(t >= a) & (t < b)]
            w = w[np.isfinite(w)]
            if len(w) >= 3:
                out.append(np.percentile(w, 95) - np.percentile(w, 5))
    return np.asarray(out)


#: Delay of MediaPipe's hip landmarks behind the true hip (s): One Euro smoothing of the
#: landmarks; 38 ms measured by the kinematics helper on other renders
#: (bench/validate_kinematics.py hip-delay). Used here only as a diagnostic correction.
HIP_DELAY_S = 0.038
_HIPS_SHOULDERS = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")


def _dump_masks(spec: dict, cache: Path) -> None:
    """Re-run MediaPipe on a cached in-stride clip and keep its segmentation masks (uint8)
    for the true-keypoint diagnostic (about 4 MB per 6 s clip)."""
    from gaitlens.config import AnalysisConfig
    from gaitlens.pipeline import run_pose
    from gaitlens.pose import silhouette

    masks, xys, scales = [], [], []
    orig = silhouette.extract

    def hook(mask, xy, scale=1.0):
        masks.append(None if mask is None else np.round(np.asarray(mask) * 255).astype(np.uint8))
        xys.append(np.array(xy))
        scales.append(scale)
        return orig(mask, xy, scale)

    silhouette.extract = hook
    try:
        run_pose(cache / f"{spec['name']}.mp4", AnalysisConfig(), progress=False)
    finally:
        silhouette.extract = orig
    shape = next(m.shape for m in masks if m is not None)
    stack = np.stack([m if m is not None else np.zeros(shape, np.uint8) for m in masks])
    np.savez_compressed(cache / f"{spec['name']}.masks.npz", mask=stack, xy=np.array(xys),
                        scale=np.array(scales))  # fmt: skip


def _diag_pose(
    spec: dict, cache: Path, suffix: str = "ns", model_complexity: int = 1, smooth: bool = False
) -> dict:
    """Diagnostic pose pass outside the pipeline: landmarks (px) and silhouette features of
    the production extractor, cached as ``<clip>.<suffix>.npz``. ``ns``: model complexity 1
    with MediaPipe's landmark smoothing OFF (``smooth_landmarks`` False: no One Euro lag,
    more jitter; the pipeline keeps it on). ``hv``: the heavy model (complexity 2, smoothing
    on as in the pipeline; needs ``gaitlens install-model``, see docs/pelvis.md)."""
    from gaitlens.io import video
    from gaitlens.pose import silhouette
    from gaitlens.pose.mediapipe import quiet_native_stderr

    f = cache / f"{spec['name']}.{suffix}.npz"
    if not f.is_file():
        import mediapipe as mp

        xys, feats = [], []
        with quiet_native_stderr():
            pose = mp.solutions.pose.Pose(static_image_mode=False,
                                          model_complexity=model_complexity,
                                          smooth_landmarks=smooth, enable_segmentation=True,
                                          smooth_segmentation=True)  # fmt: skip
            try:
                for fr in video.read_frames(cache / f"{spec['name']}.mp4"):  # frames
                    h, w = fr.image.shape[:2]
                    res = pose.process(fr.image)
                    xy = np.full((33, 2), np.nan)
                    mask = None
                    if res.pose_landmarks:
                        xy[:] = [(lm.x * w, lm.y * h) for lm in res.pose_landmarks.landmark]
                        mask = res.segmentation_mask
                    xys.append(xy)
                    feats.append(silhouette.extract(mask, xy, 1.0))
            finally:
                pose.close()
        np.savez_compressed(f, xy=np.array(xys), silhouette=np.array(feats))
    z = np.load(f)
    if "silhouette" not in z.files:  # masks-only dump of an earlier run
        feats = [silhouette.extract(m.astype(np.float32) / 255.0, p, 1.0)
                 for m, p in zip(z["mask"], z["xy"])]  # fmt: skip
        return {"xy": z["xy"], "silhouette": np.array(feats)}
    return {"xy": z["xy"], "silhouette": z["silhouette"]}


def _mask_edges(spec: dict, cache: Path, truth_df: pd.DataFrame) -> dict:
    """Silhouette features recomputed from the clip's MediaPipe masks: ``subpx`` (sub-pixel
    edges, MediaPipe landmarks), ``truekp`` (the production extractor from the renderer's
    TRUE hip and shoulder points: the cue without keypoint error) and ``truekp_subpx``."""
    from gaitlens.pose import silhouette
    from gaitlens.pose.skeleton import INDEX

    f = cache / f"{spec['name']}.masks.npz"
    if not f.is_file():
        _dump_masks(spec, cache)
    z = np.load(f)
    xy = z["xy"].copy()
    n = min(len(xy), len(truth_df))
    for nm in _HIPS_SHOULDERS:
        xy[:n, INDEX[nm]] = truth_df[[f"{nm}_x_px", f"{nm}_y_px"]].to_numpy()[:n]
    out = {"subpx": [], "truekp": [], "truekp_subpx": []}
    for m, p_mp, p_true, s in zip(z["mask"], z["xy"], xy, z["scale"]):  # frames (diagnostic)
        m = m.astype(np.float32) / 255.0
        out["subpx"].append(subpixel_extract(m, p_mp, s))
        out["truekp"].append(silhouette.extract(m, p_true, s))
        out["truekp_subpx"].append(subpixel_extract(m, p_true, s))
    return {k: np.array(v) for k, v in out.items()}


def subpixel_extract(mask: np.ndarray, xy_px: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """``gaitlens.pose.silhouette.extract`` with sub-pixel edges: the mask is sampled
    bilinearly along each ray and the edge is the linear interpolation of the 0.5 crossing
    between the last inside and the first outside step (instead of the first outside step,
    which quantises the edge to 1/120 trunk length). Same features and NaN rules."""
    from gaitlens.pose import silhouette as S

    out = np.full(len(S.FEATURE_NAMES), np.nan)
    geo = S.ray_geometry(xy_px, scale) if mask is not None else None
    if geo is None:
        return out
    hip, n, steps, centres = geo
    h, w = mask.shape[:2]
    hy, hx = np.clip(int(round(hip[1])), 0, h - 1), np.clip(int(round(hip[0])), 0, w - 1)
    if not mask[hy, hx] > 0.5:
        return out
    rows = np.arange(len(S.LEVELS_TRUNK))
    for j, sign in enumerate((1.0, -1.0)):
        pts = centres[:, None, :] + sign * steps[None, :, None] * n[None, None, :]
        x = np.clip(pts[..., 0], 0, w - 1.001)
        y = np.clip(pts[..., 1], 0, h - 1.001)
        x0, y0 = x.astype(int), y.astype(int)
        fx, fy = x - x0, y - y0
        v = (mask[y0, x0] * (1 - fx) * (1 - fy) + mask[y0, x0 + 1] * fx * (1 - fy)
             + mask[y0 + 1, x0] * (1 - fx) * fy + mask[y0 + 1, x0 + 1] * fx * fy)  # fmt: skip
        inside = v > 0.5
        inside[:, 0] = True
        first_out = np.where((~inside).any(axis=1), (~inside).argmax(axis=1), -1)
        k = np.maximum(first_out, 1)
        v0, v1 = v[rows, k - 1], v[rows, k]
        frac = np.clip((v0 - 0.5) / np.maximum(v0 - v1, 1e-6), 0.0, 1.0)
        d = np.where(first_out > 0, steps[k - 1] + frac * (steps[k] - steps[k - 1]), np.nan)
        out[j * len(rows) : (j + 1) * len(rows)] = d / scale
    return out


#: contour-direction bands (trunk lengths above the hip landmark), picked on the fit set
CONTOUR_BANDS = {"back": (-0.15, 0.05), "front": (-0.05, 0.15)}


def contour_direction_deg(mask: np.ndarray, hip_px: np.ndarray, trunk_px: float, fwd: float,
                          side: str) -> float:  # fmt: skip
    """Direction of the silhouette's back or front contour in a band of image rows around
    the hip (deg, + = the contour's top ahead of its bottom): a translation-free cue (the
    hip landmark only places the band), tried because an edge *distance* from the trunk
    axis carries the hip landmark's sideways error. Per row the edges of the mask run
    through the hip column; a line x(y) is fitted, refitted once without > 2 px residuals."""
    lo, hi = CONTOUR_BANDS[side]
    ys = np.arange(int(hip_px[1] - hi * trunk_px), int(hip_px[1] - lo * trunk_px) + 1)
    ys = ys[(ys >= 0) & (ys < mask.shape[0])]
    c = int(round(hip_px[0]))
    if len(ys) < 5 or not 0 <= c < mask.shape[1]:
        return float("nan")
    rows = mask[ys] > 127
    inside = rows[:, c]
    out_r, out_l = ~rows[:, c:], ~rows[:, c::-1]
    right = np.where(out_r.any(axis=1), c + np.argmax(out_r, axis=1) - 0.5, np.nan)
    left = np.where(out_l.any(axis=1), c - np.argmax(out_l, axis=1) + 0.5, np.nan)
    x = right if (fwd > 0) == (side == "front") else left
    ok = inside & np.isfinite(x)
    if ok.sum() < 5:
        return float("nan")
    yy, xx = ys[ok].astype(float), x[ok]
    p = np.polyfit(yy, xx, 1)
    keep = np.abs(xx - np.polyval(p, yy)) < 2.0
    if keep.sum() >= 5:
        p = np.polyfit(yy[keep], xx[keep], 1)
    return float(-fwd * np.degrees(np.arctan(p[0])))


def _image_lean_deg(hip: np.ndarray, sho: np.ndarray, fwd: float) -> np.ndarray:
    """Trunk lean (deg from vertical-up, + forward) from image-pixel points (y down);
    ``fwd`` +1 for a runner facing image-right, -1 facing left."""
    d = np.asarray(sho, float) - np.asarray(hip, float)
    return np.degrees(np.arctan2(fwd * d[:, 0], -d[:, 1]))


def _front_col(names: tuple, facing: str, level: float) -> int:
    front = "pos" if facing == "right" else "neg"
    return list(names).index(f"edge_{front}_{level:+.2f}")


def instride_one(spec: dict, diagnose: bool = True) -> dict:
    """Per-clip in-stride quantities: truth and estimated curves and ranges."""
    from gaitlens import cleaning, events, pelvis
    from gaitlens.config import AnalysisConfig
    from gaitlens.pose.skeleton import INDEX

    track, truth = ensure(spec, INSTRIDE_CACHE, INSTRIDE_DURATION_S, INSTRIDE_FPS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cfg = AnalysisConfig()
        c = cleaning.clean(track, cfg)
        ev = events.detect(c, cfg)
        est = pelvis.estimate_tilt(c, cfg)
        lean, trunk_len = pelvis._trunk(c)
    t = np.asarray(c.time_s, float)
    n = len(t)
    truth = np.asarray(truth, float)[:n]
    ic = np.r_[ev.ic_s.get("left", []), ev.ic_s.get("right", [])]
    ph = step_phase(t, ic)
    ct = ensemble_curve(ph, truth)
    out = {"clip": spec["name"], "facing": c.facing, "steps": max(len(ic) - 1, 0),
           "conf_mean": float(np.mean(est.confidence)), "truth_curve": ct - np.nanmean(ct),
           "level_truth_deg": float(np.mean(truth)), "level_est_deg": float(np.mean(est.tilt_deg)),
           "truth_rom_deg": float(np.nanmedian(_stride_ranges(t, truth, ev)))}  # fmt: skip
    # raw image geometry of the extraction (silhouette features are measured from the raw
    # per-frame hip midpoint along the normal of the raw trunk axis)
    xy = np.asarray(track.xy_px, float)[:n]
    hip = 0.5 * (xy[:, INDEX["left_hip"]] + xy[:, INDEX["right_hip"]])
    sho = 0.5 * (xy[:, INDEX["left_shoulder"]] + xy[:, INDEX["right_shoulder"]])
    u = (sho - hip) / np.linalg.norm(sho - hip, axis=1)[:, None]
    nrm = np.c_[-u[:, 1], u[:, 0]]
    nrm = np.where(nrm[:, :1] < 0, -nrm, nrm)  # image-right, as gaitlens.pose.silhouette
    fwd = 1.0 if c.facing == "right" else -1.0
    ok = np.isfinite(hip).all(axis=1)
    adv = np.c_[np.interp(t + HIP_DELAY_S, t[ok], hip[ok, 0]),
                np.interp(t + HIP_DELAY_S, t[ok], hip[ok, 1])]  # fmt: skip
    hip_shift_px = fwd * ((adv - hip) * nrm).sum(axis=1)  # true hip ahead of the landmark
    f = pelvis.ABDOMEN_FIT
    sil = np.asarray(track.silhouette, float)[:n]
    truth_df = None
    tf = INSTRIDE_CACHE / f"{spec['name']}.truth.csv.gz"
    if diagnose and tf.is_file():
        truth_df = pd.read_csv(tf)
        sil_masks = {k: v[:n] for k, v in _mask_edges(spec, INSTRIDE_CACHE, truth_df).items()}
        th = (
            0.5
            * (
                truth_df[["left_hip_x_px", "left_hip_y_px"]].to_numpy()
                + truth_df[["right_hip_x_px", "right_hip_y_px"]].to_numpy()
            )[:n]
        )
        ts = (
            0.5
            * (
                truth_df[["left_shoulder_x_px", "left_shoulder_y_px"]].to_numpy()
                + truth_df[["right_shoulder_x_px", "right_shoulder_y_px"]].to_numpy()
            )[:n]
        )
        len_true = np.linalg.norm(ts - th, axis=1)
        lean_true_axis = _image_lean_deg(th, ts, fwd)
        err = fwd * ((hip - th) * nrm).sum(axis=1) / len_true  # landmark ahead of true hip
        out["hip_error_curve_rom_deg"] = float(np.ptp(ensemble_curve(ph, f["gain_deg"] * err)))
        ns = _diag_pose(spec, INSTRIDE_CACHE, "ns", 1, smooth=False)
        xy_ns = ns["xy"][:n]
        hip_ns = 0.5 * (xy_ns[:, INDEX["left_hip"]] + xy_ns[:, INDEX["right_hip"]])
        sho_ns = 0.5 * (xy_ns[:, INDEX["left_shoulder"]] + xy_ns[:, INDEX["right_shoulder"]])
        len_ns = np.linalg.norm(sho_ns - hip_ns, axis=1)
        lean_ns = _image_lean_deg(hip_ns, sho_ns, fwd)
        err_ns = fwd * ((hip_ns - th) * nrm).sum(axis=1) / len_ns
        out["hip_error_ns_curve_rom_deg"] = float(
            np.ptp(ensemble_curve(ph, f["gain_deg"] * err_ns))
        )
        heavy = {}
        for sfx, smooth in (("hv", True), ("hvns", False)):
            if not (INSTRIDE_CACHE / f"{spec['name']}.{sfx}.npz").is_file():
                continue
            d = _diag_pose(spec, INSTRIDE_CACHE, sfx, 2, smooth=smooth)
            xy_h = d["xy"][:n]
            hip_h = 0.5 * (xy_h[:, INDEX["left_hip"]] + xy_h[:, INDEX["right_hip"]])
            sho_h = 0.5 * (xy_h[:, INDEX["left_shoulder"]] + xy_h[:, INDEX["right_shoulder"]])
            len_h = np.linalg.norm(sho_h - hip_h, axis=1)
            err_h = fwd * ((hip_h - th) * nrm).sum(axis=1) / len_h
            out[f"hip_error_{sfx}_curve_rom_deg"] = float(
                np.ptp(ensemble_curve(ph, f["gain_deg"] * err_h))
            )
            okh = np.isfinite(hip_h).all(axis=1)
            adv_h = np.c_[np.interp(t + HIP_DELAY_S, t[okh], hip_h[okh, 0]),
                          np.interp(t + HIP_DELAY_S, t[okh], hip_h[okh, 1])]  # fmt: skip
            # delay of the hip landmark behind the true hip (forward coordinate)
            lags = np.arange(-10, 11)
            xt, xh = fwd * th[:, 0], fwd * hip_h[:, 0]
            okd = np.isfinite(xt) & np.isfinite(xh)
            cc = [np.corrcoef(np.roll(xt[okd], k)[15:-15], xh[okd][15:-15])[0, 1] for k in lags]
            out[f"{sfx}_delay_ms"] = float(lags[int(np.argmax(cc))] * 1000.0 / INSTRIDE_FPS)
            heavy[sfx] = {"sil": d["silhouette"][:n], "len": len_h,
                          "lean": _image_lean_deg(hip_h, sho_h, fwd),
                          "shift": fwd * ((adv_h - hip_h) * nrm).sum(axis=1)}  # fmt: skip
    if truth_df is not None:
        z = np.load(INSTRIDE_CACHE / f"{spec['name']}.masks.npz")
        lv, trunk_px = pelvis_level(), float(np.nanmedian(trunk_len))
        for side in CONTOUR_BANDS:
            d = np.array([contour_direction_deg(m, h, trunk_px, fwd, side)
                          if np.isfinite(h).all() else np.nan
                          for m, h in zip(z["mask"][:n], hip)])  # fmt: skip
            ce = ensemble_curve(ph, d)
            out[f"curve_{side}dir_{lv:.2f}"] = ce - np.nanmean(ce)
    for level in INSTRIDE_LEVELS:
        j = _front_col(track.silhouette_names, c.facing, level)
        edge = sil[:, j]
        variants = {
            "": edge / trunk_len,
            "_delay": (edge - hip_shift_px) / trunk_len,
        }
        for tag, e in variants.items():
            per_frame = lean + f["intercept_deg"] + f["gain_deg"] * e
            ce = ensemble_curve(ph, per_frame)
            out[f"curve{tag}_{level:.2f}"] = ce - np.nanmean(ce)
            rom = _stride_ranges(t, per_frame, ev)
            out[f"frame_rom{tag}_{level:.2f}"] = float(np.nanmedian(rom))
        if truth_df is not None:
            e = ns["silhouette"][:n, j] / len_ns
            ce = ensemble_curve(ph, lean_ns + f["gain_deg"] * e)
            out[f"curve_ns_{level:.2f}"] = ce - np.nanmean(ce)
            for sfx, hd in heavy.items():
                e = hd["sil"][:, j] / hd["len"]
                ce = ensemble_curve(ph, hd["lean"] + f["gain_deg"] * e)
                out[f"curve_{sfx}_{level:.2f}"] = ce - np.nanmean(ce)
                if sfx == "hv":
                    e = (hd["sil"][:, j] - hd["shift"]) / hd["len"]
                    ce = ensemble_curve(ph, hd["lean"] + f["gain_deg"] * e)
                    out[f"curve_hvdelay_{level:.2f}"] = ce - np.nanmean(ce)
            for tag, sm in sil_masks.items():
                true_kp = tag.startswith("truekp")
                e = sm[:, j] / (len_true if true_kp else trunk_len)
                per_frame = (lean_true_axis if true_kp else lean) + f["gain_deg"] * e
                ce = ensemble_curve(ph, per_frame)
                out[f"curve_{tag}_{level:.2f}"] = ce - np.nanmean(ce)
    return out


def _curve_stats(ce: np.ndarray, ct: np.ndarray, gain: float) -> tuple:
    """Correlation and RMSE (deg) of the gain-scaled, smoothed (``smooth_curve``)
    estimated curve against the truth curve (bin medians), and the estimated range (deg,
    max - min of the smoothed curve)."""
    ce = smooth_curve(ce)
    ok = np.isfinite(ce) & np.isfinite(ct)
    if ok.sum() < 3:
        return float("nan"), float("nan"), float("nan")
    r = float(np.corrcoef(gain * ce[ok], ct[ok])[0, 1])  # a negative gain flips the cue
    rmse = float(np.sqrt(np.mean((gain * ce[ok] - ct[ok]) ** 2)))
    rom = float(abs(gain) * (np.nanmax(ce) - np.nanmin(ce)))
    return r, rmse, rom


#: cue variants of the summary: key prefix -> description
_VARIANTS = {
    "curve": "MediaPipe landmarks (what the tool has)",
    "curve_delay": "hip landmark advanced 38 ms",
    "curve_subpx": "MediaPipe landmarks, sub-pixel edges",
    "curve_ns": "MediaPipe landmarks without smoothing (diagnostic pass)",
    "curve_hv": "heavy model landmarks (pose_landmark_heavy)",
    "curve_hvdelay": "heavy model, hip landmark advanced 38 ms",
    "curve_hvns": "heavy model without smoothing (diagnostic pass)",
    "curve_backdir": "back-contour direction (no edge distance; gain fitted)",
    "curve_frontdir": "front-contour direction (no edge distance; gain fitted)",
    "curve_truekp": "renderer's TRUE hip/shoulder points (diagnostic)",
    "curve_truekp_subpx": "TRUE hip/shoulder points, sub-pixel edges (diagnostic)",
}


def in_stride(heavy: bool = False) -> None:
    """Within-stride tilt range: fit the ensemble gain on INSTRIDE_FIT, report held out.
    ``heavy``: also run the heavy model (smoothed and unsmoothed diagnostic passes)."""
    if heavy:
        from gaitlens.pose.mediapipe import legacy_model_path

        if not legacy_model_path(2).is_file():
            print("(no heavy model: install it with `gaitlens install-model`, see README)")
        else:
            for s in INSTRIDE_FIT + INSTRIDE_TEST + instride_fukuchi_specs():
                ensure(s, INSTRIDE_CACHE, INSTRIDE_DURATION_S, INSTRIDE_FPS)
                _diag_pose(s, INSTRIDE_CACHE, "hv", 2, smooth=True)
                _diag_pose(s, INSTRIDE_CACHE, "hvns", 2, smooth=False)
    fit_rows = [instride_one(s) for s in INSTRIDE_FIT]
    test_rows = [instride_one(s) for s in INSTRIDE_TEST + instride_fukuchi_specs()]
    groups = (("fit", fit_rows),
              ("held-out parametric", [r for r in test_rows if not r["clip"].startswith("K_")]),
              ("held-out Fukuchi-driven", [r for r in test_rows if r["clip"].startswith("K_")]),
              ("all held-out", test_rows))  # fmt: skip
    rom_const = float(np.mean([r["truth_rom_deg"] for r in fit_rows]))
    summary = []
    for level in INSTRIDE_LEVELS:
        for var, desc in _VARIANTS.items():
            key = f"{var}_{level:.2f}"
            if key not in fit_rows[0]:
                continue
            ce = np.concatenate([r[key] for r in fit_rows])
            ct = np.concatenate([r["truth_curve"] for r in fit_rows])
            ok = np.isfinite(ce) & np.isfinite(ct)
            gain = float(np.sum(ce[ok] * ct[ok]) / np.sum(ce[ok] ** 2))
            for r in fit_rows + test_rows:
                r[f"gain_{key}"] = gain
            for group, rows in groups:
                for g_name, g in (("1 (geometric)", 1.0), (f"{gain:.2f} (fit set)", gain)):
                    st = [_curve_stats(r[key], r["truth_curve"], g) for r in rows]
                    tr = np.array([r["truth_rom_deg"] for r in rows])
                    est = np.array([s[2] for s in st])
                    summary.append({
                        "front edge": f"{level:.2f}", "keypoints": desc, "set": group,
                        "n": len(rows), "gain": g_name,
                        "ROM MAE deg": float(np.mean(np.abs(est - tr))),
                        "r(ROM est, truth)": float(np.corrcoef(est, tr)[0, 1]),
                        "curve r median": float(np.median([s[0] for s in st])),
                        "curve RMSE deg": float(np.mean([s[1] for s in st])),
                    })  # fmt: skip
    lv = f"{pelvis_level():.2f}"
    rows = []
    for grp, rr in (("fit", fit_rows), ("held-out", test_rows)):
        for r in rr:
            r_, rmse, rom = _curve_stats(r["curve_" + lv], r["truth_curve"], 1.0)
            rd_, rmsed, romd = _curve_stats(r["curve_delay_" + lv], r["truth_curve"], 1.0)
            row = {"clip": r["clip"], "set": grp, "steps": r["steps"],
                   "level truth": r["level_truth_deg"], "level est.": r["level_est_deg"],
                   "truth ROM": r["truth_rom_deg"],
                   "per-frame ROM": r["frame_rom_" + lv], "ensemble ROM": rom,
                   "curve r": r_, "curve RMSE": rmse, "delay-corr. ROM": romd,
                   "delay-corr. curve r": rd_,
                   "flat-curve RMSE": float(np.sqrt(np.mean(r["truth_curve"] ** 2)))}  # fmt: skip
            if "curve_truekp_" + lv in r:
                rt_, _, romt = _curve_stats(r["curve_truekp_" + lv], r["truth_curve"], 1.0)
                rn_, _, romn = _curve_stats(r["curve_ns_" + lv], r["truth_curve"], 1.0)
                row.update({"true-kp ROM": romt, "true-kp curve r": rt_,
                            "unsmoothed ROM": romn, "unsmoothed curve r": rn_,
                            "hip-error curve range": r["hip_error_curve_rom_deg"],
                            "unsmoothed hip-error range":
                                r["hip_error_ns_curve_rom_deg"]})  # fmt: skip
            if "curve_hv_" + lv in r:
                rh_, _, romh = _curve_stats(r["curve_hv_" + lv], r["truth_curve"], 1.0)
                rhd, _, romhd = _curve_stats(r["curve_hvdelay_" + lv], r["truth_curve"], 1.0)
                row.update({"heavy ROM": romh, "heavy curve r": rh_,
                            "heavy adv. ROM": romhd, "heavy adv. curve r": rhd,
                            "heavy hip-error range": r["hip_error_hv_curve_rom_deg"],
                            "heavy hip delay ms": r["hv_delay_ms"]})  # fmt: skip
            if "curve_hvns_" + lv in r:
                rq_, _, romq = _curve_stats(r["curve_hvns_" + lv], r["truth_curve"], 1.0)
                row.update({"heavy unsm. ROM": romq, "heavy unsm. curve r": rq_,
                            "heavy unsm. hip-error range": r["hip_error_hvns_curve_rom_deg"],
                            "heavy unsm. hip delay ms": r["hvns_delay_ms"]})  # fmt: skip
            rows.append(row)
    per_clip = pd.DataFrame(rows)
    print(f"\nIN-STRIDE pelvic tilt range per clip (deg), front edge {lv}, gain 1:")
    print(markdown(per_clip))
    print("\nsummary (ROM: median per-stride 5-95 % range; curve: step-cycle ensemble):")
    print(markdown(pd.DataFrame(summary)))
    for grp, rr in groups:
        lev = np.array([r["level_est_deg"] - r["level_truth_deg"] for r in rr])
        print(f"{grp}: clip-level tilt (pelvis.estimate_tilt) MAE {np.mean(np.abs(lev)):.2f} deg "
              f"(max {np.max(np.abs(lev)):.2f}), n={len(rr)}")  # fmt: skip
        tr = np.array([r["truth_rom_deg"] for r in rr])
        print(f"{grp}: constant ROM {rom_const:.2f} deg (fit-set mean truth) MAE "
              f"{np.mean(np.abs(tr - rom_const)):.2f} deg; truth ROM {tr.min():.1f}-"
              f"{tr.max():.1f} deg")  # fmt: skip


def pelvis_level() -> float:
    """The front-edge level reported per clip (the best held-out cue, see docs/pelvis.md)."""
    return INSTRIDE_LEVELS[1]


def real_clip() -> None:
    npz = CACHE / "real_treadmill.npz"
    if not npz.is_file():
        print("(real clip: no cached pose track at", npz, ")")
        return
    from gaitlens import cleaning, pelvis
    from gaitlens.config import AnalysisConfig
    from gaitlens.io.track import PoseTrack

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        c = cleaning.clean(PoseTrack.load(npz), AnalysisConfig())
        est = pelvis.estimate_tilt(c, AnalysisConfig())
    print(f"\nreal clip treadmill_side_runner_30fps.mp4 (loose hoodie): estimate "
          f"{np.mean(est.tilt_deg):.1f} deg, confidence mean {np.mean(est.confidence):.2f}, "
          f"clothing factor {est.clothing_factor}")  # fmt: skip
    for nt in est.notes:
        print("  -", nt)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--render-only", nargs="*", default=None)
    ap.add_argument("--fit", action="store_true", help="refit the line on the fit set")
    ap.add_argument("--in-stride", action="store_true", help="within-stride range study")
    ap.add_argument(
        "--heavy",
        action="store_true",
        help="with --in-stride: add the heavy model's passes (gaitlens install-model)",
    )
    args = ap.parse_args(argv)
    if args.in_stride:
        pd.set_option("display.width", 200)
        in_stride(heavy=args.heavy)
        return 0
    if args.render_only is not None:
        render_all(args.render_only or ("fit", "test"))
        return 0
    pd.set_option("display.width", 200)
    if args.fit:
        f = evaluate(FIT)
        print("fit set:", fit(f))
        print(f.round(3).to_string(index=False))
    test = evaluate(TEST + fukuchi_specs() + sample_specs())
    from gaitlens import pelvis

    prior = pelvis.population_running_tilt_deg()
    cols = ["clip", "facing", "body", "knobs", "truth_deg", "est_deg", "error_deg", "conf_mean",
            "frames_conf_ge_0.3"]  # fmt: skip
    print("\nHELD-OUT renders (not used in the fit):")
    print(markdown(test[cols]))
    fk = test["clip"].str.contains("_fk_")
    smp = test["clip"].str.startswith("s_")
    sup = test["clip"].str.startswith("t_sup") & ~test["clip"].str.contains("back")
    for name, m in (("all held-out", np.ones(len(test), bool)),
                    ("graded pelvic_tilt_suppressed (0-1, both facings)", sup),
                    ("other fault knobs", ~sup & ~fk & ~smp), ("Fukuchi-driven", fk),
                    ("sample clips", smp)):  # fmt: skip
        if m.any():
            e = test.loc[m, "error_deg"].abs()
            p = (test.loc[m, "truth_deg"] - prior).abs()
            print(f"{name}: n={int(m.sum())} MAE {e.mean():.2f} deg (max {e.max():.2f}); "
                  f"healthy level alone {p.mean():.2f} deg")  # fmt: skip
    real_clip()
    return 0


if __name__ == "__main__":
    sys.exit(main())
