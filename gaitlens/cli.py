"""``gaitlens`` command line: a thin layer over the library.

User errors (``GaitlensError``) print one line and exit non-zero; no traceback.
Ctrl-C stops promptly with exit code 130 and leaves no half-written outputs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from ._version import __version__
from .errors import ConfigError, GaitlensError, OutputError, VideoReadError


def _add_analysis_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="TOML", help="options file (flags override it)")
    p.add_argument(
        "--height",
        dest="runner_height_m",
        type=float,
        metavar="M",
        help="runner height in metres (lengths in metres)",
    )
    p.add_argument(
        "--belt-speed",
        dest="belt_speed_m_s",
        type=float,
        metavar="M_PER_S",
        help="treadmill belt speed in m/s (stride length, metres)",
    )
    p.add_argument(
        "--capture-fps",
        dest="capture_fps",
        type=float,
        metavar="N",
        help="frames per real second the camera captured (slow motion: e.g. 240 for a "
        "240 fps clip stored at 30 fps); default: the file's metadata, else its timestamps",
    )
    p.add_argument(
        "--pose-model",
        dest="pose_model_path",
        metavar="TASK_FILE",
        help="MediaPipe pose landmarker .task file (e.g. the heavy model)",
    )
    p.add_argument(
        "--model-complexity",
        dest="model_complexity",
        type=int,
        choices=(0, 1, 2),
        metavar="N",
        help="BlazePose model: 1 full (default), 2 heavy, 0 lite (see `gaitlens info`)",
    )
    p.add_argument(
        "--pose-workers",
        dest="pose_workers",
        type=int,
        metavar="N",
        help="pose graphs run at once on parts of the clip (default: one per core, max 4)",
    )
    p.add_argument(
        "--no-flip-test",
        dest="flip_test",
        action="store_false",
        default=None,
        help="pose each frame once, not also mirrored: half the pose work (about 1.6x "
        "faster), events and angles less accurate and dependent on which way the runner "
        "faces",
    )
    p.add_argument(
        "--no-video",
        dest="annotated_video",
        action="store_false",
        default=None,
        help="skip the annotated video",
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite earlier results in the output folder"
    )
    p.add_argument(
        "--fresh-pose",
        action="store_true",
        help="run pose again even if a saved pose track matches",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gaitlens",
        description="Side-view treadmill running analysis: pelvis timing, hip flexion and "
        "pelvic tilt faults that load the hamstrings.",
    )
    parser.add_argument("--version", action="version", version=f"gaitlens {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    a = sub.add_parser("analyze", help="analyse one clip")
    a.add_argument("video", help="side-view treadmill running video")
    a.add_argument("-o", "--outdir", help="output folder (default: <video name>_gaitlens)")
    _add_analysis_options(a)

    b = sub.add_parser("batch", help="analyse every video in a folder")
    b.add_argument("folder")
    b.add_argument("-o", "--outdir", required=True)
    b.add_argument(
        "-j", "--jobs", type=int, default=None, help="parallel processes (default: one per core)"
    )
    b.add_argument(
        "--resume", action="store_true", help="skip clips already analysed (not with --force)"
    )
    b.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler address (needs gaitlens[dask])"
    )
    _add_analysis_options(b)

    c = sub.add_parser("compare", help="what changed between two sessions of one runner")
    c.add_argument("before", help="the earlier session: a video or an analysis folder")
    c.add_argument("after", help="the later session: a video or an analysis folder")
    c.add_argument("-o", "--outdir", default="gaitlens_compare",
                   help="output folder (default: gaitlens_compare)")  # fmt: skip
    c.add_argument("--labels", nargs=2, metavar=("BEFORE", "AFTER"),
                   help="names of the sessions (default: the file or folder names)")  # fmt: skip
    c.add_argument("--dates", nargs=2, metavar=("YYYY-MM-DD", "YYYY-MM-DD"),
                   help="session dates (default: from the names, else the file times)")  # fmt: skip
    _add_analysis_options(c)

    h = sub.add_parser("history", help="one runner's sessions over time (trend page)")
    h.add_argument("sessions", nargs="+", help="videos or analysis folders, one per session")
    h.add_argument("-o", "--outdir", default="gaitlens_history",
                   help="output folder (default: gaitlens_history)")  # fmt: skip
    h.add_argument("--dates", nargs="+", metavar="YYYY-MM-DD",
                   help="session dates in the order given (default: from the names, else "
                   "the file times)")  # fmt: skip
    _add_analysis_options(h)

    sub.add_parser("info", help="versions, pose backends and where the model comes from")
    m = sub.add_parser(
        "install-model",
        help="get the BlazePose .task model: download it, or build it from files you have",
    )
    m.add_argument(
        "sources",
        nargs="*",
        metavar="FILE",
        help="the legacy mediapipe 0.10.21 wheel, the `npm pack @mediapipe/pose` .tgz, "
        ".tflite files or a .task bundle (no network); none: download",
    )
    m.add_argument(
        "--model",
        dest="variants",
        action="append",
        choices=("lite", "full", "heavy"),
        help="which model (repeatable; default: full for a download, every model the "
        "files carry otherwise)",
    )

    s = sub.add_parser("sample", help="render the synthetic sample clips")
    s.add_argument("outdir", nargs="?", default="sample_videos")
    s.add_argument("--fast", action="store_true", help="short low-resolution clips")
    return parser


def _config(args):
    from .config import AnalysisConfig

    cfg = AnalysisConfig.from_toml(args.config) if args.config else AnalysisConfig()
    return cfg.updated(
        runner_height_m=args.runner_height_m,
        belt_speed_m_s=args.belt_speed_m_s,
        pose_model_path=args.pose_model_path,
        annotated_video=args.annotated_video,
        pose_workers=getattr(args, "pose_workers", None),
        model_complexity=getattr(args, "model_complexity", None),
        capture_fps=getattr(args, "capture_fps", None),
        flip_test=getattr(args, "flip_test", None),
    )


def _cmd_analyze(args) -> int:
    from .io.video import probe
    from .pipeline import analyze

    cfg = _config(args)
    video = Path(args.video)
    probe(video)  # clear error for a bad input before anything is created
    outdir = Path(args.outdir) if args.outdir else video.with_name(video.stem + "_gaitlens")
    if (outdir / "analysis.json").exists() and not args.force:
        raise OutputError(
            f"{outdir}: holds earlier results; pass --force to overwrite "
            "them or choose another folder with -o."
        )
    if outdir.exists() and not outdir.is_dir():
        raise OutputError(f"{outdir}: exists and is not a folder. Choose another -o.")
    analysis = analyze(
        video,
        cfg,
        outdir=outdir,
        reuse_pose=not args.fresh_pose,
        progress=None if not args.quiet else False,
    )
    if not args.quiet:
        print(_summary_text(analysis, outdir))
    return 0


def _summary_text(analysis, outdir: Path) -> str:
    lines = []
    s = analysis.summary or {}
    if s:
        cad = s.get("cadence_spm")
        ct = s.get("contact_time_s")
        parts = []
        if cad is not None:
            parts.append(f"cadence {cad:.1f} spm")
        if ct is not None:
            parts.append(f"contact {ct * 1000:.0f} ms")
        if s.get("n_strides") is not None:
            parts.append(f"{s['n_strides']} strides")
        lines.append("  ".join(parts))
    if analysis.findings:
        lines.append(f"{'fault':<26}{'severity':<12}{'score':>6}  {'95% interval':<13} confidence")
        for f in analysis.findings:
            iv = f.score_interval
            iv_text = f"{iv[0]:.2f}-{iv[1]:.2f}" if iv and None not in iv else "-"
            sev = f.severity if f.judged else "no verdict"
            lines.append(f"{f.id:<26}{sev:<12}{f.score:>6.2f}  {iv_text:<13} {f.confidence}")
    tb = getattr(analysis, "time_base", None)
    if tb is not None and tb.source != "file":
        lines.append(tb.text())
    for w in analysis.warnings:
        lines.append(f"warning: {w}")
    lines.append(f"report: {outdir / 'report.html'}")
    return "\n".join(lines)


def _session(path: str, cfg, args):
    """A session from a video (analysed into ``<video>_gaitlens``, or read back from
    there when it holds an analysis of it) or from an analysis folder."""
    from .io.video import probe
    from .pipeline import analyze, load

    p = Path(path)
    if p.is_dir():
        return load(p)
    if not p.exists():
        raise VideoReadError(f"{p}: no such video or analysis folder.")
    meta = probe(p)  # a clear error for a bad video before anything is written
    outdir = p.with_name(p.stem + "_gaitlens")
    if (outdir / "analysis.json").is_file() and not args.force:
        saved = load(outdir)
        if saved.video.get("size_bytes") == meta.size_bytes:
            return saved
    if not args.quiet:
        print(f"analysing {p} -> {outdir}", file=sys.stderr)
    return analyze(p, cfg, outdir=outdir, reuse_pose=not args.fresh_pose,
                   progress=None if not args.quiet else False)  # fmt: skip


def _labels(paths, given) -> list:
    names = list(given) if given else [Path(p.rstrip("/")).name for p in paths]
    names = [Path(n).stem if not given and Path(n).suffix else n for n in names]
    out = []
    for n in names:  # unique, in order
        k, base = 2, n
        while n in out:
            n, k = f"{base} ({k})", k + 1
        out.append(n)
    return out


def _refuse_existing(outdir: Path, name: str, force: bool) -> None:
    if (outdir / name).exists() and not force:
        raise OutputError(f"{outdir}: holds an earlier {name}; pass --force to overwrite it "
                          "or choose another folder with -o.")  # fmt: skip
    if outdir.exists() and not outdir.is_dir():
        raise OutputError(f"{outdir}: exists and is not a folder. Choose another -o.")


def _cmd_compare(args) -> int:
    from .sessions import compare

    outdir = Path(args.outdir)
    _refuse_existing(outdir, "compare.json", args.force)
    cfg = _config(args)
    a, b = (_session(p, cfg, args) for p in (args.before, args.after))
    c = compare(a, b, labels=tuple(_labels([args.before, args.after], args.labels)),
                dates=tuple(args.dates or (None, None)))  # fmt: skip
    c.save(outdir)
    if not args.quiet:
        for f in c.findings:
            print(f.sentence)
        real = [m for m in c.metrics if m.beyond_noise]
        names = ", ".join(f"{m.label} [{m.unit}]" for m in real)
        print(f"{len(real)} of {len(c.metrics)} measures changed beyond measurement noise"
              + (f": {names}" if real else ""))  # fmt: skip
        for d in c.differences:
            print(f"note: {d}")
        print(f"comparison confidence: {c.confidence}")
        print(f"report: {outdir / 'compare.html'}")
    return 0


def _cmd_history(args) -> int:
    from .sessions import history

    if args.dates and len(args.dates) != len(args.sessions):
        raise ConfigError(f"--dates: {len(args.dates)} dates for {len(args.sessions)} "
                         "sessions; give one date per session, in the same order.")  # fmt: skip
    outdir = Path(args.outdir)
    _refuse_existing(outdir, "history.json", args.force)
    cfg = _config(args)
    analyses = [_session(p, cfg, args) for p in args.sessions]
    h = history(analyses, _labels(args.sessions, None), args.dates or [None] * len(analyses))
    h.save(outdir)
    if not args.quiet:
        for c in h.steps:
            print(f"{c.before.label} -> {c.after.label}:")
            for f in c.findings:
                print(f"  {f.sentence}")
        print(f"report: {outdir / 'history.html'}")
    return 0


def _cmd_batch(args) -> int:
    from .batch import run_batch_cli

    return run_batch_cli(args, _config(args))


def _cmd_info(args) -> int:
    import platform

    from .pose import available_backends

    print(
        f"gaitlens {__version__} (Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()})"
    )
    for mod in ("mediapipe", "cv2", "numpy", "scipy", "pandas", "av", "matplotlib"):
        try:
            m = __import__(mod)
            print(f"  {mod:<11}{getattr(m, '__version__', '?')}")
        except ImportError:
            print(f"  {mod:<11}not installed")
    print("pose backends:")
    for name, ok in available_backends().items():
        print(f"  {name:<18}{'available' if ok else 'not available'}")
    from .pose import models

    print(f"pose models (folder: {models.model_dir()}; set {models.ENV_MODEL_DIR} to move it):")
    for n, v in sorted(models.COMPLEXITY_VARIANT.items(), key=lambda kv: kv[0] != 1):
        p = models.find_bundle(v)
        flag = "" if n == 1 else f" (--model-complexity {n})"
        if p is None:
            print(f"  {v}{flag}: not installed")
            continue
        src = models.provenance(p).get("source", "unknown source")
        print(f"  {v}{flag}: {p} (from {src})")
    print("  install: gaitlens install-model (download), or gaitlens install-model FILE with")
    print("  the legacy mediapipe wheel, the @mediapipe/pose npm .tgz or .tflite files;")
    print("  or pass a MediaPipe pose landmarker .task file with --pose-model")
    return 0


def _cmd_install_model(args) -> int:
    from .pose import models

    if args.sources:
        paths = models.install(args.sources, variants=args.variants)
    else:
        if models.offline():
            raise models.ModelDownloadError(
                f"downloads are off ({models.ENV_OFFLINE} is set): " + models.ROUTES
            )
        paths = []
        for v in args.variants or [models.DEFAULT_VARIANT]:
            try:
                paths.append(models.download_bundle(v))
            except models.ModelDownloadError as exc:
                raise models.ModelDownloadError(
                    f"{exc}; without internet: gaitlens install-model FILE with the legacy "
                    "mediapipe wheel, the @mediapipe/pose npm .tgz or the .tflite files"
                ) from None
    for p in paths:
        v = p.name[len("pose_landmarker_") : -len(".task")]
        n = {v: k for k, v in models.COMPLEXITY_VARIANT.items()}.get(v)
        use = "" if n in (None, 1) else f" (use it with --model-complexity {n})"
        print(f"installed {p}{use}")
    return 0


def _cmd_sample(args) -> int:
    from .synthetic import make_samples

    paths = make_samples(args.outdir, fast=args.fast)
    for p in paths:
        print(p)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    import warnings

    args = build_parser().parse_args(argv)
    # numerical warnings (empty slices of NaN-only strides, ...) are handled by the
    # stages and reported as quality/confidence; they are noise on a user's terminal
    warnings.simplefilter("ignore", RuntimeWarning)
    handler = {
        "analyze": _cmd_analyze,
        "batch": _cmd_batch,
        "compare": _cmd_compare,
        "history": _cmd_history,
        "info": _cmd_info,
        "install-model": _cmd_install_model,
        "sample": _cmd_sample,
    }[args.command]
    try:
        return handler(args)
    except GaitlensError as exc:
        print(f"gaitlens: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("gaitlens: interrupted; no partial outputs were kept.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug, not the user's fault: one line, details in a file
        import tempfile
        import traceback

        fd, log = tempfile.mkstemp(prefix="gaitlens-error-", suffix=".log")
        with open(fd, "w") as fh:
            traceback.print_exc(file=fh)
        print(
            f"gaitlens: internal error: {type(exc).__name__}: {exc} (details: {log}; "
            "please report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
