"""Pelvis-vs-swing-leg timing: the whole-waveform lag and the earlier peak-to-peak one, for
validation against motion-capture truth (docs/pelvis_timing.md).

The product now times the pelvis from the whole stride
(``gaitlens.strides.metrics.pelvis_timing``, using ``gaitlens.signals.harmonic``); the
earlier definition took two peak times per stride (the swing thigh's peak forward
angular velocity and the pelvis point's peak forward velocity in a window of the swing;
``peak_lag`` here), and a peak time rests on the few samples around the peak, so
keypoint noise moves it and a flat or double peak can jump between humps. The waveform
lag estimates the same timing from every sample of the stride, as the phase of a fitted
sinusoid (harmonic analysis of a periodic waveform, e.g. Winter 2009, Biomechanics and
Motor Control of Human Movement, ch. 2; for running, harmonic phases of the stride-
normalised pelvis and segment waveforms as in Lamoth et al. 2002, Eur Spine J 11:271,
and the "harmonic ratio" work of Menz et al. 2003, Gait Posture 18:35):

* the swing thigh's angular velocity (``{side}_thigh_angular_velocity_deg_per_s``) over
  one stride of that leg (IC -> next IC, resampled to ``n_points`` phases), fitted with
  its fundamental (one cycle per stride): the thigh phase is the peak of that sinusoid,
  in late stance / early swing where the thigh swings forward fastest;
* the pelvis point's forward velocity in the treadmill frame
  (``pelvis_vx_legs_per_s``) over the same stride, fitted with its step-frequency
  component (two cycles per stride, one surge per push-off): the pelvis phase is the peak
  of that sinusoid that follows the thigh phase by ``wrap_pct[0]`` to ``wrap_pct[1]``
  (a half stride: the two surges are half a stride apart, so the lag is defined
  modulo 50 % of the stride; the default window -5 % to 45 % holds the healthy Fukuchi
  runners' lags, about 20-30 %, in its middle);
* lag = pelvis phase - thigh phase, in % of the stride and ms.

On the uniform phase grid a least-squares sinusoid fit at one harmonic is the discrete
Fourier coefficient of that harmonic, and its phase is the lag that maximises the cross-
correlation of the curve with a cosine at that frequency: ``ensemble_lag`` applies the
same to the stride-averaged (ensemble) curves, one value per side and clip, with a
leave-one-stride-out (jackknife) SD.

The lag is not the same number as the product's peak-to-peak ``pelvis_lag_pct``: bands
have to be derived for it (``scripts/derive_reference_bands.py`` reports both)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gaitlens.signals import cycle_normalised, harmonic, peak_in

SIDES = ("left", "right")
#: window of the lag (percent of the stride) in which the pelvis surge is taken
WRAP_PCT = (5.0, 55.0)


#: the product's cycle normalisation and harmonic fit (gaitlens.signals)
stride_normalised = cycle_normalised


def _lag(thigh_peak: np.ndarray, pelvis_peak: np.ndarray, wrap_pct) -> np.ndarray:
    """Pelvis minus thigh phase (fractions of the stride), the pelvis surge (two per
    stride, half a stride apart) taken within ``wrap_pct`` after the thigh."""
    lo = wrap_pct[0] / 100.0
    d = (pelvis_peak - thigh_peak - lo) % 0.5 + lo
    return d


def waveform_lag(
    time_s: np.ndarray,
    pelvis_vx: np.ndarray,
    thigh_av: np.ndarray,
    ic_s,
    next_ic_s,
    wrap_pct: tuple = WRAP_PCT,
    n_points: int = 100,
) -> pd.DataFrame:
    """Per-stride pelvis lag from fitted sinusoid phases (module docstring).

    ``pelvis_vx``: the pelvis point's forward velocity (treadmill frame, any unit);
    ``thigh_av``: the stride leg's thigh angular velocity (+ = forward); ``ic_s`` /
    ``next_ic_s``: the strides of that leg. Returns one row per stride:
    ``thigh_phase_pct``, ``pelvis_phase_pct`` (of the stride, from IC), ``lag_pct``,
    ``lag_ms``, ``thigh_r2`` / ``pelvis_r2`` (variance share of the fitted harmonic: a
    low value means the waveform is not the usual shape) and the amplitudes.
    """
    ic = np.asarray(ic_s, float)
    nic = np.asarray(next_ic_s, float)
    th = stride_normalised(time_s, thigh_av, ic, nic, n_points)
    pv = stride_normalised(time_s, pelvis_vx, ic, nic, n_points)
    th_pk, th_amp, th_r2 = harmonic(th, 1)
    pv_pk, pv_amp, pv_r2 = harmonic(pv, 2)
    lag = _lag(th_pk, pv_pk, wrap_pct)
    return pd.DataFrame({
        "ic_s": ic, "next_ic_s": nic,
        "thigh_phase_pct": 100 * th_pk, "pelvis_phase_pct": 100 * ((th_pk + lag) % 1.0),
        "lag_pct": 100 * lag, "lag_ms": 1000 * lag * (nic - ic),
        "thigh_r2": th_r2, "pelvis_r2": pv_r2, "thigh_amp": th_amp, "pelvis_amp": pv_amp,
    })  # fmt: skip


def ensemble_lag(
    time_s: np.ndarray,
    pelvis_vx: np.ndarray,
    thigh_av: np.ndarray,
    ic_s,
    next_ic_s,
    wrap_pct: tuple = WRAP_PCT,
    n_points: int = 100,
) -> dict:
    """The lag of the stride-averaged curves (harmonic phases of the ensemble means, i.e.
    the lag maximising the cross-correlation of their band-limited components), with a
    leave-one-stride-out jackknife SD (Efron & Stein 1981). ``lag_ms`` uses the mean
    stride time."""
    ic = np.asarray(ic_s, float)
    nic = np.asarray(next_ic_s, float)
    th = stride_normalised(time_s, thigh_av, ic, nic, n_points)
    pv = stride_normalised(time_s, pelvis_vx, ic, nic, n_points)
    ok = np.isfinite(th).all(axis=1) & np.isfinite(pv).all(axis=1)
    th, pv, st = th[ok], pv[ok], (nic - ic)[ok]
    k = len(th)
    out = {"n_strides": int(k), "lag_pct": np.nan, "lag_ms": np.nan, "jackknife_sd_pct": np.nan}
    if k < 2:
        return out

    def est(idx):
        a, _, _ = harmonic(th[idx].mean(axis=0), 1)
        b, _, _ = harmonic(pv[idx].mean(axis=0), 2)
        return float(_lag(a, b, wrap_pct)[0])

    lag = est(np.arange(k))
    loo = np.array([est(np.r_[0:i, i + 1 : k]) for i in range(k)])  # k strides
    sd = float(np.sqrt((k - 1) / k * np.sum((loo - loo.mean()) ** 2)))
    out.update(lag_pct=100 * lag, lag_ms=1000 * lag * float(st.mean()), jackknife_sd_pct=100 * sd)
    return out


def lag_table(frames: pd.DataFrame, strides: pd.DataFrame, **kw) -> pd.DataFrame:
    """``waveform_lag`` for every stride of a stride table (``side``, ``ic_s``,
    ``next_ic_s``) on a gaitlens per-frame table (``kinematics.compute``)."""
    t = frames["time_s"].to_numpy(float)
    pv = frames["pelvis_vx_legs_per_s"].to_numpy(float)
    parts = []
    for side in SIDES:
        s = strides[strides["side"] == side]
        if not len(s):
            continue
        th = frames[f"{side}_thigh_angular_velocity_deg_per_s"].to_numpy(float)
        d = waveform_lag(t, pv, th, s["ic_s"].to_numpy(), s["next_ic_s"].to_numpy(), **kw)
        d.insert(0, "side", side)
        parts.append(d)
    if not parts:
        return pd.DataFrame(columns=["side", "ic_s", "next_ic_s", "lag_pct", "lag_ms"])
    return pd.concat(parts, ignore_index=True).sort_values("ic_s").reset_index(drop=True)


#: the earlier definition's window end after the next IC (fraction of the stride)
PEAK_WINDOW_PAST_IC = 0.05


def peak_lag(time_s, pelvis_vx, thigh_av, ic_s, to_s, next_ic_s, other_ic_s) -> pd.DataFrame:
    """The earlier product definition (peak-to-peak, replaced by the waveform lag in
    ``gaitlens.strides.metrics.pelvis_timing``): the thigh's peak forward angular
    velocity in the swing, TO -> next IC, and the pelvis's peak forward velocity from the
    other foot's IC inside the swing to ``PEAK_WINDOW_PAST_IC`` of the stride after the
    next IC, applied to arbitrary signals, e.g. the motion-capture truth."""
    t = np.asarray(time_s, float)
    other = np.asarray(other_ic_s, float)
    out = []
    for ic, to, nic in zip(ic_s, to_s, next_ic_s):  # strides
        st = nic - ic
        t_th, _ = peak_in(t, thigh_av, to, nic, interior=True)
        inside = other[(other > to) & (other < nic)]  # the other foot's IC in this swing
        w0 = float(inside[0]) if len(inside) else 0.5 * (to + nic)
        t_pv, _ = peak_in(t, pelvis_vx, w0, nic + PEAK_WINDOW_PAST_IC * st, interior=True)
        out.append({"ic_s": ic, "next_ic_s": nic, "lag_ms": 1000 * (t_pv - t_th),
                    "lag_pct": 100 * (t_pv - t_th) / st})  # fmt: skip
    return pd.DataFrame(out, columns=["ic_s", "next_ic_s", "lag_ms", "lag_pct"])
