"""gaitlens.batch with a cheap fake analysis injected through ``analyze_fn``: discovery,
output naming, resume/force, failure isolation, summary files, process pool, CLI."""

from __future__ import annotations

import argparse
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from gaitlens import batch
from gaitlens.config import AnalysisConfig
from gaitlens.errors import BackendUnavailableError, GaitlensError, OutputError, VideoReadError
from gaitlens.io.jsonsafe import json_safe

FAULTS = ("pelvis_lag", "pelvis_back_hips_flexed", "pelvic_tilt_suppressed")
CALLS_FILE = "fake_calls.txt"


def fake_analyze(video, config, *, outdir, progress, reuse_pose):
    """Stands in for ``pipeline.analyze``: numbers derived from the file's size, a
    ``VideoReadError`` for names containing "bad", a bug for "crash"."""
    name = Path(video).name
    if "bad" in name:
        raise VideoReadError(f"{video}: not a readable\n video (InvalidDataError).")
    if "crash" in name:
        raise ZeroDivisionError("a bug in the fake <stage>")
    if "die" in name:
        os._exit(3)  # the worker process dies
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / CALLS_FILE, "a") as fh:
        fh.write("call\n")
    size = Path(video).stat().st_size
    sev = ("none", "mild", "marked")
    data = {
        "video": {"path": str(video), "size_bytes": size, "duration_s": 1.0},
        "summary": {"cadence_spm": 150.0 + size, "contact_time_s": 0.2 + size / 1000},
        "strides": [{"cadence_spm": 1.0}] * (4 + size % 3),
        "faults": [
            {"id": f, "severity": sev[(size + i) % 3], "confidence": "high"}
            for i, f in enumerate(FAULTS)
        ],
        "config": json_safe(config.to_dict()),  # as Analysis.to_dict stores it
        "session": {
            "date": "2026-11-0" + str(size % 9 + 1),
            "belt_speed_legs_s": 3.5,
            "fps": 60.0,
            "leg_share_of_frame": 0.33,
            "side_view_score": 0.9,
            "near_side": "right",
        },  # fmt: skip
    }
    (out / "analysis.json").write_text(json.dumps(data))
    (out / "report.html").write_text("<html></html>")
    return None  # run_clip then reads analysis.json


def _write(p: Path, size: int) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"x" * size)
    return p


@pytest.fixture
def clips(tmp_path):
    d = tmp_path / "clips"
    _write(d / "alice" / "run one.MP4", 10)
    _write(d / "alice" / "run2.mov", 11)
    _write(d / "bob" / "easy.mp4", 12)
    _write(d / "bad_file.mp4", 5)
    _write(d / "crash.mkv", 6)
    _write(d / "notes.txt", 3)
    _write(d / ".hidden.mp4", 3)
    _write(d / ".cache" / "x.mp4", 3)
    return d


def _run(folder, out, **kw):
    kw.setdefault("jobs", 1)
    return batch.analyze_folder(folder, out, analyze_fn=fake_analyze, progress=False, **kw)


def _calls(out: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in out.rglob(CALLS_FILE))


# ----------------------------------------------------------------- discovery and naming
def test_discovery_recursive_case_insensitive_skips_hidden_and_outdir(clips):
    _write(clips / "results" / "alice" / "annotated.mp4", 4)  # this batch's output folder
    _write(clips / "alice" / "run2_gaitlens" / "annotated.mp4", 4)  # `gaitlens analyze` output
    _write(clips / "alice" / "run2_gaitlens" / "analysis.json", 2)
    _write(clips / "old_batch" / "x" / "annotated.mp4", 4)  # an earlier batch
    _write(clips / "old_batch" / "summary.csv", 2)
    _write(clips / "old_batch" / "index.html", 2)
    found = batch.discover_videos(clips, exclude=(clips / "results",))
    rel = [p.relative_to(clips).as_posix() for p in found]
    assert rel == [
        "alice/run one.MP4",
        "alice/run2.mov",
        "bad_file.mp4",
        "bob/easy.mp4",
        "crash.mkv",
    ]
    with pytest.raises(VideoReadError):
        batch.discover_videos(clips / "missing")


