"""Train, evaluate and export the sentiment models (needs the dev extra: scikit-learn).

    python -m doum.assist.train --data ../shared/data --out doum/assist/models

For each language: features from doum.assist.features, TF-IDF (sublinear tf, l2, min_df 2) and a
logistic regression. The feature groups and C are chosen by an inner stratified CV on the
training part only, so the reported figures never saw their test texts during selection:

* nested CV: outer stratified 5-fold (seed 42), inner stratified 3-fold (seed 43);
* held-out: one stratified 80/20 split (seed 42); selection by inner CV on the 80 %, the model
  exported exactly like the shipped one and scored on the 20 % through doum.assist.model;
* shipped: selection by CV on all the data, then trained on all the data.

Prints one JSON document with the figures; writes models/sentiment-<lang>.json.gz.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split

from doum.assist.features import clean, morphs_many, sentiment_features
from doum.assist.model import MODELS_DIR, SentimentModel, model_path, write_model

SEED = 42
OUTER_FOLDS = 5
INNER_FOLDS = 3
MIN_DF = 2
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
NB_GRID = (False, True)  # plain TF-IDF, or TF-IDF scaled by the NB log-count ratio (NB-LR)
FEATURE_SETS: dict[str, tuple[tuple[str, ...], ...]] = {
    "ko": (("m",), ("m", "b"), ("m", "c"), ("m", "b", "c"), ("c",)),
    "en": (("w", "b"), ("n", "b"), ("w", "b", "c"), ("n", "b", "c"), ("n", "c"), ("c",)),
}
NEUTRAL_LOW, NEUTRAL_HIGH = 0.4, 0.6  # kept in step with doum.assist.text
DATASETS = {
    "ko": {
        "file": "nsmc_sample.csv",
        "text": "document",
        "source": "Naver Sentiment Movie Corpus v1.0 (github.com/e9t/nsmc), sample",
        "licence": "CC0 1.0",
    },
    "en": {
        "file": "english_sentiment.csv",
        "text": "text",
        "source": "UCI Sentiment Labelled Sentences (Kotzias et al., KDD 2015), amazon + imdb",
        "licence": "CC BY 4.0",
    },
}


@dataclass(frozen=True)
class Corpus:
    language: str
    texts: list[str]
    labels: np.ndarray
    # Features of every text, one list per group letter, computed once.
    by_group: dict[str, list[list[str]]]

    def docs(self, groups: Sequence[str], index: Sequence[int] | np.ndarray) -> list[list[str]]:
        return [[f for g in groups for f in self.by_group[g][i]] for i in index]


def load(language: str, data_dir: Path) -> Corpus:
    spec = DATASETS[language]
    path = data_dir / spec["file"]
    texts: list[str] = []
    labels: list[int] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            label = (row.get("label") or "").strip()
            if label not in ("0", "1"):
                continue
            texts.append(clean(row.get(spec["text"]) or ""))
            labels.append(int(label))
    groups = sorted({g for fs in FEATURE_SETS[language] for g in fs})
    by_group: dict[str, list[list[str]]] = {g: [] for g in groups}
    tokens = morphs_many(texts) if language == "ko" else [None] * len(texts)
    for text, toks in zip(texts, tokens, strict=True):
        for g in groups:
            by_group[g].append(sentiment_features(language, text, toks, (g,)))
    return Corpus(language, texts, np.array(labels), by_group)


def _identity(doc: list[str]) -> list[str]:
    return doc


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer=_identity, lowercase=False, sublinear_tf=True, min_df=MIN_DF, norm="l2"
    )


def _classifier(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, solver="liblinear", max_iter=1000, random_state=SEED)


def nb_ratio(x: csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """NB log-count ratio of each feature (Wang & Manning 2012), from binarised presence."""
    present = (x > 0).astype(np.float64)
    pos = alpha + np.asarray(present[y == 1].sum(axis=0)).ravel()
    neg = alpha + np.asarray(present[y == 0].sum(axis=0)).ravel()
    ratio: np.ndarray = np.log((pos / pos.sum()) / (neg / neg.sum()))
    return ratio


def _scaled(x: csr_matrix, ratio: np.ndarray | None) -> csr_matrix:
    return x if ratio is None else csr_matrix(x.multiply(ratio))


@dataclass(frozen=True)
class Choice:
    groups: tuple[str, ...]
    c: float
    nb: bool
    inner_cv: float


def select(corpus: Corpus, index: np.ndarray) -> Choice:
    """Feature groups, C and NB scaling chosen by stratified CV inside `index` only."""
    y = corpus.labels[index]
    inner = StratifiedKFold(n_splits=INNER_FOLDS, shuffle=True, random_state=SEED + 1)
    splits = list(inner.split(np.zeros(len(index)), y))
    best = Choice((), 0.0, False, -1.0)
    for groups in FEATURE_SETS[corpus.language]:
        docs = corpus.docs(groups, index)
        scores = {(c, nb): 0.0 for nb in NB_GRID for c in C_GRID}
        for tr, te in splits:
            vec = _vectorizer()
            x_tr = vec.fit_transform([docs[i] for i in tr])
            x_te = vec.transform([docs[i] for i in te])
            for nb in NB_GRID:
                ratio = nb_ratio(x_tr, y[tr]) if nb else None
                xs_tr, xs_te = _scaled(x_tr, ratio), _scaled(x_te, ratio)
                for c in C_GRID:
                    clf = _classifier(c).fit(xs_tr, y[tr])
                    hits = float((clf.predict(xs_te) == y[te]).mean())
                    scores[(c, nb)] += hits / len(splits)
        for (c, nb), acc in scores.items():
            # Ties go to the earlier (simpler) option: feature set, plain before NB, smaller C.
            if acc > best.inner_cv + 1e-9:
                best = Choice(groups, c, nb, acc)
    return best


def fit(corpus: Corpus, index: np.ndarray, choice: Choice) -> SentimentModel:
    docs = corpus.docs(choice.groups, index)
    y = corpus.labels[index]
    vec = _vectorizer()
    x = vec.fit_transform(docs)
    ratio = nb_ratio(x, y) if choice.nb else None
    clf = _classifier(choice.c).fit(_scaled(x, ratio), y)
    # NB scaling multiplies each feature by a constant after normalisation, so it folds into
    # the weight: w . (x * r) = (w * r) . x, and inference stays plain TF-IDF.
    coef = clf.coef_[0] if ratio is None else clf.coef_[0] * ratio
    idf = vec.idf_
    vocabulary: dict[str, int] = vec.vocabulary_
    return SentimentModel(
        language=corpus.language,
        groups=choice.groups,
        intercept=_round(float(clf.intercept_[0])),
        idf={name: round(float(idf[j]), 5) for name, j in vocabulary.items()},
        weight={name: _round(float(coef[j])) for name, j in vocabulary.items()},
        meta={"C": choice.c, "nb": choice.nb, "min_df": MIN_DF, "train_size": len(index)},
    )


def _round(value: float, digits: int = 5) -> float:
    if value == 0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def score(
    model: SentimentModel, corpus: Corpus, index: Sequence[int] | np.ndarray
) -> dict[str, float]:
    """Accuracy of the exported model (the shipped inference code) on `index`; the neutral
    band's share and the accuracy outside it."""
    docs = corpus.docs(model.groups, index)
    probs = [model.probability(d) for d in docs]
    y = corpus.labels[index]
    hits = [int(p >= 0.5) == int(t) for p, t in zip(probs, y, strict=True)]
    decided = [h for p, h in zip(probs, hits, strict=True) if not NEUTRAL_LOW <= p <= NEUTRAL_HIGH]
    return {
        "accuracy": round(sum(hits) / len(hits), 4),
        "neutral_share": round(1 - len(decided) / len(hits), 4),
        "accuracy_outside_neutral": round(sum(decided) / len(decided), 4) if decided else 0.0,
    }


