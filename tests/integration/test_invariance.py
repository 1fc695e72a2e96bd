"""Same run, same answer (issue 20): the shared real clip, its mirrored copy, its halves
and a copy rotated by 3 deg (the camera levelled by the scene's vertical).

The assertions are the issue's targets, not today's levels. Those the current code does
not meet are marked ``xfail(strict=False)`` with the measured values in the reason;
remove the mark when the fix lands (bench/invariance.py gives the full picture:
docs/reliability.md). Copies are made and analysed exactly as bench/invariance.py does
(x264 crf 18, pose with one worker). Pose tracks are cached for the test session, or
across sessions in ``$GAITLENS_INVARIANCE_CACHE`` when set (the bench's cache, e.g.
``/work/cache/invariance``, makes this module take seconds). Skips when ../shared is
absent.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tests.conftest import REAL_VIDEO, shared_file

pytestmark = pytest.mark.slow

COPIES = ("original", "mirrored", "first_half", "second_half", "rot_cw3")


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """Per copy: the harness record (valid strides, cadence, medians, findings)."""
    import os

    pytest.importorskip("imageio_ffmpeg")
    clip = shared_file(REAL_VIDEO)
    import gaitlens.io.video as gv
    from bench import invariance as inv

    saved = inv.CACHE
    if not os.environ.get("GAITLENS_INVARIANCE_CACHE"):
        inv.CACHE = tmp_path_factory.mktemp("invariance")
    try:
        m = gv.probe(clip)
        specs = {s.name: s for s in inv.copy_specs(m.width_px, m.height_px, m.nominal_fps,
                                                   m.frame_count)}  # fmt: skip
        # two copies at a time: x264 and the pose graph each keep about one core busy
        # (pose with one worker per copy, as the bench: deterministic)
        with ThreadPoolExecutor(max_workers=2) as ex:
            tracks = list(
                ex.map(lambda n: inv.copy_track(clip, specs[n], log=lambda *a: None)[0], COPIES)
            )
        out = {}
        for name, track in zip(COPIES, tracks):
            analysis, err = inv.analyse(track)
            out[name] = inv.record(analysis, err, keep_strides=False)
    finally:
        inv.CACHE = saved
    return out


def test_every_copy_is_analysed(records):
    for name in COPIES:
        assert records[name]["ok"], f"{name}: {records[name]['error']}"
    assert records["original"]["facing"] == "left"
    assert records["mirrored"]["facing"] == "right"


def test_mirrored_keeps_valid_strides(records):
    """Valid strides of the mirrored copy >= 85 % of the original's (measured with the
    flip test: 28 of 30, limit 25.5)."""
    n0, n1 = records["original"]["n_valid"], records["mirrored"]["n_valid"]
    assert n1 >= 0.85 * n0, f"mirrored {n1} vs original {n0} valid strides"


def test_halves_keep_valid_strides(records):
    n0 = records["original"]["n_valid"]
    for name in ("first_half", "second_half"):
        assert records[name]["n_valid"] >= 0.85 * n0 / 2, name


def test_cadence_within_half_a_step_per_minute(records):
    """The whole clip and its mirrored copy: within 0.5 spm of the pixel-measured 168.9."""
    from bench.invariance import CADENCE_TOL_SPM, REAL_CADENCE_SPM

    for name in ("original", "mirrored"):
        got = records[name]["cadence_spm"]
        assert abs(got - REAL_CADENCE_SPM) <= CADENCE_TOL_SPM, (name, round(got, 2))


def test_the_labels_cadence_changes_between_halves():
    """The runner's own cadence is not the same in both halves (hand labels, IC and TO:
    168.1 +- 0.3 and 169.9 +- 0.2 spm; 168.7 over the clip, against the 168.9 +- 0.5
    measured from raw pixels), so each half is judged against its own labels."""
    from bench.events_real_video import labelled_cadence

    shared_file(REAL_VIDEO)
    (first, se1), (second, se2) = labelled_cadence(0.0, 6.0), labelled_cadence(6.0, 12.0)
    assert second - first > 3 * np.hypot(se1, se2), (first, second)
    assert max(se1, se2) < 0.35
    assert abs(labelled_cadence()[0] - 168.9) < 0.5


def test_cadence_of_each_half_against_its_own_labels(records):
    """Each 6 s half (7 strides a leg) within 0.5 spm of its own labelled cadence."""
    from bench.events_real_video import labelled_cadence
    from bench.invariance import CADENCE_TOL_SPM

    for name, (a, b) in (("first_half", (0.0, 6.0)), ("second_half", (6.0, 12.0))):
        got, (want, _se) = records[name]["cadence_spm"], labelled_cadence(a, b)
        assert abs(got - want) <= CADENCE_TOL_SPM, (name, round(got, 2), round(want, 2))


def test_the_labels_contact_time_changes_between_halves():
    """The runner's labelled contact time grows from the first half to the second (0.229
    -> 0.256 s, both legs), beyond the labels' own +-1 frame; over the clip it is the
    data README's 0.244 s (near) / 0.237 s (far)."""
    from bench.events_real_video import labelled_contact_time

    shared_file(REAL_VIDEO)
    first, second = labelled_contact_time(0.0, 6.0), labelled_contact_time(6.0, 12.0)
    (a, sa, _), (b, sb, _) = first["pooled"], second["pooled"]
    assert b - a > 3 * np.hypot(sa, sb), (a, b)
    whole = labelled_contact_time()
    assert abs(whole["near"][0] - 0.244) < 0.001 and abs(whole["far"][0] - 0.237) < 0.001
    assert whole["pooled"][2] == first["pooled"][2] + second["pooled"][2]


