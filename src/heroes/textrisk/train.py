"""Fitting and measuring the grooming conversation model on labelled conversations.

Why here and this way: the risk must be calibrated (a 0.7 should mean about 70 %) and must hold while
a conversation is still unfolding, so the model is fitted on what the scorer sees *during* each
conversation: every few messages, each author who has shown any indicator becomes one sample
(their features then, labelled by whether the corpus names them a predator). A logistic regression
on those samples is calibrated by construction. Conversations are split before anything is fitted
(stratified by label, fixed seed): the held-out part is only ever used to report PAN12's
author-level precision, recall, F1 and F0.5 and the early-detection latency of Vogt et al., never to
choose anything.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from heroes.errors import InvalidInput
from heroes.textrisk.grooming import (
    FEATURES,
    ConversationModel,
    ConversationState,
    GroomingScorer,
    author_features,
)
from heroes.textrisk.pan12 import latency_weighted_f1, pan12_scores, speed_penalty_parameter

__all__ = ["LabelledConversation", "evaluate", "fit_model", "from_pan12", "samples", "split"]

SAMPLE_EVERY = 5
"""Messages between two looks at the authors while fitting."""


@dataclass(frozen=True, slots=True)
class LabelledConversation:
    """A conversation to learn from: messages (author, time, text) and which authors are predators."""

    id: str
    messages: tuple[tuple[str, datetime | None, str], ...]
    predators: frozenset[str]

    @property
    def risky(self) -> bool:
        """Whether a predator takes part."""
        return bool(self.predators & {a for a, _, _ in self.messages})


def from_pan12(conversations: Sequence[Any]) -> list[LabelledConversation]:
    """PAN12-style conversations (``id``, ``messages`` of author/text, ``predator_authors``) as
    training material; PAN12 times carry no date, so they are left out."""
    return [
        LabelledConversation(
            c.id, tuple((m.author, None, m.text) for m in c.messages), frozenset(c.predator_authors)
        )
        for c in conversations
    ]


def split(
    conversations: Sequence[LabelledConversation], held_out: float = 0.2, seed: int = 0
) -> tuple[list[LabelledConversation], list[LabelledConversation]]:
    """Training and held-out conversations, stratified by label, reproducible by seed."""
    rng = random.Random(seed)
    train: list[LabelledConversation] = []
    test: list[LabelledConversation] = []
    for label in (True, False):
        group = sorted((c for c in conversations if c.risky is label), key=lambda c: c.id)
        rng.shuffle(group)
        cut = round(len(group) * held_out)
        test += group[:cut]
        train += group[cut:]
    return train, test


def samples(
    scorer: GroomingScorer, conversation: LabelledConversation
) -> list[tuple[dict[str, float], bool]]:
    """Per-author features every SAMPLE_EVERY messages (and at the end), with the author's label."""
    state = ConversationState()
    found: list[tuple[dict[str, float], bool]] = []
    for n, (author, time, text) in enumerate(conversation.messages, start=1):
        scorer.feed(state, author, time, text)
        if n % SAMPLE_EVERY == 0 or n == len(conversation.messages):
            for name, who in state.authors.items():
                if who.first_seen:
                    features = author_features(who, state.messages, scorer.stages, scorer.weights)
                    found.append((features, name in conversation.predators))
    return found


def fit_model(
    scorer: GroomingScorer, conversations: Sequence[LabelledConversation], seed: int = 0
) -> ConversationModel:
    """A logistic regression over FEATURES, fitted on the samples of the given conversations."""
    from sklearn.linear_model import LogisticRegression

    rows = [s for c in conversations for s in samples(scorer, c)]
    labels = [label for _, label in rows]
    if sum(labels) < 5 or len(labels) - sum(labels) < 5:
        raise InvalidInput(
            f"too few samples to fit: {sum(labels)} of predators and {len(labels) - sum(labels)} of others "
            "showed any indicator; give more (or more varied) conversations"
        )
    matrix = np.array([[features[name] for name in FEATURES] for features, _ in rows])
    fitted = LogisticRegression(C=1.0, max_iter=1000, random_state=seed).fit(matrix, labels)
    return ConversationModel(
        {name: round(float(w), 6) for name, w in zip(FEATURES, fitted.coef_[0], strict=True)},
        round(float(fitted.intercept_[0]), 6),
        {"samples": len(rows), "positive_samples": int(sum(labels)), "conversations": len(conversations),
         "sample_every": SAMPLE_EVERY, "seed": seed},
    )  # fmt: skip


class _Remembering:
    """A matcher that answers each distinct text once: the activations of a message do not depend on
    the sensitivity, so evaluating three presets costs one pass of matching."""

    def __init__(self, matcher: Any, seen: dict[str, Sequence[Any]]) -> None:
        self.matcher, self.seen = matcher, seen

    def match(self, text: str) -> Sequence[Any]:
        if text not in self.seen:
            self.seen[text] = self.matcher.match(text)
        return self.seen[text]


def evaluate(
    make_scorer: Callable[[str], GroomingScorer],
    conversations: Sequence[LabelledConversation],
    sensitivities: Sequence[str] = ("low", "balanced", "high"),
) -> dict[str, dict[str, Any]]:
    """Per sensitivity: PAN12 author-level scores, early-detection latency, and false alarms per 1,000
    conversations without a predator."""
    lengths = [len(c.messages) for c in conversations]
    p = speed_penalty_parameter(lengths) if len(lengths) > 1 and max(lengths) > 1 else 1.0
    predators = {a for c in conversations for a in c.predators}
    authors = {a for c in conversations for a, _, _ in c.messages}
    results: dict[str, dict[str, Any]] = {}
    seen: dict[str, Sequence[Any]] = {}
    for level in sensitivities:
        scorer = make_scorer(level)
        scorer.matcher = _Remembering(scorer.matcher, seen)
        named: set[str] = set()
        first_alert: dict[str, int | None] = {}
        benign_alerted = 0
        for conversation in conversations:
            state = ConversationState()
            first: int | None = None
            for n, (author, time, text) in enumerate(conversation.messages, start=1):
                assessed = scorer.feed(state, author, time, text)
                if assessed.alert is not None:
                    named.add(assessed.alert.author)
                    first = first or n
            first_alert[conversation.id] = first
            benign_alerted += int(first is not None and not conversation.risky)
        positives = [c.id for c in conversations if c.risky]
        benign = sum(1 for c in conversations if not c.risky)
        early = latency_weighted_f1(first_alert, positives, p=p)
        results[level] = {
            **pan12_scores(named & authors, predators & authors, authors),
            "latency_f1": early.latency_f1,
            "speed": early.speed,
            "median_messages_to_alert": early.median_messages_to_alert,
            "false_alarms_per_1000": round(1000 * benign_alerted / benign, 2) if benign else None,
            "conversations": len(conversations),
        }
    return results
