"""Held-out validation of the ESTIMATED pelvic tilt (gaitlens.pelvis) on rendered runners.

Renders (gaitlens.synthetic: parametric runners and Fukuchi-driven runners whose pelvis
follows the real ASIS/PSIS markers, Fukuchi et al. 2017) go through MediaPipe with its
segmentation mask (gaitlens.pipeline.run_pose -> gaitlens.pose.silhouette), the
cleaning stage and ``pelvis.estimate_tilt``; the clip-mean estimate is compared with the
renderer's ASIS/PSIS tilt. Two disjoint sets: ``fit`` (used by ``--fit`` to refit the
silhouette regression stored in gaitlens/pelvis.py) and ``test`` (held out: other seeds,
heights, proportions, the graded ``pelvic_tilt_suppressed`` knob at both facings, the
other fault knobs, and Fukuchi-driven trials). Pose tracks are cached under ``--cache``.

Usage: ``.venv/bin/python bench/validate_pelvis.py [--fit] [--only test|fit]``
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
    from gaitlens.mocap import fukuchi

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


def ensure(spec: dict, cache: Path = CACHE, duration_s: float = 4.0):
    """Render + MediaPipe one clip (cached): returns (PoseTrack, truth tilt per frame)."""
    from gaitlens.track import PoseTrack

    cache.mkdir(parents=True, exist_ok=True)
    npz, sig = cache / f"{spec['name']}.npz", cache / f"{spec['name']}.tilt.csv"
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
            from gaitlens.synthetic.mocap_driven import mocap_run

            run = mocap_run(spec["path"], start_s=8.0, duration_s=duration_s, fps=30.0,
                            facing=spec["facing"], sensor_noise_std=1.5)  # fmt: skip
        else:
            from gaitlens.synthetic.model import WINTER, RunnerParams

            prop = dict(WINTER)
            prop.update(spec["prop"] or {})
            p = RunnerParams(fps=30.0, duration_s=duration_s, image_size_px=(480, 640),
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


def real_clip() -> None:
    npz = CACHE / "real_treadmill.npz"
    if not npz.is_file():
        print("(real clip: no cached pose track at", npz, ")")
        return
    from gaitlens import cleaning, pelvis
    from gaitlens.config import AnalysisConfig
    from gaitlens.track import PoseTrack

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
    args = ap.parse_args(argv)
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
