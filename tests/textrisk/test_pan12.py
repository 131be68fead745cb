"""PAN12 reader, labelled-CSV reader, PAN12 and early-detection metrics, synthetic corpus.

All chat text here is benign and invented; the risky synthetic chats use only short non-sexual
indicator phrases, and a guard test checks that no sexual term appears in what is generated.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from heroes.errors import InvalidInput, NotFound
from heroes.textrisk import pan12
from heroes.textrisk.pan12 import (
    LANGUAGES,
    STAGES,
    Pan12Problem,
    benign_conversations,
    f_beta,
    iter_pan12,
    latency_penalty,
    latency_weighted_f1,
    messages_to_alert,
    pan12_line_scores,
    pan12_scores,
    read_labelled_csv,
    read_pan12,
    read_predator_ids,
    read_predator_lines,
    speed_penalty_parameter,
    synthetic_conversations,
    write_synthetic_pan12,
)


def _message(line: int | str, author: str | None, time: str | None, text: str | None) -> str:
    parts = [f'<message line="{line}">']
    if author is not None:
        parts.append(f"<author>{author}</author>")
    if time is not None:
        parts.append(f"<time>{time}</time>")
    if text is not None:
        parts.append(f"<text>{text}</text>")
    return "".join(parts) + "</message>"


GOOD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<conversations>\n'
    '<conversation id="c1">'
    + _message(1, "a1", "10:00", "hi, how was practice?")
    + _message(2, "a2", "10:01", "good, we won 2-1 &amp;amp; coach was happy")
    + _message(3, "a1", "10:03", "")
    + "</conversation>\n"
    '<conversation id="c2">'
    + _message(1, "p1", "21:15", "hey, what games do you play?")
    + _message(2, "a3", "21:16", "minecraft mostly")
    + _message(3, "p1", "21:17", "cool")
    + "</conversation>\n"
    '<conversation id="c3">'
    + _message(1, "a1", "08:00", "bus is late again")
    + _message(2, "a4", "08:02", "same, see you in class")
    + _message(3, "a5", "08:02", "ok")
    + "</conversation>\n</conversations>\n"
)


@pytest.fixture
def corpus_files(tmp_path: Path) -> tuple[Path, Path]:
    xml = tmp_path / "corpus.xml"
    xml.write_text(GOOD, encoding="utf-8")
    predators = tmp_path / "predators.txt"
    predators.write_bytes(b"p1\r\n\r\n  p2  \r\n")
    return xml, predators


# ---------------------------------------------------------------------------- reading PAN12


def test_reads_a_hand_written_corpus(corpus_files: tuple[Path, Path]) -> None:
    corpus = read_pan12(*corpus_files)
    assert corpus.problems == ()
    assert [c.id for c in corpus.conversations] == ["c1", "c2", "c3"]
    c1, c2, c3 = corpus.conversations
    assert [(m.author, m.time, m.line) for m in c1.messages] == [
        ("a1", "10:00", 1),
        ("a2", "10:01", 2),
        ("a1", "10:03", 3),
    ]
    assert c1.messages[1].text == "good, we won 2-1 & coach was happy"  # HTML escape undone once
    assert c1.messages[2].text == ""  # an empty <text> is a message, not a problem
    assert (c1.label, c2.label, c3.label) == (False, True, False)
    assert c2.predator_authors == {"p1"}
    assert c3.authors == {"a1", "a4", "a5"}
    assert corpus.predators == {"p1", "p2"}
    assert corpus.predators_present == {"p1"}
    assert corpus.authors == {"a1", "a2", "a3", "a4", "a5", "p1"}
    assert corpus.author_labels() == {
        "a1": False,
        "a2": False,
        "a3": False,
        "a4": False,
        "a5": False,
        "p1": True,
    }
    assert corpus.conversation_lengths() == [3, 3, 3]


def test_html_unescape_can_be_turned_off(corpus_files: tuple[Path, Path]) -> None:
    corpus = read_pan12(corpus_files[0], html_unescape=False)
    assert corpus.conversations[0].messages[1].text == "good, we won 2-1 &amp; coach was happy"
    assert corpus.predators == frozenset()
    assert not any(c.label for c in corpus.conversations)


def test_bad_records_are_skipped_and_counted(tmp_path: Path) -> None:
    xml = tmp_path / "bad.xml"
    xml.write_text(
        "<conversations>"
        '<conversation id="ok">'
        + _message(1, "a1", "10:00", "fine")
        + _message(2, None, "10:01", "no author")
        + _message(3, "a2", None, "no time")
        + _message("x", "a2", "10:02", "bad line")
        + _message(5, "a2", "10:03", None)
        + _message(6, "a2", "tea time", "bad time")
        + '<message line="7"><author>a2</author><time>10:04</time><text>kept</text><mood>ok</mood></message>'
        + "</conversation>"
        + "<conversation>"
        + _message(1, "a1", "10:00", "no conversation id")
        + "</conversation>"
        + '<conversation id="ok">'
        + _message(1, "a3", "11:00", "duplicate id")
        + "</conversation>"
        + '<conversation id="empty"></conversation>'
        + "</conversations>",
        encoding="utf-8",
    )
    corpus = read_pan12(xml)
    assert [c.id for c in corpus.conversations] == ["ok"]
    assert [m.text for m in corpus.conversations[0].messages] == ["fine", "kept"]
    reasons = [p.reason for p in corpus.problems]
    assert reasons == [
        "message without an author skipped",
        "message without a valid HH:MM time skipped",
        "message without a valid line number skipped",
        "message without a <text> element skipped",
        "message without a valid HH:MM time skipped",
        "unexpected <mood> inside <message> ignored",
        "conversation without an id skipped",
        "duplicate conversation id skipped",
        "no readable messages; conversation skipped",
    ]
    assert "conversation ok, message line 3" in corpus.problems[1].where
    # Problem lines cite ids and line numbers, never message text (it may be evidence).
    texts = ("no author", "no time", "bad line", "bad time", "no conversation id", "duplicate id")
    assert not any(t in p.where + p.reason for t in texts for p in corpus.problems)


BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE conversations [\n<!ENTITY a "aaaaaaaaaa">\n'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
    '<conversations><conversation id="c"><message line="1"><author>x</author><time>10:00</time>'
    "<text>&c;</text></message></conversation></conversations>"
)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (GOOD[: len(GOOD) // 2], "not well-formed"),  # truncated
        ("<conversations><conversation id='c'><message line='1'><author>a</time>", "not well-formed"),
        (BOMB, "DOCTYPE"),
        ('<?xml version="1.0"?><!DOCTYPE c SYSTEM "file:///etc/hostname"><conversations/>', "DOCTYPE"),
        ("<conversations><conversation id='c'>&undefined;</conversation></conversations>", "not well-formed"),
        ("<chats><chat/></chats>", "not a PAN12 file"),
        ("", "not well-formed"),
        ("just some text, not xml", "not well-formed"),
        ("<conversations></conversations><extra/>", "not well-formed"),
    ],
    ids=["truncated", "bad-nesting", "entity-bomb", "external-dtd", "undefined-entity", "wrong-root", "empty",
         "not-xml", "two-roots"],
)  # fmt: skip
def test_malformed_or_dangerous_xml_is_refused(tmp_path: Path, content: str, says: str) -> None:
    xml = tmp_path / "bad.xml"
    xml.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=says):
        read_pan12(xml)


def test_missing_files_are_not_found(tmp_path: Path, corpus_files: tuple[Path, Path]) -> None:
    with pytest.raises(NotFound):
        read_pan12(tmp_path / "nope.xml")
    with pytest.raises(NotFound):
        read_pan12(corpus_files[0], tmp_path / "nope.txt")


def test_streams_conversations_before_reading_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiny chunks split tags and multi-byte characters; conversations come out one by one,
    the first before the damage at the end of the file is even read."""
    monkeypatch.setattr(pan12, "_CHUNK", 7)
    xml = tmp_path / "stream.xml"
    body = GOOD.replace("minecraft mostly", "minecraft mostly ⚽ ação ñ").replace(
        "</conversations>", "<oops>"
    )
    xml.write_text(body, encoding="utf-8")
    problems: list[Pan12Problem] = []
    stream = iter_pan12(xml, {"p1"}, problems)
    first = next(stream)
    assert first.id == "c1"
    second = next(stream)
    assert second.messages[1].text == "minecraft mostly ⚽ ação ñ" and second.label
    assert next(stream).id == "c3"
    with pytest.raises(InvalidInput, match="not well-formed"):
        next(stream)


