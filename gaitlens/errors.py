"""Named errors. Each message says what was wrong with the input and what to do.

The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``; no
traceback is shown for a ``GaitlensError``.
"""

from __future__ import annotations


class GaitlensError(Exception):
    """Base class of every error caused by the user's input or environment."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(" ".join(message.split()))


class VideoReadError(GaitlensError):
    """The file is missing, not a video, corrupt, truncated or empty."""

    exit_code = 3


class NoRunnerDetectedError(GaitlensError):
    """The pose model found no person (or too few frames with one)."""

    exit_code = 4


class MultiplePeopleError(GaitlensError):
    """More than one person moves in the frame and the runner cannot be isolated."""

    exit_code = 4


class NotSideViewError(GaitlensError):
    """The runner is filmed from the front or back, not from the side."""

    exit_code = 5


class NotRunningError(GaitlensError):
    """The person walks (or stands) instead of running."""

    exit_code = 5


class SlowMotionError(GaitlensError):
    """The gait rhythm is implausible for running in the clip's time base but fits
    running at a slow-motion factor: the timestamps are not real time. The message names
    the likely capture rate and the ``--capture-fps`` rerun."""

    exit_code = 5


class TooFewStridesError(GaitlensError):
    """Not enough complete strides to measure anything reliably."""

    exit_code = 6


class OutputError(GaitlensError):
    """The output directory cannot be written or would overwrite earlier results."""

    exit_code = 7


class ConfigError(GaitlensError):
    """The configuration file or an option is invalid."""

    exit_code = 2


class BackendUnavailableError(GaitlensError):
    """A pose backend is not installed; the message names the pip command."""

    exit_code = 8


class ModelNotFoundError(BackendUnavailableError):
    """No pose model is installed and none could be downloaded; the message names the
    ways to get one (gaitlens.pose.models)."""

    exit_code = 8
