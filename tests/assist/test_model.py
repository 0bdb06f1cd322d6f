"""The model file format and the plain-Python scoring (no scikit-learn needed)."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import pytest

from doum.assist.model import (
    LANGUAGES,
    ModelError,
    SentimentModel,
    get_model,
    model_path,
    read_model,
    sigmoid,
    write_model,
)

TINY = SentimentModel(
    language="en",
    groups=("n",),
    intercept=0.25,
    idf={"n:good": 1.5, "n:bad": 2.0, "n:NOT_good": 3.0},
    weight={"n:good": 2.0, "n:bad": -3.0, "n:NOT_good": -4.0},
    meta={"C": 1.0},
)


def test_scoring_is_tfidf_l2_logistic() -> None:
    # good x2, bad x1, unknown ignored: tf = 1 + ln(count), times idf, then l2-normalised.
    good, bad = (1 + math.log(2)) * 1.5, 1.0 * 2.0
    norm = math.hypot(good, bad)
    expected = (good * 2.0 + bad * -3.0) / norm + 0.25
    z, known = TINY.decision(["n:good", "n:good", "n:bad", "n:unknown"])
    assert known == 2
    assert z == pytest.approx(expected)
    assert TINY.probability(["n:good"]) == pytest.approx(sigmoid(2.0 + 0.25))
    assert TINY.decision([]) == (0.25, 0)


def test_sigmoid_is_stable_at_the_extremes() -> None:
    assert sigmoid(1000.0) == 1.0
    assert sigmoid(-1000.0) == 0.0
    assert sigmoid(0.0) == 0.5


def test_write_and_read_give_the_same_model(tmp_path: Path) -> None:
    path = tmp_path / "m.json.gz"
    write_model(TINY, path)
    assert read_model(path) == TINY
    first = path.read_bytes()
    write_model(TINY, path)
    assert path.read_bytes() == first  # reproducible bytes: no timestamp in the gzip header


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not gzip",
        gzip.compress(b"[1, 2]"),
        gzip.compress(b'{"format": 99}'),
        gzip.compress(b'{"format": 1, "language": "en"}'),
        gzip.compress(
            b'{"format": 1, "language": "en", "groups": [], "intercept": 0, "features": {"x": 1}}'
        ),
    ],
)
def test_broken_model_files_raise_model_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.json.gz"
    path.write_bytes(content)
    with pytest.raises(ModelError):
        read_model(path)
    with pytest.raises(ModelError):
        read_model(tmp_path / "missing.json.gz")


def test_shipped_models_are_small_and_complete() -> None:
    for language in LANGUAGES:
        path = model_path(language)
        assert path.stat().st_size < 3_000_000
        model = get_model(language)
        assert model is get_model(language)  # loaded once
        assert model.language == language
        assert len(model.idf) > 1000
        assert model.meta["trained_by"] == "python -m doum.assist.train"
    with pytest.raises(ModelError):
        get_model("fr")


def test_shipped_models_have_a_notice() -> None:
    notice = (model_path("ko").parent / "NOTICE.md").read_text(encoding="utf-8")
    assert "CC0" in notice and "CC BY 4.0" in notice and "Kotzias" in notice
