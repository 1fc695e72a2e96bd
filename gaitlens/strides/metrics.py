"""Per-stride kinematic metrics (BIOMECHANICS.md sections 5 and 6) and clip summaries.

``METRICS`` is the one registry of per-stride metrics: each entry has the column name
(unit in the name), the function that computes it from one stride's window of the
per-frame signals, its label and display unit, and where the report shows it (key
numbers, stride table, left/right chart). Adding a metric is one ``@metric``-decorated
function here (docs/architecture.md); the schema, the report's labels, key numbers and
tables, the fault rules' evidence labels and the summaries all read it from here.
``measure`` adds every registered column plus the quality columns to the valid stride
table of ``gaitlens.strides.segmentation``; one row per stride (IC -> next IC of the same
foot). Each metric's definition is its function's docstring. Values at events are
linearly interpolated at the event time; peaks are refined with a parabola through the
peak sample and its neighbours (sub-frame timing matters at 30 fps, 33 ms per frame);
the pelvis timing uses the whole stride (``pelvis_timing``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import pandas as pd

from ..kinematics import leg_length_px, pelvis_point
from ..schema import SIDES, TIMING_METRIC_COLUMNS
from ..signals import cycle_normalised, harmonic, peak_in, point, robust_sd, value_at, window
from ..units import Label, label_from_name, stored_unit


# ---------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Metric:
    """One per-stride column: how it is computed, labelled and shown.

    ``compute`` takes a :class:`StrideWindow` and returns the value (NaN when it cannot
    be measured); ``None`` for the timing columns, which ``strides.segment`` computes
    from the events. ``kind``: ``timing``, ``kinematic`` (summarised and judged),
    ``quality`` or ``diagnostic`` (written to strides.csv, not summarised).
    ``key_number``: shown under "key numbers" in the report; ``table``: short header of
    the report's stride table (its unit text second); ``left_right``: in the left/right
    chart; ``card``: in the Jupyter summary card; ``estimated``: labelled "estimated".
    """

    name: str
    label: Label
    compute: Optional[Callable[[StrideWindow], float]] = None
    kind: str = "kinematic"
    key_number: bool = False
    table: Optional[tuple] = None
    left_right: bool = False
    card: bool = False
    estimated: bool = False

    @property
    def unit(self) -> str:
        """The unit the value is stored in (from the name's suffix)."""
        return stored_unit(self.name)


METRICS: dict[str, Metric] = {}


def label_of(name: str) -> Label:
    """The label of a stride column: the registry's, else one derived from its name."""
    m = METRICS.get(name)
    return m.label if m is not None else label_from_name(name)


def metric(name: str, text: str, unit: str, factor: float = 1.0, decimals: int = 1,
           **options) -> Callable:  # fmt: skip
    """Register the decorated function as the metric ``name`` (see :class:`Metric`)."""

    def deco(fn: Optional[Callable]) -> Optional[Callable]:
        if name in METRICS:
            raise ValueError(f"metric {name} registered twice")
        METRICS[name] = Metric(name, Label(text, unit, factor, decimals), fn, **options)
        return fn

    return deco


def _timing(name: str, text: str, unit: str, factor: float, decimals: int, **options) -> None:
    metric(name, text, unit, factor, decimals, kind="timing", **options)(None)


# ---------------------------------------------------------------- one stride
@dataclass
class StrideWindow:
    """One stride of one side, and the per-frame signals a metric reads.

    ``ic_s``, ``to_s``, ``next_ic_s``: the stride's events; ``t``: frame times;
    ``frames``: per-frame columns (``gaitlens.kinematics.compute``) as arrays;
    ``events``: ``GaitEvents``; ``clean``: the ``CleanTrack`` (None for tables built
    without one); ``legs_px``: leg length; ``pelvis_px``: the pelvis point P in the
    analysis frame; ``tilt_dynamic``: whether the tilt estimate follows in-stride
    motion. Peaks that several metrics need are computed once per stride (``cache``).
    """

    side: str
    ic_s: float
    to_s: float
    next_ic_s: float
    t: np.ndarray
    frames: dict
    events: object = None
    clean: object = None
    legs_px: float = float("nan")
    pelvis_px: Optional[np.ndarray] = None
    tilt_dynamic: bool = True
    cache: dict = field(default_factory=dict)

    @property
    def stride_time_s(self) -> float:
        return self.next_ic_s - self.ic_s

    def signal(self, name: str) -> np.ndarray:
        """A per-frame column; ``{side}`` in the name is this stride's side."""
        return self.frames[name.format(side=self.side)]

    def at(self, name: str, time_s: float) -> float:
        return value_at(self.t, self.signal(name), time_s)

    def peak(self, name: str, a: float, b: float, **kw) -> tuple[float, float]:
        key = (name, a, b, tuple(sorted(kw.items())))
        if key not in self.cache:
            self.cache[key] = peak_in(self.t, self.signal(name), a, b, **kw)
        return self.cache[key]

    def window(self, name: str, a: float, b: float) -> np.ndarray:
        return window(self.t, self.signal(name), a, b)

    def pct_cycle(self, time_s: float) -> float:
        """A time within the stride as % of the stride from its IC."""
        return 100.0 * (time_s - self.ic_s) / self.stride_time_s

    # peaks shared by several metrics
    def hip_flexion_swing_peak(self) -> tuple[float, float]:
        return self.peak("{side}_hip_flexion_deg", self.to_s, self.next_ic_s)

    def pelvis_timing(self) -> dict:
        """The pelvis's forward oscillation against the swing thigh over this stride
        (``pelvis_timing``), computed once per stride."""
        if "pelvis_timing" not in self.cache:
            self.cache["pelvis_timing"] = pelvis_timing(
                self.t,
                self.signal("pelvis_vx_legs_per_s"),
                self.signal("{side}_thigh_angular_velocity_deg_per_s"),
                self.ic_s,
                self.next_ic_s,
            )
        return self.cache["pelvis_timing"]


#: Pelvis timing (``pelvis_timing``): the pelvis surge is taken 5-55 % of the stride
#: after the thigh's phase. The pelvis surges twice per stride (once per push-off), so
#: the lag is defined modulo half a stride; healthy runners (17-28 %, 13 Fukuchi
#: runners, docs/pelvis_timing.md) sit in the lower half and a late pelvis has room up
#: to 55 %. Below ``MIN_SURGE_R2`` the step sinusoid explains too little of the pelvis's
#: forward motion for its phase to mean anything (healthy runners with MediaPipe-like
#: noise 0.44-0.89, the synthetic fault at full strength 0.03-0.07): the lag is NaN and
#: the surge amplitude speaks for the fault.
LAG_WINDOW_PCT = (5.0, 55.0)
MIN_SURGE_R2 = 0.3
PHASE_POINTS = 100


def pelvis_timing(t, pelvis_vx, thigh_av, ic_s: float, next_ic_s: float) -> dict:
    """Pelvis-vs-swing-leg timing of one stride from its whole waveforms.

    Over the stride (IC -> next IC of the swing leg, resampled to ``PHASE_POINTS``
    phases) the swing thigh's angular velocity is fitted with its stride-frequency
    sinusoid and the pelvis point's forward velocity (treadmill frame) with its
    step-frequency sinusoid (one surge per push-off); ``lag`` = the phase of the pelvis
    surge that follows the thigh's by ``LAG_WINDOW_PCT`` minus the thigh's phase, as a
    fraction of the stride (BIOMECHANICS.md section 6: pelvis phase - thigh phase).
    Every sample contributes (harmonic analysis, Winter 2009 ch. 2; on the uniform phase
    grid the fitted phase is the lag of maximum cross-correlation with the sinusoid),
    so keypoint noise and a flat or double-humped peak, which made the earlier
    peak-to-peak definition jump between humps (per-stride SD 5-6 % of the stride with
    noise against 1.1-1.3 %, docs/pelvis_timing.md), hardly move it, and a constant
    error of the IC cancels. Also returned: ``thigh_phase`` and ``pelvis_phase`` (of the
    stride, from IC), ``surge`` (the pelvis oscillation's amplitude, leg lengths/s: how
    much the pelvis surges forward each step) and ``r2`` (the share of the pelvis
    velocity's variance the step sinusoid explains; below ``MIN_SURGE_R2`` ``lag`` is
    NaN).
    """
    th = cycle_normalised(t, thigh_av, ic_s, next_ic_s, PHASE_POINTS)
    pv = cycle_normalised(t, pelvis_vx, ic_s, next_ic_s, PHASE_POINTS)
    th_peak, _, _ = harmonic(th, 1)
    pv_peak, surge, r2 = harmonic(pv, 2)
    lo = LAG_WINDOW_PCT[0] / 100.0
    lag = float((pv_peak[0] - th_peak[0] - lo) % 0.5 + lo)
    if not (np.isfinite(r2[0]) and r2[0] >= MIN_SURGE_R2):
        lag = float("nan")
    return {
        "lag": lag,
        "thigh_phase": float(th_peak[0]),
        "pelvis_phase": float((th_peak[0] + lag) % 1.0),
        "surge": float(surge[0]),
        "r2": float(r2[0]),
    }


# ---------------------------------------------------------------- the metrics
# Timing (computed by strides.segment from the events)
_timing("stride_time_s", "stride time", "ms", 1000, 0, table=("stride", "ms"))
_timing("cadence_spm", "cadence", "steps/min", 1, 1, key_number=True, card=True)
_timing("contact_time_s", "contact time", "ms", 1000, 0, key_number=True, card=True,
        table=("contact", "ms"), left_right=True)  # fmt: skip
_timing("flight_time_s", "flight time", "ms", 1000, 0, key_number=True, left_right=True)
_timing("duty_factor", "duty factor", "% of stride", 100, 0, key_number=True,
        table=("duty", "%"))  # fmt: skip


@metric("overstride_legs", "overstride", "% leg length", 100, 1, key_number=True,
        table=("over-stride", "% leg"), left_right=True)  # fmt: skip
def overstride(s: StrideWindow) -> float:
    """Heel (ankle where the heel is missing) minus the pelvis point P, horizontal, at
    IC, in leg lengths; + = foot ahead of the pelvis."""
    if s.clean is None or s.pelvis_px is None:
        return float("nan")
    heel = point(s.clean, f"{s.side}_heel")
    ank = point(s.clean, f"{s.side}_ankle")
    foot_x = np.where(np.isfinite(heel[:, 0]), heel[:, 0], ank[:, 0])
    return value_at(s.t, (foot_x - s.pelvis_px[:, 0]) / s.legs_px, s.ic_s)


@metric("shank_angle_ic_deg", "shin angle at foot strike", "deg", 1, 1)
def shank_angle_ic(s: StrideWindow) -> float:
    return s.at("{side}_shank_angle_deg", s.ic_s)


@metric("knee_flexion_ic_deg", "knee bend at foot strike", "deg", 1, 1, key_number=True,
        table=("knee at strike", "°"), left_right=True)  # fmt: skip
def knee_flexion_ic(s: StrideWindow) -> float:
    return s.at("{side}_knee_flexion_deg", s.ic_s)


@metric("knee_flexion_midstance_deg", "knee bend at midstance", "deg", 1, 1, key_number=True,
        table=("knee mid-stance", "°"), left_right=True)  # fmt: skip
def knee_flexion_midstance(s: StrideWindow) -> float:
    """Peak knee flexion in stance (it occurs near midstance)."""
    return s.peak("{side}_knee_flexion_deg", s.ic_s, s.to_s)[1]


@metric("knee_flexion_swing_peak_deg", "peak knee bend in swing", "deg", 1, 0, left_right=True)
def knee_flexion_swing_peak(s: StrideWindow) -> float:
    return s.peak("{side}_knee_flexion_deg", s.to_s, s.next_ic_s)[1]


@metric("hip_flexion_ic_deg", "hip flexion at foot strike", "deg", 1, 1, key_number=True,
        table=("hip at strike", "°"), left_right=True, card=True)  # fmt: skip
def hip_flexion_ic(s: StrideWindow) -> float:
    return s.at("{side}_hip_flexion_deg", s.ic_s)


@metric("hip_flexion_midstance_deg", "hip flexion at midstance", "deg", 1, 1, key_number=True)
def hip_flexion_midstance(s: StrideWindow) -> float:
    """Hip flexion at the middle of the contact."""
    return s.at("{side}_hip_flexion_deg", 0.5 * (s.ic_s + s.to_s))


@metric("hip_flexion_swing_peak_deg", "peak hip flexion in swing", "deg", 1, 1)
def hip_flexion_swing_peak(s: StrideWindow) -> float:
    return s.hip_flexion_swing_peak()[1]


@metric("hip_extension_to_deg", "hip extension at toe-off", "deg", 1, 1, key_number=True,
        table=("hip ext. toe-off", "°"), left_right=True)  # fmt: skip
def hip_extension_to(s: StrideWindow) -> float:
    """Minus the thigh angle at TO (thigh behind vertical = +)."""
    return -s.at("{side}_thigh_angle_deg", s.to_s)


@metric("trunk_lean_mean_deg", "trunk lean (forward +)", "deg", 1, 1, key_number=True,
        table=("trunk lean", "°"))  # fmt: skip
def trunk_lean_mean(s: StrideWindow) -> float:
    return _mean(s.window("trunk_lean_deg", s.ic_s, s.next_ic_s))


@metric("pelvic_tilt_mean_deg", "estimated pelvic tilt (anterior +)", "deg", 1, 1,
        key_number=True, estimated=True)  # fmt: skip
def pelvic_tilt_mean(s: StrideWindow) -> float:
    return _mean(s.window("pelvic_tilt_est_deg", s.ic_s, s.next_ic_s))


@metric("pelvic_tilt_rom_deg", "estimated pelvic tilt range within a stride", "deg", 1, 1,
        key_number=True, estimated=True)  # fmt: skip
def pelvic_tilt_rom(s: StrideWindow) -> float:
    """5-95 % range of the estimated tilt within the stride; NaN when the tilt estimator
    does not measure within-stride motion (``frames.attrs["pelvic_tilt_dynamic"]``
    False, see gaitlens.pelvis)."""
    if not s.tilt_dynamic:
        return float("nan")
    return _pct_range(s.window("pelvic_tilt_est_deg", s.ic_s, s.next_ic_s))


@metric("pelvis_lag_ms", "pelvis lag behind swing thigh", "ms", 1, 0, key_number=True,
        table=("pelvis lag", "ms"), left_right=True, card=True)  # fmt: skip
def pelvis_lag_ms(s: StrideWindow) -> float:
    """Phase of the pelvis's forward surge minus phase of the swing thigh's forward
    swing (``pelvis_timing``), in ms (BIOMECHANICS.md section 6); + = pelvis later."""
    return 1000.0 * s.pelvis_timing()["lag"] * s.stride_time_s


@metric("pelvis_lag_pct", "pelvis lag behind swing thigh", "% of stride", 1, 1)
def pelvis_lag_pct(s: StrideWindow) -> float:
    """The pelvis lag in % of the stride time."""
    return 100.0 * s.pelvis_timing()["lag"]


@metric("pelvis_surge_legs_per_s", "pelvis forward surge per step", "leg lengths/s", 1, 2,
        key_number=True, left_right=True)  # fmt: skip
def pelvis_surge(s: StrideWindow) -> float:
    """Amplitude of the pelvis's forward-velocity oscillation at step frequency (treadmill
    frame, ``pelvis_timing``): how much the pelvis surges forward with each push-off;
    a pelvis that comes forward "little or not at all" (BIOMECHANICS.md section 1) has a
    small surge."""
    return s.pelvis_timing()["surge"]


@metric("pelvis_late_swing_excursion_legs", "pelvis forward travel in late swing",
        "% leg length", 100, 1, key_number=True, left_right=True)  # fmt: skip
def pelvis_late_swing_excursion(s: StrideWindow) -> float:
    """Forward travel of P (treadmill frame) from peak hip flexion in swing to the next
    IC; <= 0 means the pelvis did not come forward."""
    t_hf = s.hip_flexion_swing_peak()[0]
    return s.at("pelvis_x_legs", s.next_ic_s) - s.at("pelvis_x_legs", t_hf)


@metric("hamstring_stretch_peak_pct", "peak hamstring stretch", "% of standing length", 1, 1,
        key_number=True, table=("hamstring peak", "%"), left_right=True)  # fmt: skip
def hamstring_stretch_peak(s: StrideWindow) -> float:
    """Peak of the modelled hamstring stretch in swing (gaitlens.kinematics)."""
    return s.peak("{side}_hamstring_stretch_pct", s.to_s, s.next_ic_s)[1]


@metric("hamstring_stretch_peak_pct_cycle", "peak hamstring stretch at", "% of stride", 1, 0,
        key_number=True)  # fmt: skip
def hamstring_stretch_peak_time(s: StrideWindow) -> float:
    """Time of that peak as % of the cycle from IC (late swing ~85-100 %, Chumanov et
    al. 2011, Med Sci Sports Exerc 43:525-532)."""
    return s.pct_cycle(s.peak("{side}_hamstring_stretch_pct", s.to_s, s.next_ic_s)[0])


@metric("vertical_oscillation_legs", "vertical bounce", "% leg length", 100, 1, key_number=True)
def vertical_oscillation(s: StrideWindow) -> float:
    """Max - min of P's height within the stride."""
    y = s.window("pelvis_y_legs", s.ic_s, s.next_ic_s)
    y = y[np.isfinite(y)]
    return float(y.max() - y.min()) if len(y) >= 3 else np.nan


@metric("visibility_mean", "landmark visibility", "%", 100, 0, kind="quality",
        table=("visible", "%"))  # fmt: skip
def visibility_mean(s: StrideWindow) -> float:
    """Mean pose-model visibility of the stride's leg over the stride."""
    return _mean(s.window("{side}_visibility", s.ic_s, s.next_ic_s))


@metric("thigh_phase_pct_cycle", "swing thigh's forward swing peaks at", "% of stride", 1, 0,
        kind="diagnostic")  # fmt: skip
def thigh_phase(s: StrideWindow) -> float:
    """Peak of the thigh angular velocity's stride-frequency sinusoid (``pelvis_timing``)."""
    return 100.0 * s.pelvis_timing()["thigh_phase"]


@metric("pelvis_phase_pct_cycle", "pelvis forward surge peaks at", "% of stride", 1, 0,
        kind="diagnostic")  # fmt: skip
def pelvis_phase(s: StrideWindow) -> float:
    """Peak of the pelvis velocity's step sinusoid that the lag takes (``pelvis_timing``)."""
    return 100.0 * s.pelvis_timing()["pelvis_phase"]


@metric("pelvis_surge_r2", "pelvis surge fit (R²)", "", 1, 2, kind="diagnostic")
def pelvis_surge_r2(s: StrideWindow) -> float:
    """Share of the pelvis velocity's variance the step sinusoid explains (``pelvis_timing``)."""
    return s.pelvis_timing()["r2"]


@metric("hip_flexion_swing_peak_pct_cycle", "peak hip flexion in swing at", "% of stride", 1, 0,
        kind="diagnostic")  # fmt: skip
def hip_flexion_swing_peak_time(s: StrideWindow) -> float:
    return s.pct_cycle(s.hip_flexion_swing_peak()[0])


#: the kinematic metrics (summarised, judged by the fault rules), in registry order
METRIC_COLUMNS = tuple(n for n, m in METRICS.items() if m.kind == "kinematic")
#: every column ``measure`` computes, in order
COMPUTED_COLUMNS = tuple(n for n, m in METRICS.items() if m.compute is not None)
#: the full column list of a measured stride table (before any metre columns)
STRIDE_COLUMNS = (
    *("side", "stride", "ic_s", "to_s", "next_ic_s"), *TIMING_METRIC_COLUMNS, "quality",
    *COMPUTED_COLUMNS, "events_interpolated",
)  # fmt: skip
if tuple(n for n, m in METRICS.items() if m.kind == "timing") != TIMING_METRIC_COLUMNS:
    raise RuntimeError("the timing metrics must be the schema's timing columns")


def _mean(x):
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else float("nan")


def _pct_range(x, lo=5, hi=95):
    x = x[np.isfinite(x)]
    return float(np.percentile(x, hi) - np.percentile(x, lo)) if len(x) >= 3 else float("nan")


# ---------------------------------------------------------------- the table
def measure(valid_strides: pd.DataFrame, frames: pd.DataFrame, events=None, clean=None,
            config=None) -> pd.DataFrame:  # fmt: skip
    """The valid stride table plus every computed metric of ``METRICS``,
    ``events_interpolated`` (``quality`` kept) and, when a scale is known, metre columns
    (``stride_length_m`` from the belt speed; ``*_m`` from ``frames.attrs["m_per_leg"]``).
    """
    table = valid_strides.copy().reset_index(drop=True)
    t = frames["time_s"].to_numpy(float)
    col = {c: frames[c].to_numpy(float) for c in frames.columns if c != "frame"}
    legs = frames.attrs.get("leg_length_px") or (leg_length_px(clean) if clean else np.nan)
    p_abs = pelvis_point(clean)[0] if clean is not None else None
    # the within-stride tilt range is only reported where the estimator measures motion
    tilt_dynamic = bool(frames.attrs.get("pelvic_tilt_dynamic", True))
    computed = {name: m for name, m in METRICS.items() if m.compute is not None}
    rows = []
    for r in table.itertuples(index=False):  # strides, not frames
        s = StrideWindow(r.side, float(r.ic_s), float(r.to_s), float(r.next_ic_s), t, col,
                         events, clean, legs, p_abs, tilt_dynamic)  # fmt: skip
        rows.append({name: m.compute(s) for name, m in computed.items()})
    metrics = pd.DataFrame(rows, columns=list(computed))
    for c in computed:
        table[c] = metrics[c].to_numpy(float) if len(table) else np.zeros(0)
    if "events_interpolated" not in table.columns:
        table["events_interpolated"] = _interpolated_flags(table, events)
    if "quality" not in table.columns:
        table["quality"] = np.nan
    belt = getattr(config, "belt_speed_m_s", None) if config is not None else None
    belt = belt or frames.attrs.get("belt_speed_m_s")
    if belt:
        table["stride_length_m"] = float(belt) * table["stride_time_s"].to_numpy(float)
    m_per_leg = frames.attrs.get("m_per_leg")
    if m_per_leg:
        for c in ("overstride", "vertical_oscillation", "pelvis_late_swing_excursion"):
            table[f"{c}_m"] = table[f"{c}_legs"] * m_per_leg
    return table


def _interpolated_flags(table: pd.DataFrame, events) -> np.ndarray:
    """True where an event of the stride (IC, TO, next IC) was detected on gap-filled
    data: ``events.ic_interpolated`` / ``to_interpolated`` ({side: bool array aligned
    with ``ic_s`` / ``to_s``}, gaitlens.events). False where the events stage gives none.
    """
    out = np.zeros(len(table), dtype=bool)
    if events is None:
        return out
    flagged = []
    for kind in ("ic", "to"):
        times = getattr(events, f"{kind}_s", {}) or {}
        flags = getattr(events, f"{kind}_interpolated", {}) or {}
        for side, f in flags.items():
            f = np.asarray(f, bool)
            ts = np.asarray(times.get(side, []), float)
            if len(f) == len(ts) and f.any():
                flagged += [(side, x) for x in ts[f]]
    if not flagged:
        return out
    for i, r in enumerate(table.itertuples(index=False)):  # strides
        ev = (r.ic_s, r.to_s, r.next_ic_s)
        out[i] = any(sd == r.side and min(abs(x - e) for e in ev) < 1e-6 for sd, x in flagged)
    return out


def summarize(table: pd.DataFrame) -> dict:
    """Clip summary per kinematic metric, robust to a stray stride: ``median`` and
    ``robust_sd`` (1.4826 x MAD) with the descriptive ``mean`` and ``sd`` beside them,
    ``n``, ``cv`` (stride-to-stride variability, robust SD / |median|), the left and
    right medians, their difference and the symmetry index (100 (L - R) / mean(|L|, |R|),
    Robinson et al. 1987, J Manipulative Physiol Ther 10:172-176). CV and symmetry index
    are NaN where the median is near zero.
    """
    metrics = [n for n, m in METRICS.items() if m.kind == "kinematic" and n in table.columns]
    out = {"n_strides": int(len(table)), "metrics": {}}
    if "side" in table.columns:
        out["n_strides_by_side"] = {s: int((table["side"] == s).sum()) for s in SIDES}
    for c in metrics:
        x = table[c].to_numpy(float)
        x = x[np.isfinite(x)]
        med = float(np.median(x)) if len(x) else float("nan")
        rsd = robust_sd(x) if len(x) > 1 else float("nan")
        d = {
            "median": med,
            "robust_sd": rsd,
            "mean": float(x.mean()) if len(x) else float("nan"),
            "sd": float(x.std(ddof=1)) if len(x) > 1 else float("nan"),
            "n": int(len(x)),
            "cv": rsd / abs(med) if len(x) > 1 and abs(med) > 1e-6 else float("nan"),
        }
        sides = {}
        for s in SIDES:
            v = table.loc[table.get("side") == s, c].to_numpy(float) if "side" in table else []
            v = v[np.isfinite(v)] if len(v) else np.zeros(0)
            sides[s] = float(np.median(v)) if len(v) else float("nan")
        d["left_median"], d["right_median"] = sides["left"], sides["right"]
        diff = sides["left"] - sides["right"]
        d["lr_diff"] = diff
        denom = 0.5 * (abs(sides["left"]) + abs(sides["right"]))
        d["symmetry_index_pct"] = 100.0 * diff / denom if denom > 1e-6 else float("nan")
        out["metrics"][c] = d
    return out
