"""From a raw ``PoseTrack`` to a clean track in the analysis frame.

Steps, in order (each a small tunable object, gaitmap style):

1. detection check (``NoRunnerDetectedError``), facing direction, near leg, leg length;
2. side-view check (``ViewCheck``; ``NotSideViewError``);
3. left/right leg swap repair (``SwapRepair``, Viterbi over "as labelled" / "swapped");
4. outlier rejection (``HampelOutliers``), low-visibility points dropped;
5. short gap filling (``GapFiller``, <= 0.15 s, Pose2Sim/Sports2D default range);
6. zero-lag Butterworth low-pass (``LowPass``, scipy.signal.sosfiltfilt);
7. activity: running / walking / standing (``ActivityClassifier``; ``NotRunningError``).

Before step 3, the time base is checked: a rhythm too slow for running that fits running
at a slow-motion factor (``SlowMotionCheck``, on the points as the model gave them;
``SlowMotionError`` names the ``--capture-fps`` rerun).

Variable frame rate: irregular timestamps are first resampled to a uniform grid
(``UniformResampler``); the steps run there and the result is mapped back to the input
frames (``CleanTrack.uniform`` keeps the grid version, which ``events.detect`` uses).

Analysis frame (BIOMECHANICS.md section 2): x = the runner's direction of travel,
y = up, pixels, origin at the clip's median hip midpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import NoRunnerDetectedError, NotRunningError, NotSideViewError, SlowMotionError
from ..io.track import PoseTrack
from ..pose.skeleton import LEG_POINTS
from ..pose.vertical import VerticalEstimate
from ..schema import SIDES
from ..signals import leg_length_px, nanmean_rows
from .checks import ActivityClassifier, CameraYaw, ViewCheck
from .filters import LowPass, UniformResampler
from .repairs import FootCollapseRepair, GapFiller, HampelOutliers, SwapRepair
from .rhythm import SlowMotionCheck, slow_motion_message
from .track import CleanTrack, image_to_analysis

#: landmarks carried into the clean track
USED_POINTS: tuple[str, ...] = (
    "nose",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
) + tuple(f"{s}_{p}" for s in SIDES for p in LEG_POINTS)


@dataclass
class CleaningConfig:
    swap: SwapRepair = field(default_factory=SwapRepair)
    collapse: FootCollapseRepair = field(default_factory=FootCollapseRepair)
    outliers: HampelOutliers = field(default_factory=HampelOutliers)
    gaps: GapFiller = field(default_factory=GapFiller)
    lowpass: LowPass = field(default_factory=LowPass)
    view: ViewCheck = field(default_factory=ViewCheck)
    yaw: CameraYaw = field(default_factory=CameraYaw)
    activity: ActivityClassifier = field(default_factory=ActivityClassifier)
    slow_motion: SlowMotionCheck = field(default_factory=SlowMotionCheck)
    resample: UniformResampler = field(default_factory=UniformResampler)
    min_visibility: float = 0.2
    min_detected_fraction: float = 0.5
    min_detected_frames: int = 20
    raise_on_walking: bool = True
    raise_on_slow_motion: bool = True
    raise_on_front_view: bool = True
    #: level the analysis frame by the scene's vertical when the pose stage found one
    #: (``track.video["vertical"]``, ``gaitlens.pose.vertical``)
    level_with_scene: bool = True


def _resolve(config) -> CleaningConfig:
    """A ``CleaningConfig``, an ``AnalysisConfig`` (its ``cleaning_config()``) or None."""
    if config is None:
        return CleaningConfig()
    if isinstance(config, CleaningConfig):
        return config
    return config.cleaning_config()


def camera_yaw_warnings(view: dict, check: CameraYaw) -> list:
    """The warning for a camera turned from the side view (``CameraYaw`` verdict)."""
    verdict = view.get("camera_yaw_verdict")
    if verdict not in ("warn", "refuse"):
        return []
    mag = float(view["camera_yaw_abs_deg"])
    where = check.direction_text(view.get("camera_yaw_direction", ""))
    text = (
        f"the camera looks turned about {mag:.0f} deg {where} from the side view "
        f"(estimated from the shoulders, about ±{check.error_deg:.0f} deg); "
    )
    if verdict == "refuse":
        text += (
            f"beyond about {check.refuse_true_deg:.0f} deg the hip and knee angles are off by "
            "more than twice their stated accuracy, so the findings are not judged"
        )
    else:
        text += (
            f"from about {check.warn_true_deg:.0f} deg the hip and knee angles are off by more "
            "than their stated accuracy"
        )
    return [text + "; film with the camera square to the treadmill, level with the hips"]


# ---------------------------------------------------------------------- main
def clean(track: PoseTrack, config=None) -> CleanTrack:
    """Clean a raw pose track (see module docstring); raises the named errors."""
    cfg = _resolve(config)
    if cfg.resample.irregular(track.time_s):  # variable frame rate: clean on a uniform grid
        grid_track = cfg.resample.to_grid(track)
        return cfg.resample.to_frames(clean(grid_track, cfg), track)
    fs = track.sampling_rate_hz
    n = track.n_frames
    warnings: list[str] = []
    img = {name: track.point(name).copy() for name in USED_POINTS}
    vis = {name: track.vis(name).copy() for name in USED_POINTS}

    core = ["left_hip", "right_hip", "left_knee", "right_knee"]
    det = np.all([np.isfinite(img[c]).all(axis=1) for c in core], axis=0)
    if det.sum() < cfg.min_detected_frames or det.mean() < cfg.min_detected_fraction:
        raise NoRunnerDetectedError(
            f"a person was found in only {det.sum()} of {n} frames; film the whole runner "
            "from the side, well lit, with the body fully in the frame."
        )
    if det.mean() < 0.8:
        warnings.append(f"the runner is detected in only {100 * det.mean():.0f}% of frames")

    leg_img = max(leg_length_px(img, s) for s in SIDES)
    view = cfg.view.score(img, leg_img)
    if view["verdict"] == "front" and cfg.raise_on_front_view:
        raise NotSideViewError(
            f"the shoulders are {view['shoulder_spread_legs']:.2f} leg lengths apart in the "
            "image: this looks like a front or back view. Film the runner from the side, "
            "camera at hip height, perpendicular to the treadmill."
        )
    if view["verdict"] != "side":
        warnings.append(
            f"the view is not a clean side view (score {view['side_view_score']:.2f}); "
            "angles and events are less reliable"
        )

    # facing: toes point in the direction of travel (heel -> toe), nose in front of ears
    foot_dir = np.nanmedian(
        np.concatenate([img[f"{s}_foot_index"][:, 0] - img[f"{s}_heel"][:, 0] for s in SIDES])
    )
    ear_mid = nanmean_rows([img["left_ear"][:, 0], img["right_ear"][:, 0]])
    nose_dir = np.nanmedian(img["nose"][:, 0] - ear_mid)
    votes = np.sign(foot_dir) * 2 + (np.sign(nose_dir) if np.isfinite(nose_dir) else 0)
    facing = "right" if votes > 0 else "left"
    if np.isfinite(nose_dir) and np.sign(nose_dir) != np.sign(foot_dir):
        warnings.append("facing direction uncertain (feet and head disagree)")

    # analysis frame, levelled by the scene's vertical when one was found
    hip_mid = 0.5 * (img["left_hip"] + img["right_hip"])
    origin = np.nanmedian(hip_mid, axis=0)
    vertical = VerticalEstimate.from_dict(track.video.get("vertical"))
    level_deg = vertical.angle_deg if (vertical.applied and cfg.level_with_scene) else 0.0
    pts = {name: image_to_analysis(a, origin, facing, level_deg) for name, a in img.items()}

    # a rhythm too slow for running that fits running at a slow-motion factor: the
    # timestamps are not real time. Checked on the points as the model gave them, before
    # any step that works in seconds (swap repair, outliers, gaps, low-pass) and before
    # the activity check, which a slow-motion clip would fail
    given = (track.video.get("time_base") or {}).get("source") in ("given", "metadata")
    rhythm = cfg.slow_motion.check(pts, fs, leg_img, given=given)
    if rhythm["verdict"] and cfg.raise_on_slow_motion:
        raise SlowMotionError(slow_motion_message(rhythm, fs, track.video))

    # swap repair before anything that trusts the labels
    swapped = cfg.swap.repair(pts, vis, leg_img, fs)

    # near side: the leg the model sees better
    leg_vis = {
        sd: float(np.nanmean([np.nanmean(vis[f"{sd}_{p}"]) for p in LEG_POINTS[1:]]))
        for sd in SIDES
    }
    near = max(SIDES, key=lambda sd: leg_vis[sd])
    if abs(leg_vis["left"] - leg_vis["right"]) < 0.05:
        warnings.append("near leg uncertain: both legs are equally visible")
    # Anatomical labels from geometry: a runner moving image-right shows an un-mirrored
    # camera their right side (moving image-left: their left side). Pose models guess
    # left/right from appearance and can get it backwards in side views, consistently
    # over a clip; once the legs are continuous (swap repair), relabel them as a whole.
    geometric_near = "right" if facing == "right" else "left"
    if near != geometric_near and abs(leg_vis["left"] - leg_vis["right"]) >= 0.05:
        for p in LEG_POINTS + ("shoulder", "ear"):
            a, b = f"left_{p}", f"right_{p}"
            if a in pts and b in pts:
                pts[a], pts[b] = pts[b], pts[a]
                vis[a], vis[b] = vis[b], vis[a]
        leg_vis = {"left": leg_vis["right"], "right": leg_vis["left"]}
        near = geometric_near
        relabelled = True
    else:
        relabelled = False

    # the swinging foot drawn onto the stance foot: remove it there (gap-filled below)
    collapsed = cfg.collapse.repair(pts, vis, leg_img, fs)

    # outliers and low visibility
    n_out = 0
    for name in pts:
        low = vis[name] < cfg.min_visibility
        m = cfg.outliers.mask(pts[name], fs, leg_img) | (low & np.isfinite(pts[name][:, 0]))
        n_out += int(m.sum())
        pts[name][m] = np.nan
    n_fill = 0
    interp = {}
    for name in pts:
        before = ~np.isfinite(pts[name]).all(axis=1)
        pts[name], k = cfg.gaps.fill(pts[name], fs)
        interp[name] = before & np.isfinite(pts[name]).all(axis=1)
        n_fill += k
    unfiltered = {k: v.copy() for k, v in pts.items()}
    filt = {k: cfg.lowpass.apply(v, fs) for k, v in pts.items()}
    leg_px = leg_length_px(filt, near)
    if not np.isfinite(leg_px):
        leg_px = leg_img

    # camera turned from the side view: needs the near/far labels settled (above)
    backend = str((track.backend or {}).get("name", ""))
    view = {**view, **cfg.yaw.estimate(filt, near, leg_px, backend)}
    warnings += camera_yaw_warnings(view, cfg.yaw)

    act = cfg.activity.classify(filt, fs, leg_px)
    if act.get("segment_fraction", 1.0) < 0.9:
        warnings.append(
            "the pose model jumps between positions (another person in the frame?); "
            f"activity judged on the longest steady {100 * act['segment_fraction']:.0f}%"
        )
    if act.get("ambiguous"):
        warnings.append(f"running vs walking is ambiguous; classified as {act['activity']}")
    if act["activity"] in ("walking", "standing") and cfg.raise_on_walking:
        raise NotRunningError(
            f"the person appears to be {act['activity']}, not running: the hips rise and "
            "fall out of phase with running (correlation of hip height with foot spread "
            f"{act['hip_spread_corr']:+.2f}; running is positive). gaitlens analyses "
            "running; film a run on the treadmill."
        )

    missing = {k: float(np.mean(~np.isfinite(v).all(axis=1))) for k, v in filt.items()}
    quality = {
        "detected_fraction": float(det.mean()),
        "swapped_fraction": float(swapped.mean()),
        "foot_collapse_frames": int(collapsed.sum()),
        "outlier_fraction": n_out / max(1, n * len(pts)),
        "missing_after_fill": missing,
        "leg_visibility": leg_vis,
        "legs_relabelled_from_geometry": relabelled,
        "vertical": {**vertical.to_dict(), "level_deg": level_deg},
        **{f"activity_{k}": v for k, v in act.items() if k != "activity"},
        **{f"rhythm_{k}": rhythm[k] for k in ("cadence_spm", "hip_spread_corr", "double_support")},
    }
    return CleanTrack(
        time_s=track.time_s.copy(),
        sampling_rate_hz=fs,
        points=filt,
        visibility=vis,
        facing=facing,
        near_side=near,
        leg_length_px=float(leg_px),
        activity=act["activity"],
        view=view,
        swaps_repaired=np.flatnonzero(swapped),
        gaps_filled=n_fill,
        outliers_removed=n_out,
        cutoff_hz=cfg.lowpass.cutoff_for(fs),
        warnings=warnings,
        quality=quality,
        silhouette=None if track.silhouette is None else track.silhouette.copy(),
        silhouette_names=tuple(track.silhouette_names),
        points_unfiltered=unfiltered,
        interpolated=interp,
        origin_px=(float(origin[0]), float(origin[1])),
        frame_size_px=tuple(track.frame_size_px),
        level_deg=float(level_deg),
    )