def test_predator_list_and_predator_lines(tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("aa11\nbb22\n\ntwo ids\ncc33\n", encoding="utf-8")
    problems: list[Pan12Problem] = []
    assert read_predator_ids(ids, problems) == {"aa11", "bb22", "cc33"}
    assert [p.where for p in problems] == ["ids.txt line 4"]
    lines = tmp_path / "lines.txt"
    lines.write_text("c1\t3\nc1 4\r\n\nonly-id\nc2\tx\nc3\t0\nc2\t10\n", encoding="utf-8")
    problems = []
    assert read_predator_lines(lines, problems) == {("c1", 3), ("c1", 4), ("c2", 10)}
    assert [p.where for p in problems] == ["lines.txt line 4", "lines.txt line 5", "lines.txt line 6"]


# ---------------------------------------------------------------------------- labelled CSV


def test_reads_labelled_segments(tmp_path: Path) -> None:
    path = tmp_path / "segments.csv"
    path.write_text(
        "\ufeffConversation,Author,Time,Text,Label,extra\n"
        's1,ana,10:00,"hi, ready for the quiz?",0,x\n'
        's2,bo,11:00,"line one\nline two",1,x\n'
        "s1,cy,10:01,yes!,0,x\n"
        "s2,dee,11:02,ok,predator,x\n"
        "s3,eve,12:00,hello,1,x\n"
        "s3,fay,12:01,hi,no,x\n"
        "s4,,12:00,no author,0,x\n"
        "s4,gus,12:00,odd label,maybe,x\n"
        "s5,hal,12:00\n"
        "\n",
        encoding="utf-8",
    )
    segments = read_labelled_csv(path)
    assert [(c.id, c.label) for c in segments.conversations] == [("s1", False), ("s2", True), ("s3", True)]
    s1, s2, _ = segments.conversations
    assert [(m.author, m.time, m.text, m.line) for m in s1.messages] == [
        ("ana", "10:00", "hi, ready for the quiz?", 1),
        ("cy", "10:01", "yes!", 2),
    ]
    assert s2.messages[0].text == "line one\nline two"
    assert [p.reason for p in segments.problems] == [
        "no conversation or author",
        "unknown label; row skipped",
        "too few columns; row skipped",
        "rows disagree on the label; read as positive",
    ]


def test_labelled_csv_without_required_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "segments.csv"
    path.write_text("conversation,author,text\ns1,ana,hi\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="time, label"):
        read_labelled_csv(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(InvalidInput, match="empty"):
        read_labelled_csv(path)


# ---------------------------------------------------------------------------- metrics


def test_pan12_author_scores_hand_computed() -> None:
    authors = {f"a{i}" for i in range(10)}
    scores = pan12_scores({"a0", "a1", "a4"}, {"a0", "a1", "a2", "a3", "outside-this-part"}, authors)
    assert (scores["tp"], scores["fp"], scores["fn"], scores["tn"]) == (2, 1, 2, 5)
    assert scores["precision"] == 2 / 3
    assert scores["recall"] == 1 / 2
    assert scores["f1"] == 4 / 7  # 2PR/(P+R) = (2/3)/(7/6)
    assert scores["f0_5"] == 5 / 8  # 1.25PR/(0.25P+R) = (5/12)/(2/3)


def test_pan12_scores_edge_cases() -> None:
    empty = pan12_scores(set(), {"a"}, {"a", "b"})
    assert (empty["precision"], empty["recall"], empty["f1"], empty["f0_5"]) == (0.0, 0.0, 0.0, 0.0)
    perfect = pan12_scores({"a"}, {"a"}, {"a", "b"})
    assert (perfect["precision"], perfect["recall"], perfect["f1"], perfect["f0_5"]) == (1.0, 1.0, 1.0, 1.0)
    with pytest.raises(InvalidInput, match="not among the corpus authors"):
        pan12_scores({"stranger"}, {"a"}, {"a", "b"})


def test_f_beta_matches_the_precision_recall_form() -> None:
    for tp, fp, fn in [(3, 2, 5), (1, 0, 4), (7, 9, 1)]:
        p, r = tp / (tp + fp), tp / (tp + fn)
        for beta in (0.5, 1.0, 3.0):
            b2 = beta * beta
            assert f_beta(tp, fp, fn, beta) == pytest.approx((1 + b2) * p * r / (b2 * p + r), rel=1e-12)
    assert f_beta(0, 0, 0, 1.0) == 0.0


def test_pan12_line_scores_hand_computed() -> None:
    truth = {("c1", 2), ("c1", 5), ("c2", 1)}
    scores = pan12_line_scores({("c1", 2), ("c1", 5), ("c1", 6), ("c3", 1)}, truth)
    assert (scores["tp"], scores["fp"], scores["fn"]) == (2, 2, 1)
    assert scores["precision"] == 0.5
    assert scores["recall"] == 2 / 3
    assert scores["f1"] == 4 / 7
    assert scores["f3"] == 20 / 31  # 10·TP / (10·TP + 9·FN + FP)


def test_messages_to_alert_follows_the_master_classifier() -> None:
    verdicts = [False, True, False, False, True, True, False]
    assert messages_to_alert(verdicts) == 2
    assert messages_to_alert(verdicts, skepticism=2) == 5
    assert messages_to_alert(verdicts, skepticism=3) == 6
    assert messages_to_alert(verdicts, skepticism=2, window=2) == 6
    assert messages_to_alert([False] * 5) is None
    assert messages_to_alert([]) is None
    with pytest.raises(ValueError, match="skepticism"):
        messages_to_alert(verdicts, skepticism=11)


def test_penalty_parameter_and_penalty() -> None:
    p = speed_penalty_parameter([3, 5, 9, 4, 40])  # median 5
    assert p == math.log(3) / 4
    assert latency_penalty(1, p) == 0.0
    assert latency_penalty(5, p) == pytest.approx(0.5, abs=1e-15)
    assert latency_penalty(10_000, p) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="above 1"):
        speed_penalty_parameter([1, 1, 2])
    with pytest.raises(ValueError, match="no conversation"):
        speed_penalty_parameter([])


def test_latency_weighted_f1_hand_computed() -> None:
    alerts = {"c1": 1, "c2": 5, "c3": None, "c4": 3, "c5": None, "c6": None}
    scores = latency_weighted_f1(alerts, {"c1", "c2", "c3"}, p=math.log(3) / 4)
    assert (scores.tp, scores.fp, scores.fn, scores.tn) == (2, 1, 1, 2)
    assert scores.precision == 2 / 3 and scores.recall == 2 / 3
    assert scores.f1 == 2 / 3
    # penalties: k=1 -> 0, k=5 -> 0.5 (the median length); median 0.25; speed 0.75
    assert scores.speed == pytest.approx(0.75, abs=1e-15)
    assert scores.latency_f1 == pytest.approx(0.5, abs=1e-15)
    assert dict(scores.messages_to_alert) == {"c1": 1, "c2": 5}
    assert scores.median_messages_to_alert == 3.0
    assert scores.mean_messages_to_alert == 3.0


def test_latency_weighted_f1_edges() -> None:
    none_found = latency_weighted_f1({"c1": None, "c2": 4}, {"c1"}, p=0.1)
    assert none_found.speed == 0.0 and none_found.latency_f1 == 0.0
    assert none_found.median_messages_to_alert is None and none_found.mean_messages_to_alert is None
    instant = latency_weighted_f1({"c1": 1, "c2": None}, {"c1"}, p=0.1)
    assert (instant.f1, instant.speed, instant.latency_f1) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="no entry"):
        latency_weighted_f1({"c1": 1}, {"c1", "c9"}, p=0.1)
    with pytest.raises(ValueError, match="at least one message"):
        latency_weighted_f1({"c1": 0}, {"c1"}, p=0.1)
    with pytest.raises(ValueError, match="positive"):
        latency_weighted_f1({"c1": 1}, {"c1"}, p=0.0)


# ---------------------------------------------------------------------------- synthetic corpus

# A guard, not a vocabulary: a few clinical terms in the three languages that must never appear.
BLOCKLIST = frozenset(
    {"sex", "sexual", "sexy", "sexo", "nude", "nudes", "naked", "desnudo", "desnuda", "nua", "nu",
     "porn", "porno", "genital", "genitals", "genitales", "genitais", "intercourse"}
)  # fmt: skip
_WORDS = re.compile(r"[^\W\d_]+")


def _blocked(texts: list[str]) -> set[str]:
    return {w for t in texts for w in _WORDS.findall(t.lower()) if w in BLOCKLIST}


def test_synthetic_writer_is_deterministic_and_parses_back(tmp_path: Path) -> None:
    xml, predators = write_synthetic_pan12(tmp_path / "a", conversations=240, seed=7)
    xml2, predators2 = write_synthetic_pan12(tmp_path / "b", conversations=240, seed=7)
    assert xml.read_bytes() == xml2.read_bytes()
    assert predators.read_bytes() == predators2.read_bytes()
    xml3, _ = write_synthetic_pan12(tmp_path / "c", conversations=240, seed=8)
    assert xml3.read_bytes() != xml.read_bytes()

    corpus = read_pan12(xml, predators)
    assert corpus.problems == ()
    assert len(corpus.conversations) == 240
    positives = [c for c in corpus.conversations if c.label]
    assert len(positives) == 24  # round(240 * 0.1)
    assert all(len(c.predator_authors) == 1 for c in positives)
    assert corpus.predators_present == corpus.predators
    assert {a for c in positives for a in c.predator_authors} == corpus.predators
    assert all(len(c.authors) >= 2 for c in corpus.conversations)
    assert all(re.fullmatch(r"\d\d:\d\d", m.time) for c in corpus.conversations for m in c.messages)

    lines = read_predator_lines(xml.parent / "synthetic-pan12-predator-lines.txt")
    by_id = {c.id: c for c in corpus.conversations}
    assert {cid for cid, _ in lines} == {c.id for c in positives}
    for cid, line in lines:
        assert by_id[cid].messages[line - 1].author in corpus.predators


def test_synthetic_proportions_languages_and_stage_order() -> None:
    corpus = synthetic_conversations(300, seed=11, risky_fraction=0.2)
    assert corpus == synthetic_conversations(300, seed=11, risky_fraction=0.2)
    risky = [s for s in corpus if s.risky]
    assert len(risky) == 60
    for language in LANGUAGES:
        assert sum(s.language == language for s in risky) == 20
        assert sum(s.language == language and not s.risky for s in corpus) == 80
    for s in risky:
        assert s.conversation.label and s.conversation.predator_authors == {s.risky_author}
        assert set(s.stages) == set(STAGES)
        assert [STAGES.index(x) for x in s.stages] == sorted(STAGES.index(x) for x in s.stages)
        assert list(s.indicator_lines) == sorted(s.indicator_lines) and s.indicator_lines[0] > 3
        assert all(s.conversation.messages[n - 1].author == s.risky_author for n in s.indicator_lines)
        assert len(s.conversation.authors) == 2
    assert all(not s.conversation.label and s.risky_author is None for s in corpus if not s.risky)
    # Each language really is written in that language (a few of its everyday words occur).
    marks = {"en": {"the", "you", "what"}, "es": {"que", "el", "de"}, "pt": {"você", "não", "pra", "de"}}
    for language, words in marks.items():
        texts = [m.text.lower() for s in corpus if s.language == language for m in s.conversation.messages]
        assert sum(bool(words & set(_WORDS.findall(t))) for t in texts) > len(texts) // 10
    only_en = synthetic_conversations(30, seed=1, languages=["en"])
    assert {s.language for s in only_en} == {"en"}
    with pytest.raises(ValueError, match="languages"):
        synthetic_conversations(3, languages=["fr"])


def test_benign_conversations_are_many_and_varied() -> None:
    chats = benign_conversations(2000, seed=3)
    assert len(chats) == 2000
    assert chats == benign_conversations(2000, seed=3)
    assert len({c.id for c in chats}) == 2000
    assert not any(c.label or c.predator_authors for c in chats)
    assert all(len(c.authors) >= 2 for c in chats)
    lengths = [len(c.messages) for c in chats]
    assert min(lengths) == 2 and max(lengths) > 100
    assert sum(len(c.authors) > 2 for c in chats) > 200  # group chats too
    texts = [m.text for c in chats for m in c.messages]
    assert len(set(texts)) > 10_000


def test_generated_text_has_no_sexual_terms() -> None:
    texts = [
        m.text
        for s in synthetic_conversations(600, seed=5, risky_fraction=0.5)
        for m in s.conversation.messages
    ]
    texts += [m.text for c in benign_conversations(600, seed=6) for m in c.messages]
    assert _blocked(texts) == set()
    # And the guard itself works (a Portuguese weekday must not trip it).
    assert _blocked(["na sexta a gente joga", "nude test"]) == {"nude"}
