"""The streaming scorer: early, explained, quiet after an alert, private (no text kept, nothing written)."""

from __future__ import annotations

import builtins
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from heroes.errors import InvalidInput
from heroes.textrisk.grooming import (
    EXCERPT_CHARS,
    ConversationModel,
    ConversationState,
    GroomingScorer,
)


@dataclass(frozen=True)
class _Indicator:
    id: str
    name: str
    stage: str
    weight: float = 1.0


@dataclass(frozen=True)
class _Activation:
    indicator: str
    score: float
    via: str = "pattern"
    evidence: str = ""


INDICATORS = [
    _Indicator("flattery", "flattery and trust building", "friendship"),
    _Indicator("age_probe", "age or location probing", "risk-assessment"),
    _Indicator("adults_around", "checking whether adults are around", "risk-assessment"),
    _Indicator("secrecy", "secrecy and exclusivity", "exclusivity"),
    _Indicator("move_app", "moving to another app", "isolation"),
    _Indicator("meeting", "proposal to meet", "meeting"),
]
# Keyword stand-in for the real matcher: the scorer is tested on its own here.
KEYS = {
    "mature": "flattery", "how old": "age_probe", "parents home": "adults_around",
    "don't tell": "secrecy", "other app": "move_app", "meet": "meeting",
}  # fmt: skip


class _Matcher:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def match(self, text: str) -> Sequence[Any]:
        self.seen.append(text)
        return [_Activation(ind, 0.9) for key, ind in KEYS.items() if key in text.lower()]


RISKY = [
    ("sam", "hi! saw your drawing online, it's great"),
    ("kid", "thanks :)"),
    ("sam", "you're so mature for your age"),
    ("kid", "haha ok"),
    ("sam", "how old are you btw? which school?"),
    ("kid", "13, st mary's"),
    ("sam", "are your parents home much?"),
    ("kid", "not really"),
    ("sam", "don't tell anyone about our chats ok? they wouldn't get it"),
    ("kid", "ok"),
    ("sam", "let's talk on the other app, it's more private"),
    ("sam", "we should meet at the mall on saturday"),
]
BENIGN = [
    ("ana", "did you finish the maths homework?"),
    ("ben", "almost, question 4 is hard"),
    ("ana", "football practice at 5 tomorrow"),
    ("ben", "mum says I can come"),
] * 6


def _run(scorer: GroomingScorer, lines: list[tuple[str, str]]) -> list[Any]:
    state = ConversationState()
    return [scorer.feed(state, who, None, text) for who, text in lines]


def test_benign_chat_stays_quiet() -> None:
    out = _run(GroomingScorer(_Matcher(), INDICATORS), BENIGN)
    assert all(a.alert is None and a.risk < 0.1 and a.author is None for a in out)


def test_escalating_chat_alerts_early_and_says_why() -> None:
    out = _run(GroomingScorer(_Matcher(), INDICATORS, sensitivity="balanced"), RISKY)
    risks = [a.risk for a in out]
    assert risks[-1] > 0.9 and risks[2] < 0.2  # one compliment is not grooming
    first = next(a for a in out if a.alert)
    assert first.alert is not None and first.alert.author == "sam" and first.message_index < len(RISKY) - 1
    assert (
        "secrecy and exclusivity" in first.alert.indicators
        or "age or location probing" in first.alert.indicators
    )
    assert all(a.author == "sam" for a in first.active)
    assert all(a.excerpt is not None and len(a.excerpt) <= EXCERPT_CHARS for a in first.active)
    assert out[-1].stages["meeting"] == 0.9 and out[-1].stages["desensitisation"] == 0.0


def test_sensitivity_presets_trade_earliness_for_false_alarms() -> None:
    def first_alert(level: str) -> int:
        out = _run(GroomingScorer(_Matcher(), INDICATORS, sensitivity=level), RISKY)
        return next(a.message_index for a in out if a.alert)

    assert first_alert("high") < first_alert("balanced") < first_alert("low")
    with pytest.raises(InvalidInput):
        GroomingScorer(_Matcher(), INDICATORS, sensitivity="paranoid")


def test_cool_down_then_a_new_stage_alerts_again() -> None:
    scorer = GroomingScorer(_Matcher(), INDICATORS, sensitivity="high")
    state = ConversationState()
    alerts = [scorer.feed(state, w, None, t).alert for w, t in RISKY[:9]]
    assert sum(1 for a in alerts if a) >= 1
    repeats = [scorer.feed(state, "sam", None, "don't tell anyone ok?").alert for _ in range(5)]
    assert not any(repeats)  # the same signs again: quiet
    assert scorer.feed(state, "sam", None, "we should meet after school").alert is not None  # a new stage


def test_state_round_trips_and_keeps_no_text_without_excerpts() -> None:
    scorer = GroomingScorer(_Matcher(), INDICATORS, excerpts=False)
    state = ConversationState()
    for who, text in RISKY[:8]:
        scorer.feed(state, who, None, text)
    stored = state.to_json()
    assert "mature" not in stored and "school" not in stored and "drawing" not in stored
    again = ConversationState.from_json(stored)
    one = scorer.feed(state, "sam", None, RISKY[8][1])
    two = scorer.feed(again, "sam", None, RISKY[8][1])
    assert (one.risk, one.author, one.alert) == (two.risk, two.author, two.alert)
    assert all(a.excerpt is None for a in one.active)


def test_scoring_writes_nothing_to_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    written: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def guarded_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+"):
            written.append(str(file))
        return real_open(file, mode, *args, **kwargs)

    def guarded_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            written.append(str(path))
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    monkeypatch.chdir(tmp_path)
    _run(GroomingScorer(_Matcher(), INDICATORS), RISKY + BENIGN)
    assert written == [] and list(tmp_path.iterdir()) == []


def test_model_files(tmp_path: Path) -> None:
    model = ConversationModel({"escalation": 2.0}, -1.0, {"trained_on": "test"})
    model.save(tmp_path / "m.json")
    assert ConversationModel.load(tmp_path / "m.json") == model
    (tmp_path / "bad.json").write_text(
        '{"format": "heroes-grooming-model/1", "weights": {"x": 1}, "bias": 0}'
    )
    with pytest.raises(InvalidInput, match="unknown features"):
        ConversationModel.load(tmp_path / "bad.json")
    (tmp_path / "junk.json").write_text("not json")
    with pytest.raises(InvalidInput):
        ConversationModel.load(tmp_path / "junk.json")