def test_plan_jobs_mirrors_paths_with_safe_unique_names(tmp_path):
    d = tmp_path / "in"
    names = ["a.mp4", "a.mov", "x y.mp4", "x_y.mp4", "sub/c.mp4", "sub.mp4", "summary.csv.mp4"]
    names += ["Ünï cödé!.mp4", "dir with space/..odd.MP4"]
    vids = [_write(d / n, 1) for n in names]
    jobs = batch.plan_jobs(sorted(vids), d, tmp_path / "out")
    outs = [j.rel_outdir for j in jobs]
    assert len({o.lower() for o in outs}) == len(outs)  # unique ignoring case
    by_src = {j.rel_path: j.rel_outdir for j in jobs}
    assert by_src["sub/c.mp4"] == "sub/c"
    assert by_src["sub.mp4"] != "sub"  # a clip folder never holds another clip's folder
    assert by_src["summary.csv.mp4"].lower() != "summary.csv"
    assert (by_src["a.mov"], by_src["a.mp4"]) == ("a", "a_mp4")  # sorted order decides
    assert by_src["dir with space/..odd.MP4"] == "dir_with_space/odd"
    for o in outs:
        assert re.fullmatch(r"[\w./-]+", o) and not any(p.startswith(".") for p in o.split("/"))
    for j in jobs:
        assert Path(j.outdir) == (tmp_path / "out").resolve().joinpath(*j.rel_outdir.split("/"))
    assert batch.safe_name("...") == "clip"


# ----------------------------------------------------------------- a batch
def test_failures_are_isolated_and_recorded_with_reasons(clips, tmp_path):
    out = tmp_path / "out"
    df = _run(clips, out)
    st = dict(zip(df["path"], df["status"]))
    assert st == {
        "alice/run one.MP4": "ok",
        "alice/run2.mov": "ok",
        "bad_file.mp4": "failed",
        "bob/easy.mp4": "ok",
        "crash.mkv": "failed",
    }
    reason = dict(zip(df["path"], df["reason"]))
    # the GaitlensError's own message, on one line, with the clip's relative path
    assert reason["bad_file.mp4"] == "bad_file.mp4: not a readable video (InvalidDataError)."
    assert reason["crash.mkv"].startswith("internal error: ZeroDivisionError: a bug")
    log = out / "crash" / batch.ERROR_LOG
    assert "Traceback" in log.read_text() and "crash/error.log" in reason["crash.mkv"]
    ok = df[df["status"] == "ok"].set_index("path")
    assert ok.loc["alice/run2.mov", "cadence_spm"] == pytest.approx(161.0)
    assert ok.loc["alice/run2.mov", "contact_time_s"] == pytest.approx(0.211)
    assert ok.loc["alice/run2.mov", "n_strides"] == 4 + 11 % 3
    assert ok.loc["alice/run2.mov", "pelvis_lag_severity"] == ("none", "mild", "marked")[11 % 3]
    assert ok.loc["bob/easy.mp4", "report"] == "bob/easy/report.html"
    assert (out / ok.loc["bob/easy.mp4", "report"]).is_file()
    assert df.attrs["ignored_files"] == ["notes.txt"]
    assert batch.exit_code(df) == batch.EXIT_PARTIAL


def test_summary_csv_round_trips_and_columns_are_fixed(clips, tmp_path):
    out = tmp_path / "out"
    df = _run(clips, out)
    cols = list(df.columns)
    assert cols[:6] == list(batch.BASE_COLUMNS) and cols[-2:] == list(batch.LINK_COLUMNS)
    for f in FAULTS:
        assert f"{f}_severity" in cols and f"{f}_confidence" in cols
    # what is needed to compare runners and sessions (issue 22)
    ok = df[df["status"] == "ok"]
    assert set(ok["session_date"]) <= {f"2026-11-0{k}" for k in range(1, 10)}
    assert (ok["speed_legs_per_s"] == 3.5).all() and (ok["fps"] == 60.0).all()
    assert {"leg_share_of_frame", "side_view_score", "near_side"} <= set(cols)
    back = batch.read_summary(out)
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    assert not list(out.glob(".*tmp"))  # no temporary files left behind
    mode = (out / batch.SUMMARY_FILE).stat().st_mode & 0o777
    assert mode == 0o666 & ~_current_umask()  # not mkstemp's private 0600


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_index_html_links_reports_shows_findings_and_failures(clips, tmp_path):
    out = tmp_path / "out"
    _run(clips, out)
    html = (out / batch.INDEX_FILE).read_text()
    assert 'href="alice/run_one/report.html"' in html and 'href="summary.csv"' in html
    assert "Failed clips" in html and "bad_file.mp4: not a readable video" in html
    assert "&lt;stage&gt;" in html and "<stage>" not in html  # autoescaped
    assert "sev-marked" in html and "notes.txt" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html


