import numpy as np
import pytest

from gaitlens.io.track import PoseTrack
from gaitlens.pose.skeleton import INDEX, LANDMARK_NAMES, mirror_index


def _track(n=50, seed=0, with_sil=True):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 640, size=(n, 33, 2))
    xy[5:8] = np.nan  # frames without a person
    vis = rng.uniform(0, 1, size=(n, 33))
    vis[5:8] = 0
    sil = rng.normal(size=(n, 4)) if with_sil else None
    return PoseTrack(
        time_s=np.arange(n) / 30.0 + rng.uniform(0, 1e-3, n),
        xy_px=xy,
        visibility=vis,
        frame_size_px=(640, 480),
        video={"path": "x.mp4"},
        backend={"name": "test"},
        silhouette=sil,
        silhouette_names=("a", "b", "c", "d") if with_sil else (),
        n_people=np.ones(n, int),
    )


@pytest.mark.parametrize("with_sil", [True, False])
def test_save_load_round_trip_is_lossless(tmp_path, with_sil):
    tr = _track(with_sil=with_sil)
    back = PoseTrack.load(tr.save(tmp_path / "t.npz"))
    np.testing.assert_array_equal(back.time_s, tr.time_s)
    np.testing.assert_array_equal(back.xy_px, tr.xy_px)  # NaNs included
    np.testing.assert_array_equal(back.visibility, tr.visibility)
    assert back.frame_size_px == (640, 480)
    assert back.video == tr.video and back.backend == tr.backend
    assert back.landmark_names == LANDMARK_NAMES
    if with_sil:
        np.testing.assert_array_equal(back.silhouette, tr.silhouette)
        assert back.silhouette_names == tr.silhouette_names
    else:
        assert back.silhouette is None


def test_detected_and_rate():
    tr = _track()
    assert tr.detected.sum() == 47
    assert tr.sampling_rate_hz == pytest.approx(30, rel=0.01)


def test_to_dataframe_columns_and_values():
    tr = _track()
    df = tr.to_dataframe()
    assert len(df) == 50
    assert list(df.columns[:2]) == ["frame", "time_s"]
    j = INDEX["left_knee"]
    np.testing.assert_array_equal(df["left_knee_x_px"], tr.xy_px[:, j, 0])
    np.testing.assert_array_equal(df["left_knee_visibility"], tr.visibility[:, j])


def test_shape_is_validated():
    with pytest.raises(ValueError):
        PoseTrack(
            time_s=np.arange(3),
            xy_px=np.zeros((3, 10, 2)),
            visibility=np.zeros((3, 33)),
            frame_size_px=(1, 1),
        )


def test_mirror_index_swaps_sides():
    m = mirror_index()
    assert LANDMARK_NAMES[m[INDEX["left_hip"]]] == "right_hip"
    assert LANDMARK_NAMES[m[INDEX["nose"]]] == "nose"
    assert sorted(m) == list(range(33))
