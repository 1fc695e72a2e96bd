"""Event-detection validation: Fukuchi marker data -> side-view keypoints -> cleaning ->
events -> strides, compared with force-plate contacts (Fukuchi et al. 2017, PeerJ
5:e3298, CC BY 4.0)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gaitlens import cleaning, events, strides

from .fukuchi import force_contacts, load_trial, to_side_view
from .noise import PoseNoise

SIDES = ("left", "right")

#: Fixed subject split for the 13 Fukuchi et al. (2017) runners. "fit": the subjects
#: thresholds may be tuned on (the three text-file runners, on which the event rules were
#: chosen, plus four C3D runners, one of them a forefoot/midfoot striker at 3.5-4.5 m/s);
#: "held_out": never used to choose anything (one mixed midfoot/rearfoot striker). Chosen
#: before any result on the C3D runners was seen, by subject number (alternate C3D
#: runners, RBDS017 moved to held-out so each group has one non-rearfoot striker).
FIT_SUBJECTS = ("RBDS001", "RBDS002", "RBDS032", "RBDS003", "RBDS011", "RBDS013", "RBDS015")
HELD_OUT_SUBJECTS = ("RBDS005", "RBDS012", "RBDS014", "RBDS016", "RBDS017", "RBDS020")


def subject_group(subject: str) -> str:
    """``fit``, ``held_out`` or ``other`` (``FIT_SUBJECTS`` / ``HELD_OUT_SUBJECTS``)."""
    if subject in FIT_SUBJECTS:
        return "fit"
    return "held_out" if subject in HELD_OUT_SUBJECTS else "other"


def match_events(pred: np.ndarray, truth: np.ndarray, tol_s: float = 0.1) -> np.ndarray:
    """Signed error (pred - truth, s) for each truth event; NaN when no prediction lies
    within ``tol_s`` (each prediction used at most once, nearest first)."""
    pred = np.sort(np.asarray(pred, float))
    err = np.full(len(truth), np.nan)
    if len(pred) == 0:
        return err
    j = np.clip(np.searchsorted(pred, truth), 1, max(len(pred) - 1, 1))
    cand = np.stack([pred[j - 1], pred[np.minimum(j, len(pred) - 1)]])
    d = cand - truth[None, :]
    k = np.argmin(np.abs(d), axis=0)
    best = d[k, np.arange(len(truth))]
    ok = np.abs(best) <= tol_s
    err[ok] = best[ok]
    return err


@dataclass
class TrialResult:
    trial: str
    fps: float
    noisy: bool
    seed: int
    ic_err_s: np.ndarray
    to_err_s: np.ndarray
    contact_err_s: np.ndarray
    cadence_true_spm: float
    cadence_pred_spm: float
    n_truth_contacts: int
    n_strides: int
    swap_residual_frac: float
    swap_injected_frac: float
    swap_new_frac: float
    activity: str
    subject: str = ""
    speed_m_s: float = float("nan")
    foot_strike: str = ""
    n_pred_ic: int = 0  # predicted events inside the force data's span
    n_pred_to: int = 0
    ic_spurious: int = 0  # predictions with no force event of the same foot within tol
    to_spurious: int = 0
    n_runs: int = 1

    def row(self) -> dict:
        a = lambda x: np.abs(x[np.isfinite(x)])  # noqa: E731
        ic, to, ct = a(self.ic_err_s), a(self.to_err_s), self.contact_err_s
        ct = ct[np.isfinite(ct)]
        return {
            "trial": self.trial, "fps": self.fps, "noise": self.noisy, "seed": self.seed,
            "n_contacts": self.n_truth_contacts, "n_strides": self.n_strides,
            "ic_matched": float(np.isfinite(self.ic_err_s).mean()),
            "to_matched": float(np.isfinite(self.to_err_s).mean()),
            "ic_bias_ms": 1000 * float(np.nanmean(self.ic_err_s)),
            "ic_median_abs_ms": 1000 * float(np.median(ic)) if len(ic) else np.nan,
            "ic_p95_abs_ms": 1000 * float(np.percentile(ic, 95)) if len(ic) else np.nan,
            "to_bias_ms": 1000 * float(np.nanmean(self.to_err_s)),
            "to_median_abs_ms": 1000 * float(np.median(to)) if len(to) else np.nan,
            "to_p95_abs_ms": 1000 * float(np.percentile(to, 95)) if len(to) else np.nan,
            "contact_mean_err_ms": 1000 * float(np.mean(ct)) if len(ct) else np.nan,
            "contact_mean_abs_err_ms": 1000 * float(np.mean(np.abs(ct))) if len(ct) else np.nan,
            "cadence_true_spm": self.cadence_true_spm,
            "cadence_pred_spm": self.cadence_pred_spm,
            "cadence_err_pct": 100 * (self.cadence_pred_spm / self.cadence_true_spm - 1),
            "swap_injected_pct": 100 * self.swap_injected_frac,
            "swap_residual_pct": 100 * self.swap_residual_frac,
            "swap_new_pct": 100 * self.swap_new_frac,
            "activity": self.activity,
            "subject": self.subject, "speed_m_s": self.speed_m_s,
            "foot_strike": self.foot_strike, "group": subject_group(self.subject),
            "ic_found": int(np.isfinite(self.ic_err_s).sum()),
            "ic_missed": int((~np.isfinite(self.ic_err_s)).sum()),
            "to_found": int(np.isfinite(self.to_err_s).sum()),
            "to_missed": int((~np.isfinite(self.to_err_s)).sum()),
            "ic_spurious": self.ic_spurious, "to_spurious": self.to_spurious,
            "n_runs": self.n_runs,
        }  # fmt: skip


def _label_errors(clean, truth, leg_px_true: float, min_sep_legs: float = 0.1):
    """Share of frames whose repaired leg labels are wrong (knee and ankle, judged only
    where the true left and right points are at least ``min_sep_legs`` apart)."""
    wrong = []
    valid = []
    s = 1.0 if clean.facing == "right" else -1.0
    for p in ("knee", "ankle"):
        tl = truth["points_px"][f"left_{'knee' if p == 'knee' else 'ankle'}"]
        tr = truth["points_px"][f"right_{p}"]
        img_l = clean.to_image_px(clean.points_unfiltered[f"left_{p}"])
        dl = np.linalg.norm(img_l - tl, axis=1)
        dr = np.linalg.norm(img_l - tr, axis=1)
        sep = np.linalg.norm(tl - tr, axis=1) / leg_px_true
        ok = np.isfinite(dl) & np.isfinite(dr) & (sep >= min_sep_legs)
        wrong.append(ok & (dr < dl))
        valid.append(ok)
    del s
    w = np.any(wrong, axis=0)
    v = np.any(valid, axis=0)
    return float(w[v].mean()) if v.any() else float("nan")


def evaluate(
    trial,
    fps: float = 60.0,
    noise: PoseNoise | None = None,
    seed: int = 0,
    camera_side: str = "right",
    duration_s: float | None = None,
    clean_config=None,
    events_config=None,
    tol_s: float = 0.1,
) -> TrialResult:
    """Run cleaning -> events -> strides on one projected trial and compare with forces."""
    track, truth = to_side_view(
        trial, fps=fps, camera_side=camera_side, noise=noise, seed=seed, duration_s=duration_s
    )
    clean = cleaning.clean(track, clean_config)
    ev = events.detect(clean, events_config)
    te = truth["events"]
    ic_err, to_err, ct_err = [], [], []
    # every force event inside the track (also of contacts cut by its ends): a prediction
    # with none of the same foot within tol_s is spurious
    fc_all = force_contacts(trial, threshold_n=te["threshold_n"])
    t0, t1 = float(track.time_s[0]), float(track.time_s[-1])
    n_pred = {"ic": 0, "to": 0}
    spurious = {"ic": 0, "to": 0}
    for side in SIDES:
        tic, tto = te["ic_s"][side], te["to_s"][side]
        e_ic = match_events(ev.ic_s[side], tic, tol_s)
        e_to = match_events(ev.to_s[side], tto, tol_s)
        ic_err.append(e_ic)
        to_err.append(e_to)
        ct_err.append(e_to - e_ic)  # contact error of the same contact
        for kind, pred in (("ic", ev.ic_s[side]), ("to", ev.to_s[side])):
            allf = np.asarray(fc_all[f"{kind}_s"].get(side, []), float)
            lo, hi = (allf.min(), allf.max()) if len(allf) else (t0, t1)
            p = np.asarray(pred, float)
            p = p[(p >= max(t0, lo - tol_s)) & (p <= min(t1, hi + tol_s))]
            n_pred[kind] += len(p)
            if len(allf):
                d = np.min(np.abs(p[:, None] - allf[None, :]), axis=1) if len(p) else p
                spurious[kind] += int((d > tol_s).sum())
            else:
                spurious[kind] += len(p)
    try:
        table = strides.segment(ev, clean)
        summ = strides.summarize_timing(table)
        cad, nstr = summ["cadence_spm"], summ["n_strides"]
    except Exception:
        cad, nstr = float("nan"), 0
    c = te["contacts"]
    cad_true = 60.0 / float(np.mean(np.diff(np.sort(c["ic_s"].to_numpy()))))
    leg_true = np.nanmedian(
        np.linalg.norm(truth["points_px"]["right_hip"] - truth["points_px"]["right_knee"], axis=1)
        + np.linalg.norm(
            truth["points_px"]["right_knee"] - truth["points_px"]["right_ankle"], axis=1
        )
    )
    resid = _label_errors(clean, truth, leg_true)
    inj = float(truth["swapped"].mean())
    return TrialResult(
        trial=trial.name, fps=fps, noisy=noise is not None, seed=seed,
        ic_err_s=np.concatenate(ic_err), to_err_s=np.concatenate(to_err),
        contact_err_s=np.concatenate(ct_err), cadence_true_spm=cad_true,
        cadence_pred_spm=cad, n_truth_contacts=len(c), n_strides=nstr,
        swap_residual_frac=resid if noise is not None else float("nan"),
        swap_injected_frac=inj,
        swap_new_frac=resid if noise is None else float("nan"),
        activity=clean.activity, subject=trial.subject, speed_m_s=trial.belt_speed_m_s,
        foot_strike=trial.foot_strike_label, n_pred_ic=n_pred["ic"], n_pred_to=n_pred["to"],
        ic_spurious=spurious["ic"], to_spurious=spurious["to"],
    )  # fmt: skip


def pool(results: list) -> TrialResult:
    """Merge results of the same trial and frame rate (e.g. several noise seeds)."""
    r0 = results[0]
    cat = lambda k: np.concatenate([getattr(r, k) for r in results])  # noqa: E731

    def mean(k):
        v = np.array([getattr(r, k) for r in results], dtype=float)
        return float(v[np.isfinite(v)].mean()) if np.isfinite(v).any() else float("nan")

    return TrialResult(
        trial=r0.trial, fps=r0.fps, noisy=r0.noisy, seed=-1,
        ic_err_s=cat("ic_err_s"), to_err_s=cat("to_err_s"), contact_err_s=cat("contact_err_s"),
        cadence_true_spm=r0.cadence_true_spm, cadence_pred_spm=mean("cadence_pred_spm"),
        n_truth_contacts=sum(r.n_truth_contacts for r in results),
        n_strides=sum(r.n_strides for r in results),
        swap_residual_frac=mean("swap_residual_frac"),
        swap_injected_frac=mean("swap_injected_frac"),
        swap_new_frac=mean("swap_new_frac"), activity=r0.activity,
        subject=r0.subject, speed_m_s=r0.speed_m_s, foot_strike=r0.foot_strike,
        n_pred_ic=sum(r.n_pred_ic for r in results), n_pred_to=sum(r.n_pred_to for r in results),
        ic_spurious=sum(r.ic_spurious for r in results),
        to_spurious=sum(r.to_spurious for r in results),
        n_runs=sum(r.n_runs for r in results),
    )  # fmt: skip


def run(
    data_dir,
    fps_list=(30, 60, 120),
    seeds=(0, 1, 2),
    noise: PoseNoise | None = None,
    with_clean: bool = True,
    duration_s: float | None = None,
    **kw,
) -> pd.DataFrame:
    """Every trial with a force file x frame rate: noise-free and noisy (seeds pooled)."""
    from .fukuchi import list_trials

    rows = []
    for path in list_trials(data_dir):
        trial = load_trial(path)
        if trial.forces is None:
            continue
        for fps in fps_list:
            if with_clean:
                rows.append(evaluate(trial, fps, None, 0, duration_s=duration_s, **kw).row())
            if seeds:
                nz = noise or PoseNoise()
                res = [evaluate(trial, fps, nz, sd, duration_s=duration_s, **kw) for sd in seeds]
                rows.append(pool(res).row())
    return pd.DataFrame(rows)
