"""Batch over real clips (MediaPipe): two bundled sample runners + one corrupt file + one
non-video file with a video name. The good clips succeed, the bad ones are listed with
their reasons, the exit code signals partial failure, ``--resume`` does no pose work,
and a local Dask cluster gives the same summary as the local process pool. Each frame
is posed once (``--no-flip-test``): the batch machinery is tested here, and the flip
test would double the pose time (tests/integration/test_flip_test.py tests it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from gaitlens import batch, cli

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"


def _render_clips(folder):
    """The batch's input folder. The good clips are the bundled 8 s samples: the batch
    machinery is tested here, not how few frames a clip can have (5 s renders at 30 fps
    and 360x480 gave 2-7 valid strides depending on the video encoder's build)."""
    shutil.copy(SAMPLES / "normal.mp4", folder / "runner_a.mp4")
    (folder / "group").mkdir()
    shutil.copy(SAMPLES / "pelvis_back_hips_flexed.mp4", folder / "group" / "runner b.mp4")
    good = (folder / "runner_a.mp4").read_bytes()
    (folder / "corrupt.mp4").write_bytes(good[: len(good) // 40])  # cut off early
    (folder / "group" / "notes.mov").write_text("not a video, just a text file\n")
    (folder / "readme.txt").write_text("ignored: not a video extension\n")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch_clips")
    _render_clips(d)
    return d


@pytest.fixture(scope="module")
def first_run(clips, tmp_path_factory):
    """``gaitlens batch`` with two workers."""
    out = tmp_path_factory.mktemp("batch_out") / "out"
    code = cli.main(
        ["batch", str(clips), "-o", str(out), "-j", "2", "--no-video", "--no-flip-test", "-q"]
    )
    return code, out


GOOD = ("group/runner b.mp4", "runner_a.mp4")
BAD = ("corrupt.mp4", "group/notes.mov")


def test_good_clips_succeed_bad_ones_listed_with_reasons(first_run):
    code, out = first_run
    assert code == batch.EXIT_PARTIAL
    df = batch.read_summary(out)
    assert sorted(df["path"]) == sorted(GOOD + BAD)  # readme.txt is not a video
    st = df.set_index("path")
    for p in GOOD:
        assert st.loc[p, "status"] == "ok", st.loc[p, "reason"]
        assert st.loc[p, "n_strides"] >= 4
        assert 150 < st.loc[p, "cadence_spm"] < 190  # rendered at 170 steps/min
        assert (out / st.loc[p, "report"]).is_file()
        for f in ("pelvis_lag", "pelvis_back_hips_flexed", "pelvic_tilt_suppressed"):
            assert st.loc[p, f"{f}_severity"] in ("none", "mild", "marked")
            assert st.loc[p, f"{f}_confidence"] in ("low", "medium", "high")
    for p in BAD:
        assert st.loc[p, "status"] == "failed"
        reason = st.loc[p, "reason"]
        assert reason.startswith(p + ":") and "internal error" not in reason, reason
        assert "\n" not in reason
    html = (out / batch.INDEX_FILE).read_text()
    for p in GOOD:
        assert f'href="{st.loc[p, "report"]}"' in html
    assert "Failed clips" in html and "corrupt.mp4" in html


def test_resume_does_no_pose_work(first_run, clips, monkeypatch):
    _, out = first_run
    tracks = sorted(out.rglob("pose_track.npz"))
    assert len(tracks) == 2
    before = {p: p.stat().st_mtime_ns for p in tracks}

    def no_pose(*a, **k):
        raise AssertionError("pose ran during --resume")

    # -j 1 runs in this process, so the patch is seen by every clip
    monkeypatch.setattr("gaitlens.pipeline.run_pose", no_pose)
    code = cli.main(
        ["batch", str(clips), "-o", str(out), "-j", "1", "--no-video", "--no-flip-test", "--resume"]
    )
    assert code == batch.EXIT_PARTIAL
    df = batch.read_summary(out).set_index("path")
    assert all(df.loc[p, "status"] == "skipped" for p in GOOD)
    assert all(df.loc[p, "status"] == "failed" for p in BAD)  # retried, failed again
    assert {p: p.stat().st_mtime_ns for p in tracks} == before
    # --force analyses again, still from the saved pose tracks (same pose options)
    code = cli.main(
        ["batch", str(clips), "-o", str(out), "-j", "1", "--no-video", "--no-flip-test", "--force"]
    )
    assert code == batch.EXIT_PARTIAL
    again = batch.read_summary(out).set_index("path")
    assert all(again.loc[p, "status"] == "ok" for p in GOOD)


def test_dask_local_cluster_gives_identical_summary(first_run, clips, tmp_path):
    distributed = pytest.importorskip("distributed")
    _, out = first_run
    local = batch.read_summary(out)
    shutil.rmtree(tmp_path / "dask", ignore_errors=True)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        code = cli.main(
            [
                "batch",
                str(clips),
                "-o",
                str(tmp_path / "dask"),
                "--no-video",
                "--no-flip-test",
                "-q",
            ]
            # one pose graph per clip, as each worker of the two-process local pool ran
            + ["--pose-workers", "1", "--scheduler", cluster.scheduler_address]
        )
    assert code == batch.EXIT_PARTIAL
    via_dask = batch.read_summary(tmp_path / "dask")
    local = local.assign(status=local["status"].replace("skipped", "ok"))
    pd.testing.assert_frame_equal(via_dask, local)


def test_unreachable_scheduler_is_one_line_error(clips, tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(batch.run, "DASK_CONNECT_TIMEOUT_S", 2.0)
    code = cli.main(
        ["batch", str(clips), "-o", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"]
    )
    err = capsys.readouterr().err
    assert code != 0 and "Dask scheduler" in err and len(err.strip().splitlines()) == 1