def test_resume_skips_done_clips_and_retries_failed(clips, tmp_path):
    out = tmp_path / "out"
    _run(clips, out)
    n_calls = _calls(out)
    assert n_calls == 3
    df2 = _run(clips, out, resume=True)
    assert _calls(out) == n_calls  # no clip analysed twice
    st = dict(zip(df2["path"], df2["status"]))
    assert st["bob/easy.mp4"] == "skipped" and st["bad_file.mp4"] == "failed"
    skipped = df2[df2["status"] == "skipped"]
    assert skipped["cadence_spm"].notna().all() and (skipped["reason"] == "already analysed").all()
    assert batch.exit_code(df2) == batch.EXIT_PARTIAL
    # a changed video or a changed configuration is analysed again
    _write(clips / "bob" / "easy.mp4", 13)
    df3 = _run(clips, out, resume=True)
    assert dict(zip(df3["path"], df3["status"]))["bob/easy.mp4"] == "ok"
    assert _calls(out) == n_calls + 1
    _run(clips, out, resume=True, runner_height_m=1.8)
    assert _calls(out) == n_calls + 4
    # a value that analysis.json stores rounded still matches
    _run(clips, out, resume=True, force=False, belt_speed_m_s=10 / 3)
    n_calls = _calls(out)
    _run(clips, out, resume=True, belt_speed_m_s=10 / 3)
    assert _calls(out) == n_calls


def test_existing_results_need_resume_or_force(clips, tmp_path):
    out = tmp_path / "out"
    _run(clips, out)
    n = _calls(out)
    with pytest.raises(OutputError, match="--resume"):
        _run(clips, out)
    assert _calls(out) == n
    df = _run(clips, out, force=True)
    assert _calls(out) == 2 * n and (df["status"] != "skipped").all()
    with pytest.raises(GaitlensError):
        _run(clips, out, resume=True, force=True)


def test_a_folder_without_videos_is_an_error(tmp_path):
    _write(tmp_path / "in" / "a.txt", 1)
    with pytest.raises(VideoReadError, match="no video files"):
        _run(tmp_path / "in", tmp_path / "out")


def test_any_executor_is_accepted_and_left_running(clips, tmp_path):
    ref = _run(clips, tmp_path / "ref")
    with ThreadPoolExecutor(2) as ex:
        df = _run(clips, tmp_path / "out", executor=ex)
        assert ex.submit(lambda: 1).result() == 1  # not shut down by the batch
    pd.testing.assert_frame_equal(df, ref)


def test_process_pool_gives_the_same_summary(clips, tmp_path):
    ref = _run(clips, tmp_path / "ref")
    df = _run(clips, tmp_path / "out", jobs=2)
    pd.testing.assert_frame_equal(df, ref)


def test_a_dying_worker_fails_its_clip_not_the_batch(tmp_path):
    d = tmp_path / "in"
    _write(d / "die.mp4", 1)
    _write(d / "fine.mp4", 1)
    _write(d / "fine2.mp4", 2)
    df = _run(d, tmp_path / "out", jobs=2).set_index("path")
    assert df.loc["die.mp4", "status"] == "failed"
    assert df.loc["die.mp4", "reason"] == batch.DIED
    # the clips that went down with the pool are run again and succeed
    assert (df.loc[["fine.mp4", "fine2.mp4"], "status"] == "ok").all()


def test_exit_codes():
    mk = lambda *s: pd.DataFrame({"status": list(s)})  # noqa: E731
    assert batch.exit_code(mk("ok", "skipped")) == 0
    assert batch.exit_code(mk("ok", "failed")) == batch.EXIT_PARTIAL == 10
    assert batch.exit_code(mk("failed", "failed")) == batch.EXIT_ALL_FAILED != 10


