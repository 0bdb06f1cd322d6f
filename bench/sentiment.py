"""Sentiment accuracy, load time and throughput of doum.assist (prints one JSON document).

    .venv/bin/python bench/sentiment.py            # nested CV + held-out + speed (~10 min)
    .venv/bin/python bench/sentiment.py --quick    # held-out + speed only

Reads the labelled data from ../shared/data (or --data). Accuracy figures come from the same
code that trains the shipped models (doum.assist.train): nested stratified 5-fold CV with the
hyper-parameters chosen inside each training part, and a stratified 80/20 split whose model is
exported like the shipped one and scored through the shipped inference code. The shipped models
themselves are trained on all the data, so they are not scored on it here. Speed is measured
with the shipped models on the data's texts.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description="doum.assist sentiment benchmark")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--quick", action="store_true", help="skip the nested CV")
    args = parser.parse_args()

    # Load time first, in a process that has loaded nothing yet.
    started = time.perf_counter()
    from doum.assist import text as assist_text

    assist_text.warm_up()
    load_seconds = time.perf_counter() - started

    try:
        from doum.assist import train
    except ImportError as exc:
        print(f"the benchmark needs the dev extra (scikit-learn): {exc}", file=sys.stderr)
        return 2
    missing = train.missing_data(args.data)
    if missing:
        print(
            f"labelled data not found in {args.data}: {', '.join(missing)} "
            "(pass --data DIR; the files are described in ../shared/data/README.md)",
            file=sys.stderr,
        )
        return 2

    report: dict[str, object] = {
        "python": platform.python_version(),
        "model_load_seconds": round(load_seconds, 3),
    }
    for language in ("ko", "en"):
        corpus = train.load(language, args.data)
        t0 = time.perf_counter()
        entry = train.evaluate(corpus, cv=not args.quick)
        entry["evaluation_seconds"] = round(time.perf_counter() - t0, 1)
        # Speed of the public call on the real texts (raw, as a comment would arrive).
        raw = corpus.texts
        t0 = time.perf_counter()
        for item in raw:
            assist_text.analyse(item)
        elapsed = time.perf_counter() - t0
        entry["analyse_texts_per_second"] = round(len(raw) / elapsed, 1)
        entry["analyse_mean_ms"] = round(1000 * elapsed / len(raw), 3)
        report[language] = entry
        print(f"{language}: done", file=sys.stderr)

    mixed = train.load("ko", args.data).texts[:1000] + train.load("en", args.data).texts[:1000]
    t0 = time.perf_counter()
    found = assist_text.topics(mixed, limit=8, examples=3)
    report["topics_2000_mixed_texts_seconds"] = round(time.perf_counter() - t0, 3)
    report["topics_sample"] = [(t.phrase, t.count) for t in found]
    report["shipped_models"] = {
        language: {
            "bytes": (ROOT / "doum/assist/models" / f"sentiment-{language}.json.gz").stat().st_size,
            "features": len(assist_text.get_model(language).idf),
            "settings": dict(assist_text.get_model(language).meta),
        }
        for language in ("ko", "en")
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
