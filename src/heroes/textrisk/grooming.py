"""The anti-grooming engine: reads a conversation as it unfolds and warns early, saying why.

Why this shape: an app on a child's phone sees one message at a time and must not send them anywhere,
so the scorer is a pure function of (small conversation state, next message) → (new state,
assessment). The state keeps counts and the first message of each indicator, never the text of the
conversation; an alert carries indicator names and, unless turned off, a short excerpt of the
message that triggered each.

How the risk is made: the indicator matcher (``heroes.textrisk.indicators``: exact patterns, a cheap
character-n-gram gate, then the multilingual embedder only when needed) says which grooming
indicators a message shows. Per author, a conversation model turns what that author did so far into
features — how many distinct indicators and stages, their weights, how fast they came
(escalation), whether the stages came in the usual order (friendship → risk assessment →
exclusivity/isolation → desensitisation → meeting), who writes and asks more — and a logistic
regression maps them to a probability. The conversation's risk is its riskiest author's, who is
named as the author the signs come from. Weights are data (``ConversationModel``: fitted by
``heroes grooming train``, saved as JSON); until one is trained the shipped default is used.

Alerts: a sensitivity preset sets the risk threshold; after an alert the conversation stays quiet
(cool-down) unless the risk rises clearly or a new stage appears, so parents get one prompt per
development, not one per message. An alert is a prompt for a human conversation, never a verdict.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from heroes.errors import InvalidInput

__all__ = [
    "FEATURES",
    "SENSITIVITY",
    "STAGE_ORDER",
    "ActiveIndicator",
    "Alert",
    "Assessment",
    "AuthorState",
    "ConversationModel",
    "ConversationState",
    "GroomingScorer",
    "author_features",
]

STAGE_ORDER = ("friendship", "risk-assessment", "exclusivity", "isolation", "desensitisation", "meeting")
"""The usual order of grooming stages (O'Connell's model as adapted by later work); see the model card."""

SENSITIVITY = {"low": 0.85, "balanced": 0.7, "high": 0.5}
"""Risk needed for an alert: 'low' alerts least (fewest false alarms), 'high' earliest."""

COOL_DOWN_MESSAGES = 25
"""After an alert, stay quiet this many messages unless the risk rises by RISE or a new stage appears."""
RISE = 0.15
EXCERPT_CHARS = 80

FEATURES = (
    "distinct_indicators",
    "distinct_stages",
    "weight_sum",
    "escalation",
    "stage_order",
    "question_ratio",
    "message_share",
    "meeting_or_move",
)
"""What the conversation model sees of an author (all computed from counts, never from text)."""


class Matcher(Protocol):
    """What the scorer needs of the indicator matcher."""

    def match(self, text: str) -> Sequence[Any]:
        """Activations (``.indicator``, ``.score``, ``.via``, ``.evidence``) found in one message."""


@dataclass
class AuthorState:
    """Counts about one author: enough for the features, nothing of what was written."""

    messages: int = 0
    questions: int = 0
    first_seen: dict[str, int] = field(default_factory=dict)
    """Indicator id → index of the message (in the conversation) where this author first showed it."""
    scores: dict[str, float] = field(default_factory=dict)
    """Indicator id → best activation score so far."""


@dataclass(frozen=True, slots=True)
class ActiveIndicator:
    """An indicator seen in the conversation, the author it came from and the message that showed it."""

    indicator: str
    name: str
    stage: str
    author: str
    message_index: int
    score: float
    via: str
    excerpt: str | None
    """At most EXCERPT_CHARS characters of the triggering message; None when excerpts are off."""


@dataclass(frozen=True, slots=True)
class Alert:
    """A prompt for a human conversation: why, from whom, and how sure."""

    message_index: int
    risk: float
    author: str
    indicators: tuple[str, ...]
    reason: str


@dataclass
class ConversationState:
    """All the scorer keeps between messages (an app can persist it; it holds no message text)."""

    messages: int = 0
    authors: dict[str, AuthorState] = field(default_factory=dict)
    active: dict[str, ActiveIndicator] = field(default_factory=dict)
    risk: float = 0.0
    last_alert: int | None = None
    last_alert_risk: float = 0.0
    alerted_stages: set[str] = field(default_factory=set)

    def to_json(self) -> str:
        """A compact form an app can store between messages."""
        return json.dumps(
            {
                "messages": self.messages,
                "authors": {k: asdict(v) for k, v in self.authors.items()},
                "active": {k: asdict(v) for k, v in self.active.items()},
                "risk": self.risk,
                "last_alert": self.last_alert,
                "last_alert_risk": self.last_alert_risk,
                "alerted_stages": sorted(self.alerted_stages),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ConversationState:
        """The state stored by ``to_json``."""
        raw = json.loads(text)
        return cls(
            raw["messages"],
            {k: AuthorState(**v) for k, v in raw["authors"].items()},
            {k: ActiveIndicator(**v) for k, v in raw["active"].items()},
            raw["risk"],
            raw["last_alert"],
            raw["last_alert_risk"],
            set(raw["alerted_stages"]),
        )


@dataclass(frozen=True, slots=True)
class Assessment:
    """The conversation after one more message."""

    message_index: int
    risk: float
    """Calibrated probability (0-1) that the conversation shows grooming, from its riskiest author."""
    author: str | None
    """The author the signs come from (None while there are none)."""
    active: tuple[ActiveIndicator, ...]
    stages: dict[str, float]
    """Per stage: the best indicator score seen in it (0 when not seen): the stage profile."""
    alert: Alert | None


@dataclass(frozen=True)
class ConversationModel:
    """Logistic-regression weights over FEATURES, with what they were fitted on."""

    weights: dict[str, float]
    bias: float
    meta: dict[str, Any] = field(default_factory=dict)

    def probability(self, features: dict[str, float]) -> float:
        """Risk for one author's features."""
        logit = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))

    def save(self, path: Path) -> None:
        """JSON: small, readable, and safe to load."""
        document = {"format": "heroes-grooming-model/1", "weights": self.weights, "bias": self.bias,
                    "meta": self.meta}  # fmt: skip
        path.write_text(json.dumps(document, indent=2, sort_keys=True))

    @classmethod
    def load(cls, path: Path) -> ConversationModel:
        """A model written by ``save``; anything else is refused with a clear message."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != "heroes-grooming-model/1":
                raise ValueError(f"format {raw.get('format')!r}")
            weights = {str(k): float(v) for k, v in raw["weights"].items()}
            if unknown := set(weights) - set(FEATURES):
                raise ValueError(f"unknown features {sorted(unknown)}")
            return cls(weights, float(raw["bias"]), dict(raw.get("meta", {})))
        except FileNotFoundError:
            raise InvalidInput(f"grooming model {path} does not exist") from None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput(f"{path} is not a heroes grooming model: {exc}") from None

    @classmethod
    def default(cls) -> ConversationModel:
        """Hand-set weights (documented in docs/grooming.md) until a model is trained on real data."""
        return cls(
            {
                "distinct_indicators": 0.8,
                "distinct_stages": 0.7,
                "weight_sum": 0.2,
                "escalation": 0.8,
                "stage_order": 0.5,
                "question_ratio": 0.5,
                "message_share": 0.2,
                "meeting_or_move": 1.0,
            },
            -6.0,
            {"trained_on": "hand-set defaults", "version": "1"},
        )


def author_features(author: AuthorState, total_messages: int, stages: dict[str, str],
                    weights: dict[str, float]) -> dict[str, float]:  # fmt: skip
    """The conversation model's view of one author (``stages``/``weights``: per indicator id)."""
    seen = sorted(author.first_seen.items(), key=lambda kv: kv[1])
    distinct = len(seen)
    stage_seq = [STAGE_ORDER.index(stages[i]) for i, _ in seen if stages.get(i) in STAGE_ORDER]
    pairs = [(a, b) for n, a in enumerate(stage_seq) for b in stage_seq[n + 1 :]]
    ordered = sum(1 for a, b in pairs if a <= b) / len(pairs) if pairs else 0.0
    span = (seen[-1][1] - seen[0][1] + 1) if seen else 0
    return {
        "distinct_indicators": float(distinct),
        "distinct_stages": float(len({stages.get(i) for i, _ in seen})),
        "weight_sum": sum(weights.get(i, 1.0) * author.scores.get(i, 0.0) for i, _ in seen),
        "escalation": min(1.0, 3.0 * distinct / span) if distinct > 1 else 0.0,
        "stage_order": ordered,
        "question_ratio": author.questions / author.messages if author.messages else 0.0,
        "message_share": author.messages / total_messages if total_messages else 0.0,
        "meeting_or_move": float(any(stages.get(i) in ("meeting", "isolation") for i, _ in seen)),
    }