# ----------------------------------------------------------------- CLI
def _args(folder, out, **kw):
    base = dict(folder=str(folder), outdir=str(out), jobs=1, resume=False, force=False)
    base.update(scheduler=None, quiet=False, fresh_pose=False)
    base.update(kw)
    return argparse.Namespace(**base)


def test_run_batch_cli_prints_table_and_signals_partial_failure(
    clips, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(batch.run, "_default_analyze", fake_analyze)
    out = tmp_path / "out"
    code = batch.run_batch_cli(_args(clips, out), AnalysisConfig())
    text = capsys.readouterr().out
    assert code == batch.EXIT_PARTIAL
    assert "3 ok, 0 skipped, 2 failed" in text and "bad_file.mp4: not a readable video" in text
    assert "ignored 1 file(s) that are not videos: notes.txt" in text
    assert batch.run_batch_cli(_args(clips, out, resume=True, quiet=True), AnalysisConfig()) == 10
    assert capsys.readouterr().out == ""
    good = tmp_path / "good"
    _write(good / "a.mp4", 2)
    assert batch.run_batch_cli(_args(good, tmp_path / "o2"), AnalysisConfig()) == 0


def test_cli_entry_point_reaches_the_batch(clips, tmp_path, monkeypatch, capsys):
    from gaitlens import cli

    monkeypatch.setattr(batch.run, "_default_analyze", fake_analyze)
    code = cli.main(["batch", str(clips), "-o", str(tmp_path / "o"), "-j", "1", "-q"])
    assert code == batch.EXIT_PARTIAL
    assert (tmp_path / "o" / batch.SUMMARY_FILE).is_file()


def test_missing_dask_names_the_pip_command(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(BackendUnavailableError, match=r'pip install "gaitlens\[dask\]"'):
        batch.dask_client("tcp://127.0.0.1:1")


def test_format_table_is_short():
    df = batch.summary_frame(
        [
            {"path": "a" * 80 + ".mp4", "status": "ok", "reason": "", "cadence_spm": 170.04},
            {"path": "b.mp4", "status": "failed", "reason": "b.mp4: x " * 40},
        ]
    )
    lines = batch.format_table(df).splitlines()
    assert len(lines) == 3 and all(len(line) <= 100 for line in lines)
    assert "170.0" in lines[1] and lines[1].startswith("...")


def test_progress_counts_clips_and_is_silent_when_off(clips, tmp_path, capsys):
    _run(clips, tmp_path / "a")  # progress=False
    assert capsys.readouterr().err == ""
    batch.analyze_folder(clips, tmp_path / "b", analyze_fn=fake_analyze, jobs=1, progress=True)
    err = capsys.readouterr().err
    assert "clips" in err and "5/5" in err


def env_analyze(video, config, *, outdir, progress, reuse_pose):
    fake_analyze(video, config, outdir=outdir, progress=progress, reuse_pose=reuse_pose)
    (Path(outdir) / "env.txt").write_text(os.environ.get("OPENBLAS_NUM_THREADS", "unset"))


def test_pool_workers_get_their_share_of_threads(tmp_path):
    d = tmp_path / "in"
    _write(d / "a.mp4", 1)
    _write(d / "b.mp4", 2)
    out = tmp_path / "out"
    batch.analyze_folder(d, out, jobs=2, analyze_fn=env_analyze, progress=False)
    expected = str(max(1, batch.default_jobs() // 2))
    assert {p.read_text() for p in out.rglob("env.txt")} == {expected}


def test_importing_batch_loads_no_heavy_library():
    """Workers import gaitlens.batch first; thread limits must precede NumPy & co."""
    import subprocess
    import sys

    code = (
        "import sys, gaitlens.batch; "
        "print(sorted(m for m in ('numpy', 'pandas', 'cv2', 'mediapipe') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_callers_broken_pool_is_recorded_not_raised(tmp_path):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    d = tmp_path / "in"
    _write(d / "die.mp4", 1)
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as ex:
        df = _run(d, tmp_path / "out", executor=ex)
    assert df["status"].tolist() == ["failed"] and df["reason"][0] == batch.DIED
