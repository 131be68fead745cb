"""A file-name classifier an agency trains on its own labelled paths, to rank unknown files for review.

Why: term lists (``terms.py``) only catch the words someone thought of. Offenders' naming habits
(series codes, abbreviations, misspellings, ages and counters glued to words) are better learnt from
examples, and agencies hold many labelled file names from closed cases. heroes ships no model and no
training data: an agency trains one on its own ``path,label`` CSV with ``heroes names train`` and
points scans at it (``--name-model`` or the ``name_model_file`` setting). Its score raises review
priority with the score named in the reasons; it is a lead, never a verdict.

How: a path is reduced to its last folder and file name, lower-cased, with separators as spaces;
character n-grams (3 to 5, within word boundaries: robust to glued words and small spelling changes)
are hashed into 2^18 features (scikit-learn's ``HashingVectorizer``: no vocabulary to store, so a
model is just weights) and a class-balanced logistic regression is fitted. Training holds out a
stratified 20 % split first and reports precision, recall, F1 and average precision on it, then fits
the final model on everything. The model is saved as a NumPy ``.npz`` without pickles (a model file
from elsewhere cannot run code) and scoring needs only the vectoriser and a dot product.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heroes.errors import InvalidInput, NotFound

__all__ = ["MODEL_FORMAT", "NameModel", "normalise_name", "read_labelled", "train_name_model"]

MODEL_FORMAT = "heroes-name-model/1"
_FEATURES = 2**18
_NGRAMS = (3, 5)
_SEPARATORS = re.compile(r"[\s_\-./+\\!]+")
_POSITIVE = {"1", "yes", "true", "bad", "positive", "relevant"}
_NEGATIVE = {"0", "no", "false", "good", "negative", "irrelevant"}
_MIN_PER_CLASS = 5


def normalise_name(path: str) -> str:
    """The part of a path the model reads: last folder and file name, lower case, words apart."""
    parts = path.replace("\\", "/").replace("!/", "/").rstrip("/").split("/")
    return _SEPARATORS.sub(" ", " ".join(parts[-2:]).lower()).strip()


def _vectoriser() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb", ngram_range=_NGRAMS, n_features=_FEATURES, alternate_sign=False, norm="l2"
    )


def read_labelled(path: Path) -> tuple[list[str], list[int], list[str]]:
    """Paths and 0/1 labels from a CSV with ``path`` and ``label`` columns, and the lines skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} cannot be read: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower(): c for c in reader.fieldnames or ()}
    if "path" not in columns or "label" not in columns:
        raise InvalidInput(f"{path}: needs a header with 'path' and 'label' columns (label 1/0 or yes/no)")
    paths: list[str] = []
    labels: list[int] = []
    skipped: list[str] = []
    for number, row in enumerate(reader, start=2):
        name = (row.get(columns["path"]) or "").strip()
        label = (row.get(columns["label"]) or "").strip().lower()
        if not name or label not in _POSITIVE | _NEGATIVE:
            skipped.append(f"line {number}: needs a path and a label of 1/0 or yes/no, got {label!r}")
            continue
        paths.append(name)
        labels.append(1 if label in _POSITIVE else 0)
    return paths, labels, skipped


@dataclass(frozen=True)
class NameModel:
    """Weights of a trained file-name model, with what it was trained on and how well it did."""

    weights: NDArray[np.float64]
    intercept: float
    threshold: float = 0.5
    """Scores at or above this raise priority."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Training size, held-out metrics, date: shown to users, never used for scoring."""

    def scores(self, paths: list[str]) -> NDArray[np.float64]:
        """Probability-like scores (0-1) for each path."""
        if not paths:
            return np.zeros(0)
        features = _vectoriser().transform([normalise_name(p) for p in paths])
        logits = features @ self.weights + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float64)

    def save(self, path: Path) -> None:
        """Write the model as a pickle-free .npz."""
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                format=np.array(MODEL_FORMAT),
                weights=self.weights,
                intercept=np.array(self.intercept),
                threshold=np.array(self.threshold),
                meta=np.array(json.dumps(self.meta, sort_keys=True)),
            )

    @classmethod
    def load(cls, path: Path) -> NameModel:
        """Read a model written by ``save``; anything else is refused with a clear message."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["format"]) != MODEL_FORMAT:
                    raise InvalidInput(f"{path} is a {data['format']} file, not a {MODEL_FORMAT}")
                weights = np.asarray(data["weights"], dtype=np.float64)
                model = cls(weights, float(data["intercept"]), float(data["threshold"]),
                            json.loads(str(data["meta"])))  # fmt: skip
        except FileNotFoundError:
            raise NotFound(f"name model {path} does not exist") from None
        except (OSError, ValueError, KeyError) as exc:
            raise InvalidInput(f"{path} is not a heroes name model: {exc}") from None
        if model.weights.shape != (_FEATURES,):
            raise InvalidInput(f"{path}: expected {_FEATURES} weights, found {model.weights.shape}")
        return model


def train_name_model(paths: list[str], labels: list[int], seed: int = 0) -> NameModel:
    """Fit on a stratified 80 % split, measure on the held-out 20 %, then refit on everything."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support
    from sklearn.model_selection import train_test_split

    positives = sum(labels)
    if min(positives, len(labels) - positives) < _MIN_PER_CLASS:
        raise InvalidInput(
            f"training needs at least {_MIN_PER_CLASS} paths of each label; "
            f"got {positives} labelled 1 and {len(labels) - positives} labelled 0"
        )
    vectoriser = _vectoriser()
    features = vectoriser.transform([normalise_name(p) for p in paths])
    target = np.asarray(labels)
    train_x, test_x, train_y, test_y = train_test_split(
        features, target, test_size=0.2, stratify=target, random_state=seed
    )

    def fit(x: Any, y: Any) -> Any:
        return LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear", max_iter=1000).fit(x, y)

    held_out = fit(train_x, train_y)
    probability = held_out.predict_proba(test_x)[:, 1]
    precision, recall, f1, _ = precision_recall_fscore_support(
        test_y, probability >= 0.5, average="binary", zero_division=0
    )
    final = fit(features, target)
    meta = {
        "trained_on": len(labels),
        "positives": positives,
        "held_out": {
            "paths": len(test_y),
            "precision": round(float(precision), 4),
            "recall": round(float(recall), 4),
            "f1": round(float(f1), 4),
            "average_precision": round(float(average_precision_score(test_y, probability)), 4),
        },
        "features": f"char_wb {_NGRAMS[0]}-{_NGRAMS[1]}-grams hashed to {_FEATURES}",
        "seed": seed,
    }
    return NameModel(np.asarray(final.coef_[0], dtype=np.float64), float(final.intercept_[0]), 0.5, meta)