def _describe(choice: Choice) -> dict[str, object]:
    return {
        "groups": "".join(choice.groups),
        "C": choice.c,
        "nb": choice.nb,
        "inner_cv": round(choice.inner_cv, 4),
    }


def nested_cv(corpus: Corpus) -> dict[str, object]:
    outer = StratifiedKFold(n_splits=OUTER_FOLDS, shuffle=True, random_state=SEED)
    folds: list[dict[str, object]] = []
    accuracies: list[float] = []
    for tr, te in outer.split(np.zeros(len(corpus.texts)), corpus.labels):
        choice = select(corpus, tr)
        result = score(fit(corpus, tr, choice), corpus, te)
        accuracies.append(result["accuracy"])
        folds.append({**_describe(choice), **result})
    return {
        "method": f"nested stratified CV: outer {OUTER_FOLDS}-fold (seed {SEED}), "
        f"selection by inner {INNER_FOLDS}-fold on each training part",
        "mean": round(statistics.fmean(accuracies), 4),
        "sd": round(statistics.stdev(accuracies), 4),
        "folds": folds,
    }


def held_out(corpus: Corpus) -> tuple[dict[str, object], SentimentModel]:
    everything = np.arange(len(corpus.texts))
    tr, te = train_test_split(everything, test_size=0.2, stratify=corpus.labels, random_state=SEED)
    choice = select(corpus, tr)
    model = fit(corpus, tr, choice)
    result = {
        "method": f"stratified 80/20 split (seed {SEED}); selection by {INNER_FOLDS}-fold CV "
        "on the 80 %; scored through the shipped inference code",
        "train_size": len(tr),
        "test_size": len(te),
        **_describe(choice),
        **score(model, corpus, te),
    }
    return result, model


