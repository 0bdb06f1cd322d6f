"""The shipped sentiment models: load once per process, score in plain Python.

A model file (models/sentiment-<lang>.json.gz) is written by doum.assist.train: the feature
groups it uses, and for every feature of its vocabulary the inverse document frequency and the
logistic-regression weight, plus the intercept. Scoring repeats what scikit-learn's
TfidfVectorizer(sublinear_tf=True, norm="l2") + LogisticRegression do at training time:
x_f = (1 + ln count_f) * idf_f over the features in the vocabulary, x /= ||x||, and
P(positive) = 1 / (1 + exp(-(w . x + b))).
"""

from __future__ import annotations

import gzip
import json
import math
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent / "models"
FORMAT = 1
LANGUAGES = ("ko", "en")


class ModelError(Exception):
    """A model file is missing or not one this code can read."""


@dataclass(frozen=True)
class SentimentModel:
    language: str
    groups: tuple[str, ...]
    intercept: float
    idf: Mapping[str, float]
    weight: Mapping[str, float]
    meta: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SentimentModel:
        if data.get("format") != FORMAT:
            raise ModelError(f"unknown model format {data.get('format')!r}")
        language = data.get("language")
        groups = data.get("groups")
        intercept = data.get("intercept")
        features = data.get("features")
        if (
            not isinstance(language, str)
            or not isinstance(groups, list)
            or not isinstance(intercept, int | float)
            or not isinstance(features, dict)
        ):
            raise ModelError("model file lacks language, groups, intercept or features")
        idf: dict[str, float] = {}
        weight: dict[str, float] = {}
        for name, pair in features.items():
            if not isinstance(pair, list) or len(pair) != 2:
                raise ModelError(f"bad feature entry {name!r}")
            idf[str(name)] = float(pair[0])
            weight[str(name)] = float(pair[1])
        meta = data.get("meta")
        return cls(
            language=language,
            groups=tuple(str(g) for g in groups),
            intercept=float(intercept),
            idf=idf,
            weight=weight,
            meta=meta if isinstance(meta, dict) else {},
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "language": self.language,
            "groups": list(self.groups),
            "intercept": self.intercept,
            "features": {name: [self.idf[name], self.weight[name]] for name in sorted(self.idf)},
            "meta": dict(self.meta),
        }

    def decision(self, features: Iterable[str]) -> tuple[float, int]:
        """(w . x + b, how many distinct features of the text are in the vocabulary)."""
        counts = Counter(f for f in features if f in self.idf)
        if not counts:
            return self.intercept, 0
        norm_sq = 0.0
        dot = 0.0
        for name, count in counts.items():
            value = (1.0 + math.log(count)) * self.idf[name]
            norm_sq += value * value
            dot += value * self.weight[name]
        return dot / math.sqrt(norm_sq) + self.intercept, len(counts)

    def probability(self, features: Iterable[str]) -> float:
        return sigmoid(self.decision(features)[0])


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def model_path(language: str, directory: Path = MODELS_DIR) -> Path:
    return directory / f"sentiment-{language}.json.gz"


def read_model(path: Path) -> SentimentModel:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path} does not hold a model")
    return SentimentModel.from_dict(data)


def write_model(model: SentimentModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(model.to_dict(), ensure_ascii=False, separators=(",", ":"))
    # mtime=0: the same model gives the same bytes, so retraining without change leaves no diff.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(payload.encode("utf-8"))


_models: dict[str, SentimentModel] = {}
_models_lock = threading.Lock()


def get_model(language: str) -> SentimentModel:
    """The shipped model for "ko" or "en", read once per process (thread-safe)."""
    model = _models.get(language)
    if model is None:
        if language not in LANGUAGES:
            raise ModelError(f"no sentiment model for language {language!r}")
        with _models_lock:
            model = _models.get(language)
            if model is None:
                model = read_model(model_path(language))
                _models[language] = model
    return model
