"""Fitting the conversation model on labelled conversations and measuring it on held-out ones."""

from __future__ import annotations

import random

import pytest

from heroes.errors import InvalidInput
from heroes.textrisk.grooming import FEATURES, GroomingScorer
from heroes.textrisk.train import LabelledConversation, evaluate, fit_model, samples, split
from tests.textrisk.test_grooming import BENIGN, INDICATORS, RISKY, _Matcher

PEER_NEAR_MISS = [("ana", "don't tell Ben about the surprise party"), ("ben", "how old is your cat?")]


def _corpus(n: int, seed: int) -> list[LabelledConversation]:
    rng = random.Random(seed)
    found = []
    for k in range(n):
        if k % 4 == 0:
            groomer = f"p{k}"
            lines = [(groomer if who == "sam" else f"c{k}", text) for who, text in RISKY]
            found.append(
                LabelledConversation(f"r{k}", tuple((a, None, t) for a, t in lines), frozenset({groomer}))
            )
        else:
            lines = rng.sample(BENIGN, 10) + (PEER_NEAR_MISS if k % 3 == 0 else [])
            found.append(LabelledConversation(f"b{k}", tuple((a, None, t) for a, t in lines), frozenset()))
    return found


def test_split_is_stratified_and_reproducible() -> None:
    corpus = _corpus(40, 1)
    train, test = split(corpus, 0.25, seed=3)
    assert (
        len(test) == 10 and sum(c.risky for c in test) == 2 and split(corpus, 0.25, seed=3) == (train, test)
    )
    assert not {c.id for c in train} & {c.id for c in test}


def test_samples_follow_authors_with_signs_only() -> None:
    scorer = GroomingScorer(_Matcher(), INDICATORS)
    found = samples(scorer, _corpus(1, 0)[0])
    assert found and all(set(f) == set(FEATURES) for f, _ in found) and all(label for _, label in found)


def test_fit_then_evaluate_on_held_out_conversations() -> None:
    train, test = split(_corpus(80, 2), 0.25, seed=0)
    model = fit_model(GroomingScorer(_Matcher(), INDICATORS), train)
    assert set(model.weights) == set(FEATURES) and model.meta["conversations"] == len(train)
    results = evaluate(lambda level: GroomingScorer(_Matcher(), INDICATORS, model, level), test)
    assert set(results) == {"low", "balanced", "high"}
    balanced = results["balanced"]
    assert balanced["recall"] == 1.0 and balanced["precision"] == 1.0  # the near-misses do not alert
    assert balanced["false_alarms_per_1000"] == 0.0 and 0 < balanced["latency_f1"] <= 1.0
    assert results["high"]["median_messages_to_alert"] <= results["low"]["median_messages_to_alert"]


def test_too_few_examples_are_refused() -> None:
    with pytest.raises(InvalidInput, match="too few samples"):
        fit_model(GroomingScorer(_Matcher(), INDICATORS), _corpus(4, 0)[1:])
