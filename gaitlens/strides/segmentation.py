"""Stride segmentation: one row per stride (IC to the next IC of the same foot) per side.

The columns and the legal event order (IC < TO < next IC) are ``gaitlens.schema``
constants (gaitmap style, Kuderle et al. 2024); the plausibility limits are here. Strides that
break the order or the limits are kept aside in ``StrideTable.rejected`` with the
reason, as gaitmap's stride-list validation does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import TooFewStridesError
from ..schema import SIDES, STRIDE_TIMING_COLUMNS
from ..signals import other_side, robust_sd

#: columns of the valid stride table: timing, then the stride's ``quality`` code
TIMING_COLUMNS = [*STRIDE_TIMING_COLUMNS, "quality"]
#: columns of the rejected strides: the same plus the ``reason``
REJECTED_COLUMNS = [*TIMING_COLUMNS, "reason"]


@dataclass
class StrideLimits:
    """Plausible running values. Stride time 0.5-1.1 s (cadence about 110-240 spm;
    recreational 160-185, BIOMECHANICS.md 8), contact 0.1-0.45 s, duty factor < 0.6
    (running stays under 0.5; margin for event error), stride time within
    ``max_stride_dev`` of the side's median (a missed IC doubles a stride) and within
    ``max_neighbour_dev`` of its neighbours' (the median of up to ``neighbours`` strides
    of the same side before and after it): at a steady pace consecutive strides differ
    by a few percent (stride-time CV of trained and recreational runners about 1-3 %,
    Nakayama et al. 2010, Gait Posture 31:331; Jordan et al. 2007, Hum Mov Sci 26:128),
    so a stride 12 % off its neighbours holds a misplaced event; a slow change of pace
    moves the neighbours with it."""

    min_stride_s: float = 0.5
    max_stride_s: float = 1.1
    min_contact_s: float = 0.1
    max_contact_s: float = 0.45
    max_duty_factor: float = 0.6
    max_stride_dev: float = 0.25
    max_neighbour_dev: float = 0.12
    neighbours: int = 2
    min_strides: int = 4


@dataclass
class StrideTable:
    valid: pd.DataFrame
    rejected: pd.DataFrame

    def __len__(self) -> int:
        return len(self.valid)


def _resolve(config) -> StrideLimits:
    """``StrideLimits``, an ``AnalysisConfig`` (its ``stride_limits()``) or None."""
    if config is None:
        return StrideLimits()
    if isinstance(config, StrideLimits):
        return config
    return config.stride_limits()


def _other_side_ic(events, side: str) -> np.ndarray:
    other = other_side(side)
    return np.sort(np.asarray(events.ic_s.get(other, []), dtype=float))


def _side_strides(events, side: str, lim: StrideLimits) -> pd.DataFrame:
    ic = np.sort(np.asarray(events.ic_s.get(side, []), dtype=float))
    to = np.sort(np.asarray(events.to_s.get(side, []), dtype=float))
    if len(ic) < 2:
        return pd.DataFrame(columns=REJECTED_COLUMNS)
    start, nxt = ic[:-1], ic[1:]
    # the first TO after each IC (NaN if none before the next IC)
    j = np.searchsorted(to, start, side="right")
    if len(to):
        to_j = np.where(j < len(to), to[np.minimum(j, len(to) - 1)], np.nan)
    else:  # no toe-off found on this side at all: every stride lacks one
        to_j = np.full(len(start), np.nan)
    n_to = np.searchsorted(to, nxt, side="left") - j  # TOs between IC and next IC
    to_j = np.where(n_to >= 1, to_j, np.nan)
    stride = nxt - start
    contact = to_j - start
    # flight: from this foot's TO to the other foot's next IC
    oic = _other_side_ic(events, side)
    if len(oic):
        k = np.searchsorted(oic, to_j, side="right")
        o_next = np.where(k < len(oic), oic[np.minimum(k, len(oic) - 1)], np.nan)
        o_next = np.where(o_next < nxt, o_next, np.nan)
    else:
        o_next = np.full(len(start), np.nan)
    flight = o_next - to_j
    q_ic = np.asarray(events.ic_quality.get(side, np.full(len(ic), np.nan)), float)
    interp = np.asarray(events.ic_interpolated.get(side, np.zeros(len(ic), bool)), bool)
    order = np.argsort(np.asarray(events.ic_s.get(side, []), dtype=float))
    q_ic, interp = q_ic[order] if len(q_ic) == len(ic) else q_ic, interp[order]
    quality = np.where(interp[:-1] | interp[1:], "interpolated", "ok").astype(object)
    to_all = np.asarray(events.to_s.get(side, []), dtype=float)
    imp = np.asarray(getattr(events, "to_imputed", {}).get(side, []), dtype=bool)
    if len(imp) == len(to_all) and imp.any():
        was_imputed = np.isin(to_j, to_all[imp])
        quality = np.where(
            was_imputed, np.where(quality == "ok", "to_imputed", quality + "+to_imputed"), quality
        )
    df = pd.DataFrame({
        "side": side, "stride": np.arange(len(start)), "ic_s": start, "to_s": to_j,
        "next_ic_s": nxt, "stride_time_s": stride, "cadence_spm": 120.0 / stride,
        "contact_time_s": contact, "flight_time_s": flight, "duty_factor": contact / stride,
        "quality": quality,
    })  # fmt: skip
    med = np.nanmedian(stride)
    reason = np.full(len(df), "", dtype=object)

    def flag(mask, why):
        sel = mask & (reason == "")
        reason[sel] = why

    flag(~np.isfinite(to_j), "no toe-off between IC and next IC")
    flag(n_to > 1, "several toe-offs in one stride")
    flag(stride < lim.min_stride_s, "stride too short")
    flag(stride > lim.max_stride_s, "stride too long")
    flag(np.abs(stride - med) > lim.max_stride_dev * med, "stride time far from the median")
    plausible = (stride >= lim.min_stride_s) & (stride <= lim.max_stride_s)
    ref = neighbour_reference(np.where(plausible, stride, np.nan), lim.neighbours)
    flag(
        np.abs(stride - ref) > lim.max_neighbour_dev * ref,
        f"stride time more than {100 * lim.max_neighbour_dev:.0f} % from its neighbours'",
    )
    flag(contact < lim.min_contact_s, "contact too short")
    flag(contact > lim.max_contact_s, "contact too long")
    flag(contact / stride > lim.max_duty_factor, "duty factor too high for running")
    df["reason"] = reason
    return df


def neighbour_reference(stride_s: np.ndarray, k: int = 2) -> np.ndarray:
    """Per stride, the median duration of up to ``k`` strides before and ``k`` after it
    (itself excluded; NaN durations ignored); NaN without a neighbour."""
    x = np.asarray(stride_s, float)
    n = len(x)
    out = np.full(n, np.nan)
    for i in range(n):  # strides of one side, a few dozen
        near = np.r_[x[max(0, i - k) : i], x[i + 1 : i + 1 + k]]
        near = near[np.isfinite(near)]
        if len(near):
            out[i] = np.median(near)
    return out


def segment(events, clean=None, config=None) -> StrideTable:
    """Stride table from gait events (``clean`` is accepted for future quality cues).

    Cadence per stride = 2 steps / stride time x 60 (steps per minute). Flight time =
    this foot's TO to the other foot's next IC (negative would mean double support).
    Raises ``TooFewStridesError`` when fewer than ``min_strides`` valid strides remain.
    """
    lim = _resolve(config)
    parts = [_side_strides(events, s, lim) for s in SIDES]
    parts = [p for p in parts if len(p)]
    allrows = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REJECTED_COLUMNS)
    )
    ok = allrows["reason"] == "" if len(allrows) else pd.Series([], dtype=bool)
    valid = allrows[ok].drop(columns="reason")[TIMING_COLUMNS]
    valid = valid.sort_values("ic_s", kind="stable").reset_index(drop=True)
    rejected = allrows[~ok][REJECTED_COLUMNS].reset_index(drop=True)
    if len(valid) < lim.min_strides:
        raise TooFewStridesError(
            f"only {len(valid)} complete, consistent strides were found (at least "
            f"{lim.min_strides} needed); film at least 10 s of steady running with the "
            "feet visible."
        )
    return StrideTable(valid=valid, rejected=rejected)


def rhythm_stride_time(valid: pd.DataFrame, min_ics: int = 4) -> float:
    """The clip's stride time from the rhythm of its valid foot strikes: per side, the
    valid strides are chained into runs (a stride whose IC is the previous one's next
    IC continues the run; a stride set aside in between starts a new one), the strikes
    of a run are numbered ``k = 0, 1, ...`` and ``t = a_run + T k`` is fitted by least
    squares with one intercept per run and one common stride time ``T``; strikes more
    than 3 robust SDs off their line are dropped and the lines refitted. This is the
    mean stride time over the clip (elapsed time over strides), which averages each
    strike's timing error over a run instead of taking the median of noisy single
    strides (at 30 fps one frame is 4.7 % of a 0.7 s stride). Falls back to the median
    stride time with fewer than ``min_ics`` strikes in runs of two strides or more."""
    fallback = float(np.nanmedian(valid["stride_time_s"]))
    ks, ts, runs_ = [], [], []
    run_id = 0
    for side in SIDES:
        r = valid[valid["side"] == side].sort_values("ic_s")
        a, b = r["ic_s"].to_numpy(float), r["next_ic_s"].to_numpy(float)
        i = 0
        while i < len(a):  # strides of one side, a few dozen
            j = i
            while j + 1 < len(a) and abs(a[j + 1] - b[j]) < 1e-6:
                j += 1
            if j > i:  # a run of two strides or more: its strikes and their numbers
                t = np.r_[a[i : j + 1], b[j]]
                ks.append(np.arange(len(t), dtype=float))
                ts.append(t)
                runs_.append(np.full(len(t), run_id))
                run_id += 1
            i = j + 1
    if not ks or sum(len(t) for t in ts) < min_ics:
        return fallback
    k, t, run = np.concatenate(ks), np.concatenate(ts), np.concatenate(runs_)
    x = np.column_stack([k] + [(run == j).astype(float) for j in range(run_id)])
    keep = np.isfinite(t)
    coef = np.linalg.lstsq(x[keep], t[keep], rcond=None)[0]
    for _ in range(2):  # drop strikes far off their line, fit again
        res = t - x @ coef
        new_keep = np.isfinite(t) & (np.abs(res) <= 3.0 * max(robust_sd(res[keep]), 1e-3))
        if new_keep.sum() < min_ics or (new_keep == keep).all():
            break
        keep = new_keep
        coef = np.linalg.lstsq(x[keep], t[keep], rcond=None)[0]
    stride = float(coef[0])
    # a rhythm that disagrees with the strides themselves by over 10 %: trust neither fit
    return stride if abs(stride / fallback - 1.0) < 0.1 else fallback


def summarize(table: StrideTable) -> dict:
    """Clip summary of the valid strides, robust to a stray stride: per timing column
    the median and the robust SD (1.4826 x MAD, ``signals.robust_sd``); the clip
    cadence from the rhythm of all valid strikes (``rhythm_stride_time``); per side the
    medians; stride counts and the left/right contact-time symmetry."""
    v = table.valid
    out: dict = {"n_strides": int(len(v)), "n_rejected": int(len(table.rejected))}
    for col in ("cadence_spm", "stride_time_s", "contact_time_s", "flight_time_s",
                "duty_factor"):  # fmt: skip
        x = v[col].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        out[col] = float(np.median(x)) if len(x) else float("nan")
        out[f"{col}_sd"] = robust_sd(x) if len(x) > 1 else 0.0
    if len(v):  # steps per minute from the clip's stride rhythm (two steps a stride)
        out["cadence_spm"] = float(120.0 / rhythm_stride_time(v))
    for side in SIDES:
        s = v[v.side == side]
        out[side] = {"n_strides": int(len(s))}
        for col in ("contact_time_s", "flight_time_s", "duty_factor", "stride_time_s"):
            x = s[col].to_numpy(float)
            x = x[np.isfinite(x)]
            out[side][col] = float(np.median(x)) if len(x) else float("nan")
    l_, r_ = out["left"]["contact_time_s"], out["right"]["contact_time_s"]
    out["contact_time_symmetry_pct"] = (
        float(100 * abs(l_ - r_) / np.nanmean([l_, r_])) if np.isfinite(l_ + r_) else float("nan")
    )
    return out