@pytest.mark.xfail(
    strict=False,
    reason="issue 20: the halves' pooled contact time differs by +8 ms (near +10, far +7) "
    "where the labels say +27 +- 7: the tool's contact time hardly follows the labelled "
    "change (one pass without the flip test: +19, within 15 ms of it)",
)
def test_contact_time_of_the_halves_follows_the_labels(records):
    """Pooled over both legs, the halves' contact-time difference within 15 ms of the
    labels' own (see docs/reliability.md)."""
    from bench.events_real_video import labelled_contact_time

    got = [records[n]["metrics"]["contact_time_s"]["pooled"] for n in ("first_half",
                                                                       "second_half")]  # fmt: skip
    want = [labelled_contact_time(*span)["pooled"][0] for span in ((0.0, 6.0), (6.0, 12.0))]
    off_ms = 1000.0 * ((got[1] - got[0]) - (want[1] - want[0]))
    assert abs(off_ms) <= 15.0, round(off_ms, 1)


def _lag(records, name, leg):
    return records[name]["metrics"]["pelvis_lag_ms"][leg]


def test_pelvis_timing_mirrored(records):
    for leg in ("near", "far", "pooled"):
        a, b = _lag(records, "original", leg), _lag(records, "mirrored", leg)
        assert abs(a - b) <= 25.0, f"{leg}: {a:.0f} vs {b:.0f} ms"


def test_pelvis_timing_halves(records):
    for leg in ("near", "far", "pooled"):
        a, b = _lag(records, "first_half", leg), _lag(records, "second_half", leg)
        assert abs(a - b) <= 25.0, f"{leg}: {a:.0f} vs {b:.0f} ms"


def _findings_agree(records, names):
    from bench.invariance import FAULTS, SCORE_SPREAD

    problems = []
    for fid in FAULTS:
        got = [records[n]["findings"][fid] for n in names]
        sev = {g["severity"] for g in got}
        conf = {g["confidence"] for g in got}
        scores = [g["score"] for g in got]
        if len(sev) > 1 or len(conf) > 1 or np.ptp(scores) > SCORE_SPREAD:
            problems.append((fid, sorted(sev), sorted(conf), round(float(np.ptp(scores)), 2)))
    return problems


#: why the findings of the halves may differ: measured, docs/reliability.md
_AT_THE_LINE = (
    "issue 20: both faults sit at a confidence line. pelvis_lag: the near leg's lag (32.2 % "
    "of the stride on the whole clip, 33.5 % on the first half, 32.1 % on the second) lies "
    "at the healthy band's edge; the first half's resamples put it beyond in 86 % (mild, "
    "medium), the second half's in 72 % (no verdict). pelvis_back_hips_flexed: none "
    "everywhere, its p_fault 0.16-0.22 over copies and halves against the 0.20 that "
    "separates medium from no verdict (first half 0.215: no verdict; second 0.163: medium)"
)


def test_findings_same_on_mirrored(records):
    """With the flip test (gaitlens.pose.flip) a clip and its mirror image give the same
    landmarks up to encoding: same severities and confidence levels (pelvis_lag p_fault
    0.80 / 0.73, no verdict; pelvis_back_hips_flexed 0.18 / 0.19, none at medium)."""
    assert not _findings_agree(records, ("original", "mirrored"))


@pytest.mark.xfail(strict=False, reason=_AT_THE_LINE)
def test_findings_same_on_halves(records):
    assert not _findings_agree(records, ("first_half", "second_half"))


def test_a_rotated_camera_is_levelled_by_the_scene(records):
    """The copy rotated 3 deg clockwise: the scene's vertical (cupboard and wall edges)
    follows the rotation, so trunk lean and the shin angle at strike stay put."""
    o, r = records["original"], records["rot_cw3"]
    assert o["levelled"] and r["levelled"], "both copies levelled"
    assert r["level_deg"] - o["level_deg"] == pytest.approx(3.0, abs=0.5)
    for m, tol in (("trunk_lean_mean_deg", 1.5), ("shank_angle_ic_deg", 3.0)):
        a, b = o["metrics"][m]["pooled"], r["metrics"][m]["pooled"]
        assert abs(a - b) <= tol, f"{m}: {a:.1f} vs {b:.1f} deg"