def _one_sign_per_message(activations: Sequence[Any]) -> list[Any]:
    """Exact pattern hits; when there are none, the single strongest embedding hit. A chat message
    rarely carries more than one sign, and the embedder's runners-up are mostly near neighbours of
    the same sign (a compliment "for your age" also lies near age claims): counting them would
    inflate the evidence."""
    patterns = [a for a in activations if a.via == "pattern"]
    embedded = [a for a in activations if a.via != "pattern"]
    return patterns + ([max(embedded, key=lambda a: float(a.score))] if embedded and not patterns else [])


class GroomingScorer:
    """Feeds messages one at a time through the matcher and the conversation model."""

    def __init__(
        self,
        matcher: Matcher,
        indicators: Sequence[Any],
        model: ConversationModel | None = None,
        sensitivity: str = "balanced",
        excerpts: bool = True,
    ) -> None:
        if sensitivity not in SENSITIVITY:
            raise InvalidInput(f"sensitivity must be one of {', '.join(SENSITIVITY)}")
        self.matcher = matcher
        self.model = model or ConversationModel.default()
        self.threshold = SENSITIVITY[sensitivity]
        self.excerpts = excerpts
        self.names = {i.id: i.name for i in indicators}
        self.stages = {i.id: i.stage for i in indicators}
        self.weights = {i.id: float(i.weight) for i in indicators}

    def feed(self, state: ConversationState, author: str, time: datetime | None, text: str) -> Assessment:
        """Score the conversation after one more message (``state`` is updated in place)."""
        index = state.messages
        state.messages += 1
        who = state.authors.setdefault(author, AuthorState())
        who.messages += 1
        if "?" in text or "¿" in text:
            who.questions += 1
        new_stages: set[str] = set()
        for activation in _one_sign_per_message(self.matcher.match(text)):
            key = str(activation.indicator)
            if key not in self.stages:
                continue
            score = float(activation.score)
            if key not in who.first_seen:
                who.first_seen[key] = index
                new_stages.add(self.stages[key])
            who.scores[key] = max(who.scores.get(key, 0.0), score)
            if key not in state.active or state.active[key].score < score:
                state.active[key] = ActiveIndicator(
                    key, self.names[key], self.stages[key], author, index, score, str(activation.via),
                    " ".join(text.split())[:EXCERPT_CHARS] if self.excerpts else None,
                )  # fmt: skip
        risks = {
            name: self.model.probability(author_features(a, state.messages, self.stages, self.weights))
            for name, a in state.authors.items()
            if a.first_seen
        }
        suspect = max(risks, key=lambda n: risks[n]) if risks else None
        state.risk = risks[suspect] if suspect else 0.0
        alert = self._alert(state, index, suspect, new_stages)
        stages = {stage: 0.0 for stage in STAGE_ORDER}
        for active in state.active.values():
            stages[active.stage] = max(stages.get(active.stage, 0.0), active.score)
        ordered = tuple(sorted(state.active.values(), key=lambda a: a.message_index))
        return Assessment(index, state.risk, suspect, ordered, stages, alert)

    def _alert(
        self, state: ConversationState, index: int, suspect: str | None, new: set[str]
    ) -> Alert | None:
        if suspect is None or state.risk < self.threshold:
            return None
        if state.last_alert is not None:
            quiet = index - state.last_alert < COOL_DOWN_MESSAGES
            risen = state.risk >= state.last_alert_risk + RISE
            fresh = bool(new - state.alerted_stages)
            if quiet and not (risen or fresh):
                return None
        mine = [a for a in state.active.values() if a.author == suspect]
        names = tuple(a.name for a in sorted(mine, key=lambda a: a.message_index))
        state.last_alert, state.last_alert_risk = index, state.risk
        state.alerted_stages |= {a.stage for a in mine}
        reason = f"{len(names)} sign(s) of grooming from {suspect}: " + ", ".join(names)
        return Alert(index, state.risk, suspect, names, reason)