def train_shipped(corpus: Corpus) -> SentimentModel:
    everything = np.arange(len(corpus.texts))
    choice = select(corpus, everything)
    model = fit(corpus, everything, choice)
    spec = DATASETS[corpus.language]
    meta = dict(model.meta)
    meta.update(
        {
            "selection_cv": round(choice.inner_cv, 4),
            "data": spec["source"],
            "licence": spec["licence"],
            "trained_by": "python -m doum.assist.train",
        }
    )
    return SentimentModel(
        model.language, model.groups, model.intercept, model.idf, model.weight, meta
    )


def evaluate(corpus: Corpus, *, cv: bool = True) -> dict[str, object]:
    """The figures of one language: nested CV (unless `cv` is False) and the held-out split."""
    report: dict[str, object] = {
        "data": DATASETS[corpus.language]["file"],
        "rows": len(corpus.texts),
        "positive_share": round(float(corpus.labels.mean()), 4),
    }
    if cv:
        report["cv"] = nested_cv(corpus)
    report["held_out"] = held_out(corpus)[0]
    return report


def missing_data(data_dir: Path) -> list[str]:
    return [s["file"] for s in DATASETS.values() if not (data_dir / s["file"]).is_file()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    parser.add_argument("--languages", default="ko,en")
    parser.add_argument("--no-cv", action="store_true", help="skip the nested CV (faster)")
    args = parser.parse_args(argv)
    data_dir: Path = args.data
    missing = missing_data(data_dir)
    if missing:
        print(f"training data not found in {data_dir}: {', '.join(missing)}", file=sys.stderr)
        return 2
    report: dict[str, object] = {}
    for language in [x.strip() for x in args.languages.split(",") if x.strip()]:
        started = time.perf_counter()
        corpus = load(language, data_dir)
        entry = evaluate(corpus, cv=not args.no_cv)
        model = train_shipped(corpus)
        path = model_path(language, args.out)
        write_model(model, path)
        entry["shipped"] = {
            "path": str(path),
            "bytes": path.stat().st_size,
            "features": len(model.idf),
            "groups": "".join(model.groups),
            "C": model.meta.get("C"),
            "nb": model.meta.get("nb"),
            "selection_cv": model.meta.get("selection_cv"),
        }
        entry["seconds"] = round(time.perf_counter() - started, 1)
        report[language] = entry
        print(f"{language}: done in {entry['seconds']} s", file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
