"""Training and evaluation on the real labelled data in ../shared/data (skipped without it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from doum.assist.model import get_model

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

pytestmark = pytest.mark.skipif(
    not (DATA / "nsmc_sample.csv").is_file() or not (DATA / "english_sentiment.csv").is_file(),
    reason=f"labelled sentiment data not found in {DATA}",
)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_one_held_out_fold_with_the_shipped_settings(language: str) -> None:
    train = pytest.importorskip("doum.assist.train")
    corpus = train.load(language, DATA)
    assert len(corpus.texts) >= 1000
    shipped = get_model(language)
    choice = train.Choice(
        shipped.groups, float(str(shipped.meta["C"])), bool(shipped.meta["nb"]), 0.0
    )
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
    tr, te = next(folds.split(np.zeros(len(corpus.texts)), corpus.labels))
    model = train.fit(corpus, tr, choice)
    result = train.score(model, corpus, te)
    assert result["accuracy"] >= 0.75, result
    # Outside the neutral band the model is more often right than overall.
    assert result["accuracy_outside_neutral"] >= result["accuracy"]


def test_training_writes_loadable_models(tmp_path: Path) -> None:
    train = pytest.importorskip("doum.assist.train")
    from doum.assist.model import read_model

    corpus = train.load("en", DATA)
    index = np.arange(len(corpus.texts))
    choice = train.Choice(("n", "b"), 4.0, True, 0.0)
    model = train.fit(corpus, index, choice)
    path = tmp_path / "sentiment-en.json.gz"
    from doum.assist.model import write_model

    write_model(model, path)
    again = read_model(path)
    assert again.groups == ("n", "b")
    assert again.meta["nb"] is True
    # The exported model (plain Python) gives scikit-learn's probabilities.
    docs = corpus.docs(choice.groups, index)
    vec = train._vectorizer()
    x = vec.fit_transform(docs)
    ratio = train.nb_ratio(x, corpus.labels)
    clf = train._classifier(choice.c).fit(train._scaled(x, ratio), corpus.labels)
    expected = clf.predict_proba(train._scaled(x, ratio))[:300, 1]
    got = np.array([again.probability(d) for d in docs[:300]])
    assert np.abs(got - expected).max() < 1e-3
