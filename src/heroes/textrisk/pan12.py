"""PAN 2012 chats: safe streaming reader, a synthetic stand-in corpus, and the metrics papers report.

Why this module: the public yardstick for grooming detection is the PAN 2012 Sexual Predator
Identification corpus (Inches & Crestani, "Overview of the International Sexual Predator
Identification Competition at PAN-2012", CLEF 2012 working notes) and its early-detection reuse
by Vogt, Leser & Akbik ("Early Detection of Sexual Predators in Chats", ACL 2021, which builds
PANC from PAN12 and ChatCoder2). Agencies obtain the corpus on request; heroes never ships it.
This module lets them read it, score a detector the way those papers did, and lets everyone else
(tests, demos, CI, false-alarm measurements) run the same code on a synthetic corpus in the same
format whose risky chats contain only short, non-sexual indicator phrases.

Format (PAN12)::

    <conversations>
      <conversation id="HEX">
        <message line="1"><author>HEX</author><time>HH:MM</time><text>...</text></message>
        ...

plus a predator list (one author id per line) and, for PAN12's second problem, a list of
"predator lines" (``conversation-id<TAB>line``).

Why a hand-driven expat parser: the training file is about 200 MB, so it is streamed in 1 MiB
chunks and each conversation is handed out as soon as its end tag is read; no element tree is
kept. The parser refuses any ``<!DOCTYPE``, entity declaration or external entity before it can
expand anything (the billion-laughs and external-entity attacks), which is what ``defusedxml``
does to expat too; doing it here keeps one code path, tested, whether or not ``defusedxml`` is
installed. A file that is not well-formed XML (truncated, mis-nested, wrong root) is refused
whole with :class:`~heroes.errors.InvalidInput`; single bad records (a message without author,
time or text, a bad line number, a conversation without id or with a duplicate id) are skipped
and counted as :class:`Pan12Problem` lines, which cite ids and line numbers, never message text
(the text may be evidence).

Metrics: :func:`pan12_scores` (author level, PAN12 problem 1, ranked by F0.5),
:func:`pan12_line_scores` (PAN12 problem 2, ranked by F3) and :func:`latency_weighted_f1`
(Vogt et al.'s early-detection measure, after Sadeque et al. 2018); formulas are in their
docstrings.
"""

from __future__ import annotations

import csv
import html
import io
import math
import random
import re
import statistics
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from heroes.errors import InvalidInput, NotFound

__all__ = [
    "LANGUAGES",
    "STAGES",
    "EarlyDetectionScores",
    "LabelledSegments",
    "Pan12Conversation",
    "Pan12Corpus",
    "Pan12Message",
    "Pan12Problem",
    "SyntheticConversation",
    "benign_conversations",
    "f_beta",
    "iter_pan12",
    "latency_penalty",
    "latency_weighted_f1",
    "messages_to_alert",
    "pan12_line_scores",
    "pan12_scores",
    "read_labelled_csv",
    "read_pan12",
    "read_predator_ids",
    "read_predator_lines",
    "speed_penalty_parameter",
    "synthetic_conversations",
    "write_synthetic_pan12",
]

_CHUNK = 1 << 20
"""Bytes fed to expat at a time: memory stays flat whatever the size of the file."""

_TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pan12Message:
    """One chat line as PAN12 stores it; ``time`` stays the corpus's ``HH:MM`` string (no date)."""

    author: str
    time: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Pan12Conversation:
    """A conversation, its messages in file order and its label.

    ``label`` is true when a listed predator wrote in it (PAN12 labels authors, so a conversation
    is positive exactly when it has a predator author); ``predator_authors`` names them.
    """

    id: str
    messages: tuple[Pan12Message, ...]
    label: bool = False
    predator_authors: frozenset[str] = frozenset()

    @property
    def authors(self) -> frozenset[str]:
        return frozenset(m.author for m in self.messages)


@dataclass(frozen=True, slots=True)
class Pan12Problem:
    """A record that was skipped: where (ids, line numbers; never text) and why."""

    where: str
    reason: str


@dataclass(frozen=True)
class Pan12Corpus:
    """What :func:`read_pan12` read: conversations, the predator list, and what was skipped."""

    conversations: tuple[Pan12Conversation, ...]
    predators: frozenset[str]
    authors: frozenset[str]
    problems: tuple[Pan12Problem, ...] = ()

    @property
    def predators_present(self) -> frozenset[str]:
        """Listed predators who wrote in this file (the list can cover a larger corpus)."""
        return self.predators & self.authors

    def author_labels(self) -> dict[str, bool]:
        """Every author of the file and whether they are on the predator list (PAN12 problem 1 truth)."""
        return {author: author in self.predators for author in sorted(self.authors)}

    def conversation_lengths(self) -> list[int]:
        """Messages per conversation, e.g. for :func:`speed_penalty_parameter`."""
        return [len(c.messages) for c in self.conversations]


@dataclass(frozen=True)
class LabelledSegments:
    """Conversations (segments) read from a labelled CSV, and the rows that were skipped."""

    conversations: tuple[Pan12Conversation, ...]
    problems: tuple[Pan12Problem, ...] = ()


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{what} {path} cannot be read: {exc}") from None


def read_predator_ids(path: Path, problems: list[Pan12Problem] | None = None) -> frozenset[str]:
    """The PAN12 predator list: one author id per line; blank lines and CRLF endings are fine.

    A line holding more than one token is not an id: it is skipped and noted in ``problems``.
    """
    ids: set[str] = set()
    for number, raw in enumerate(_read_text(path, "predator list").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if len(line.split()) != 1:
            if problems is not None:
                problems.append(Pan12Problem(f"{path.name} line {number}", "not a single author id"))
            continue
        ids.add(line)
    return frozenset(ids)


def read_predator_lines(path: Path, problems: list[Pan12Problem] | None = None) -> frozenset[tuple[str, int]]:
    """PAN12 problem-2 truth: ``conversation-id`` and ``line`` per line (tab or spaces between)."""
    found: set[tuple[str, int]] = set()
    for number, raw in enumerate(_read_text(path, "predator-lines file").splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) < 1:
            if problems is not None:
                problems.append(
                    Pan12Problem(f"{path.name} line {number}", "expected a conversation id and a line number")
                )
            continue
        found.add((parts[0], int(parts[1])))
    return frozenset(found)


class _Refused(Exception):
    """Raised from inside expat callbacks to stop at once (DTD, entities, not PAN12)."""


def _refuse_dtd(*_: object) -> NoReturn:
    raise _Refused("a <!DOCTYPE> or entity declaration (refused: entities can explode or read files)")


def _refuse_external(*_: object) -> int:
    raise _Refused("an external entity reference (refused: it could read files or the network)")


class _Pan12Handler:
    """The expat callbacks: a small state machine that builds one conversation at a time."""

    _FIELDS = ("author", "time", "text")

    def __init__(
        self,
        parser: expat.XMLParserType,
        predators: Collection[str],
        problems: list[Pan12Problem],
        unescape: bool,
    ) -> None:
        self.parser = parser
        self.predators = predators
        self.problems = problems
        self.unescape = unescape
        self.stack: list[str] = []
        self.ready: list[Pan12Conversation] = []
        self.seen: set[str] = set()
        self.conversation: str | None = None
        self.conversation_bad = False
        self.messages: list[Pan12Message] = []
        self.line: int | None = None
        self.line_ok = False
        self.fields: dict[str, str] = {}
        self.field: str | None = None
        self.buffer: list[str] = []

    def _problem(self, where: str, reason: str) -> None:
        self.problems.append(Pan12Problem(where, reason))

    def _where(self) -> str:
        conversation = self.conversation or "?"
        line = f", message line {self.line}" if self.line is not None else ""
        return f"conversation {conversation}{line} (XML line {self.parser.CurrentLineNumber})"

    def start(self, name: str, attrs: dict[str, str]) -> None:
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        if parent is None:
            if name != "conversations":
                raise _Refused(f"the root element is <{name}>, not <conversations>: not a PAN12 file")
        elif name == "conversation" and parent == "conversations":
            cid = attrs.get("id", "").strip()
            self.conversation, self.messages, self.conversation_bad = cid or None, [], False
            if not cid:
                self.conversation_bad = True
                self._problem(self._where(), "conversation without an id skipped")
            elif cid in self.seen:
                self.conversation_bad = True
                self._problem(self._where(), "duplicate conversation id skipped")
        elif name == "message" and parent == "conversation":
            self.fields, self.line, self.line_ok = {}, None, True
            raw = attrs.get("line", "").strip()
            if raw.isdigit() and int(raw) >= 1:
                self.line = int(raw)
            else:
                self.line_ok = False
        elif name in self._FIELDS and parent == "message":
            self.field, self.buffer = name, []
        elif self.field is None:
            self._problem(self._where(), f"unexpected <{name}> inside <{parent}> ignored")

    def chars(self, data: str) -> None:
        if self.field is not None:
            self.buffer.append(data)

    def end(self, name: str) -> None:
        self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        if name == self.field and parent == "message":
            self.fields[name] = "".join(self.buffer)
            self.field = None
        elif name == "message" and parent == "conversation":
            self._end_message()
        elif name == "conversation" and parent == "conversations":
            self._end_conversation()

    def _end_message(self) -> None:
        where = self._where()
        author = self.fields.get("author", "").strip()
        time = self.fields.get("time", "").strip()
        text = self.fields.get("text")
        reason = None
        if not self.line_ok:
            reason = "message without a valid line number skipped"
        elif not author:
            reason = "message without an author skipped"
        elif not _TIME.match(time):
            reason = "message without a valid HH:MM time skipped"
        elif text is None:
            reason = "message without a <text> element skipped"
        if reason is not None:
            self._problem(where, reason)
        elif not self.conversation_bad:
            assert self.line is not None
            body = html.unescape(text) if self.unescape and text else (text or "")
            self.messages.append(Pan12Message(author, time, body, self.line))
        self.line = None

    def _end_conversation(self) -> None:
        cid = self.conversation
        if cid is not None and not self.conversation_bad:
            self.seen.add(cid)
            if not self.messages:
                self._problem(f"conversation {cid}", "no readable messages; conversation skipped")
            else:
                predators = frozenset(m.author for m in self.messages if m.author in self.predators)
                self.ready.append(Pan12Conversation(cid, tuple(self.messages), bool(predators), predators))
        self.conversation, self.messages, self.conversation_bad = None, [], False

    def drain(self) -> list[Pan12Conversation]:
        out, self.ready = self.ready, []
        return out


def iter_pan12(
    xml_path: Path,
    predators: Collection[str] = frozenset(),
    problems: list[Pan12Problem] | None = None,
    *,
    html_unescape: bool = True,
) -> Iterator[Pan12Conversation]:
    """Stream the conversations of a PAN12 XML file, one at a time, labelled by ``predators``.

    ``html_unescape``: PAN12 texts carry HTML escapes from the chat logs (``&apos;``, even
    double-escaped ``&amp;#8212;``); they are undone once, as in Vogt et al.'s preprocessing.
    Skipped records go to ``problems``. Raises :class:`InvalidInput` when the file is not
    well-formed XML or has a DTD/entities, possibly after some conversations were yielded.
    """
    sink: list[Pan12Problem] = problems if problems is not None else []
    parser = expat.ParserCreate()
    handler = _Pan12Handler(parser, predators, sink, html_unescape)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.UnparsedEntityDeclHandler = _refuse_dtd
    parser.NotationDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.chars
    parser.buffer_text = True
    try:
        stream = xml_path.open("rb")
    except FileNotFoundError:
        raise NotFound(f"PAN12 file {xml_path} does not exist") from None
    except OSError as exc:
        raise InvalidInput(f"PAN12 file {xml_path} cannot be read: {exc}") from None
    with stream:
        try:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
                yield from handler.drain()
            parser.Parse(b"", True)
        except _Refused as exc:
            raise InvalidInput(f"PAN12 file {xml_path}: {exc}") from None
        except expat.ExpatError as exc:
            raise InvalidInput(f"PAN12 file {xml_path} is not well-formed XML: {exc}") from None
        yield from handler.drain()


def read_pan12(
    xml_path: Path, predators_path: Path | None = None, *, html_unescape: bool = True
) -> Pan12Corpus:
    """Read a whole PAN12 XML file (and its predator list, if given) into a :class:`Pan12Corpus`.

    Conversations are labelled positive when a listed predator wrote in them; authors are
    labelled by list membership (:meth:`Pan12Corpus.author_labels`). For the full training file
    this holds about a million messages in memory; use :func:`iter_pan12` to stream instead.
    """
    problems: list[Pan12Problem] = []
    predators = read_predator_ids(predators_path, problems) if predators_path is not None else frozenset()
    conversations = tuple(iter_pan12(xml_path, predators, problems, html_unescape=html_unescape))
    authors = frozenset(m.author for c in conversations for m in c.messages)
    return Pan12Corpus(conversations, predators, authors, tuple(problems))


_CSV_COLUMNS = ("conversation", "author", "time", "text", "label")
_LABELS = {
    "1": True,
    "true": True,
    "yes": True,
    "positive": True,
    "predator": True,
    "0": False,
    "false": False,
    "no": False,
    "negative": False,
    "non-predator": False,
}


def read_labelled_csv(path: Path) -> LabelledSegments:
    """A CSV of labelled segments: columns ``conversation, author, time, text, label`` (any order,
    any case, extra columns ignored), one message per row.

    Rows are grouped by ``conversation`` in first-seen order and numbered 1, 2, ... within it.
    ``label`` is the segment's label repeated on each row (``1/0``, ``true/false``, ``yes/no``,
    ``positive/negative``, ``predator/non-predator``). A segment whose rows disagree is labelled
    positive and noted as a problem (a detector must not be scored on a doubtful negative). Time
    is kept as written (CSV exports use many formats). Rows without conversation or author, or
    with an unknown label, are skipped and noted.
    """
    text = _read_text(path, "labelled CSV")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidInput(f"labelled CSV {path}: {exc}") from None
    if header is None:
        raise InvalidInput(f"labelled CSV {path} is empty")
    names = [h.strip().lower() for h in header]
    missing = [c for c in _CSV_COLUMNS if c not in names]
    if missing:
        raise InvalidInput(f"labelled CSV {path} lacks the column(s) {', '.join(missing)}")
    index = {c: names.index(c) for c in _CSV_COLUMNS}
    problems: list[Pan12Problem] = []
    rows: dict[str, list[tuple[str, str, str]]] = {}
    labels: dict[str, set[bool]] = {}
    number = 1
    try:
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(names):
                problems.append(Pan12Problem(f"{path.name} row {number}", "too few columns; row skipped"))
                continue
            cid, author = row[index["conversation"]].strip(), row[index["author"]].strip()
            label = _LABELS.get(row[index["label"]].strip().lower())
            if not cid or not author:
                problems.append(Pan12Problem(f"{path.name} row {number}", "no conversation or author"))
                continue
            if label is None:
                problems.append(Pan12Problem(f"{path.name} row {number}", "unknown label; row skipped"))
                continue
            rows.setdefault(cid, []).append((author, row[index["time"]].strip(), row[index["text"]]))
            labels.setdefault(cid, set()).add(label)
    except csv.Error as exc:
        raise InvalidInput(f"labelled CSV {path}, row {number}: {exc}") from None
    conversations = []
    for cid, messages in rows.items():
        if len(labels[cid]) > 1:
            problems.append(
                Pan12Problem(f"conversation {cid}", "rows disagree on the label; read as positive")
            )
        conversations.append(
            Pan12Conversation(
                cid,
                tuple(Pan12Message(a, t, x, i) for i, (a, t, x) in enumerate(messages, start=1)),
                True in labels[cid],
            )
        )
    return LabelledSegments(tuple(conversations), tuple(problems))


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def f_beta(tp: int, fp: int, fn: int, beta: float) -> float:
    """F-beta from counts: (1+b²)·TP / ((1+b²)·TP + b²·FN + FP), which equals
    (1+b²)·P·R / (b²·P + R); 0 when nothing was found. Counts keep hand-checked values exact."""
    b2 = beta * beta
    denominator = (1 + b2) * tp + b2 * fn + fp
    return (1 + b2) * tp / denominator if denominator else 0.0


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def pan12_scores(
    predicted_authors: Collection[str], true_predators: Collection[str], all_authors: Collection[str]
) -> dict[str, float]:
    """Author-level scores of PAN12 problem 1 (Inches & Crestani 2012).

    The task: among all authors of the corpus, name the predators. With TP = predicted ∩ true,
    FP = predicted − true, FN = true − predicted, TN = the other authors:
    precision = TP/(TP+FP), recall = TP/(TP+FN), F1, and F0.5 = 1.25·P·R/(0.25·P + R), the
    measure PAN12 ranked by (it weighs precision more: a wrongly accused person costs more than
    a missed one). Precision is 0 when nothing is predicted.

    ``true_predators`` outside ``all_authors`` are ignored (the official list covers the whole
    corpus; scoring a part of it must not count predators absent from that part as misses).
    A predicted author outside ``all_authors`` is an error: the predictions were made on other data.
    """
    universe = set(all_authors)
    predicted = set(predicted_authors)
    unknown = predicted - universe
    if unknown:
        raise InvalidInput(f"{len(unknown)} predicted author(s) are not among the corpus authors")
    truth = set(true_predators) & universe
    tp, fp, fn = len(predicted & truth), len(predicted - truth), len(truth - predicted)
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": f_beta(tp, fp, fn, 1.0),
        "f0_5": f_beta(tp, fp, fn, 0.5),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": len(universe) - tp - fp - fn,
    }


def pan12_line_scores(
    predicted_lines: Collection[tuple[str, int]], true_lines: Collection[tuple[str, int]]
) -> dict[str, float]:
    """Line-level scores of PAN12 problem 2: which (conversation, line) pairs show the predator's
    behaviour. Precision, recall, F1 and F3 = 10·P·R/(9·P + R), the measure PAN12 ranked by
    (it weighs recall: the lines are shown to a person who discards the irrelevant ones)."""
    predicted, truth = set(predicted_lines), set(true_lines)
    tp, fp, fn = len(predicted & truth), len(predicted - truth), len(truth - predicted)
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": f_beta(tp, fp, fn, 1.0),
        "f3": f_beta(tp, fp, fn, 3.0),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def messages_to_alert(predictions: Iterable[bool], *, skepticism: int = 1, window: int = 10) -> int | None:
    """How many messages were read when the first alert fired (1 = at the first message), or None.

    Vogt et al.'s "master classifier": the per-message classifier's verdicts are kept for the
    last ``window`` messages, and an alert fires once at least ``skepticism`` of them are
    positive (they used windows of 10 and tuned the skepticism); once fired it stays fired.
    """
    if not 1 <= skepticism <= window:
        raise ValueError("skepticism must be between 1 and the window size")
    recent: list[bool] = []
    for number, positive in enumerate(predictions, start=1):
        recent.append(bool(positive))
        if len(recent) > window:
            recent.pop(0)
        if sum(recent) >= skepticism:
            return number
    return None


def speed_penalty_parameter(conversation_lengths: Iterable[int]) -> float:
    """p = ln 3 / (median length − 1), so that latency_penalty(median length) = 0.5.

    Vogt et al. (2021), following Sadeque et al. (2018), set the penalty's slope so that an
    alert raised only after a median-length conversation costs half of the F1 (their code:
    "penalty_factor should be set such that penalty(median chat length) = .5"); solving
    −1 + 2/(1 + e^(−p(m−1))) = 0.5 gives e^(−p(m−1)) = 1/3.
    """
    lengths = list(conversation_lengths)
    if not lengths:
        raise ValueError("no conversation lengths")
    median = statistics.median(lengths)
    if median <= 1:
        raise ValueError("the median conversation length must be above 1 message")
    return math.log(3) / (median - 1)


def latency_penalty(k: int, p: float) -> float:
    """Sadeque et al.'s latency penalty: −1 + 2 / (1 + e^(−p·(k − 1))), for an alert after k messages.

    0 for an alert at the first message, 0.5 at the median length (with
    :func:`speed_penalty_parameter`), approaching 1 for very late alerts.
    """
    return -1.0 + 2.0 / (1.0 + math.exp(-p * (k - 1)))


@dataclass(frozen=True)
class EarlyDetectionScores:
    """Early-detection scores of a run over conversations (Vogt et al. 2021).

    ``messages_to_alert`` holds, for each true-positive conversation, how many messages were
    read when the alert fired; ``speed`` = 1 − median penalty over them; ``latency_f1`` = F1·speed.
    """

    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float
    speed: float
    latency_f1: float
    p: float
    messages_to_alert: Mapping[str, int]
    median_messages_to_alert: float | None
    mean_messages_to_alert: float | None


def latency_weighted_f1(
    first_alerts: Mapping[str, int | None], positives: Collection[str], *, p: float
) -> EarlyDetectionScores:
    """Latency-weighted F1 of Vogt, Leser & Akbik, "Early Detection of Sexual Predators in Chats"
    (ACL 2021, sec. on evaluation), adopted from Sadeque, Xu & Bethard (WSDM 2018)::

        penalty(k) = −1 + 2 / (1 + exp(−p·(k − 1)))      k = messages read at the first alert
        speed      = 1 − median{ penalty(k_c) : c a true-positive conversation }
        latency F1 = F1 · speed

    with p from :func:`speed_penalty_parameter` (p = ln 3 / (median length − 1), penalty 0.5 at
    the median). F1 is over conversations: a conversation is predicted positive when an alert
    fired at all. Speed is 0 when there is no true positive (as in their code).

    ``first_alerts`` maps every evaluated conversation id to the message count at its first
    alert (see :func:`messages_to_alert`) or None; ``positives`` are the truly risky ones.
    """
    if p <= 0:
        raise ValueError("p must be positive")
    unknown = set(positives) - set(first_alerts)
    if unknown:
        raise ValueError(f"{len(unknown)} positive conversation(s) have no entry in first_alerts")
    truth = set(positives)
    latencies: dict[str, int] = {}
    tp = fp = fn = tn = 0
    for cid, k in first_alerts.items():
        if k is not None and k < 1:
            raise ValueError(f"conversation {cid}: an alert needs at least one message read")
        if k is not None and cid in truth:
            tp += 1
            latencies[cid] = k
        elif k is not None:
            fp += 1
        elif cid in truth:
            fn += 1
        else:
            tn += 1
    f1 = f_beta(tp, fp, fn, 1.0)
    speed = 1.0 - statistics.median(latency_penalty(k, p) for k in latencies.values()) if latencies else 0.0
    values = list(latencies.values())
    return EarlyDetectionScores(
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        f1=f1,
        speed=speed,
        latency_f1=f1 * speed,
        p=p,
        messages_to_alert=latencies,
        median_messages_to_alert=float(statistics.median(values)) if values else None,
        mean_messages_to_alert=statistics.fmean(values) if values else None,
    )


# --------------------------------------------------------------------------------------------
# Synthetic corpus: everyday peer chats, and a minority of risky ones (non-sexual indicators)
# --------------------------------------------------------------------------------------------

LANGUAGES = ("en", "es", "pt")

STAGES = ("friendship", "probing", "secrecy", "platform-or-gift", "meeting")
"""Escalation order of the risky chats: flattery/friendship → age and location probing →
checking for adults and secrecy → moving to another app or offering gifts → asking to meet.
(In heroes.textrisk.grooming terms: friendship, risk-assessment, exclusivity/isolation, meeting.)"""

_NAMES = {
    "en": (
        "Alex", "Sam", "Jordan", "Taylor", "Riley", "Casey", "Jamie", "Morgan", "Emma", "Olivia",
        "Liam", "Noah", "Ava", "Mia", "Ethan", "Lucas", "Chloe", "Zoe", "Ben", "Max", "Lily", "Grace",
        "Jack", "Leo", "Ella", "Ruby", "Owen", "Finn", "Maya", "Nora",
    ),
    "es": (
        "Lucía", "Mateo", "Sofía", "Hugo", "Martina", "Pablo", "Valeria", "Diego", "Paula", "Álvaro",
        "Carla", "Javi", "Sara", "Dani", "Elena", "Marcos", "Alba", "Iker", "Noa", "Adrián", "Irene",
        "Leo", "Julia", "Nico", "Vera", "Bruno", "Claudia", "Santi", "Aitana", "Gael",
    ),
    "pt": (
        "Ana", "João", "Beatriz", "Pedro", "Mariana", "Gabriel", "Larissa", "Rafael", "Júlia",
        "Miguel", "Laura", "Enzo", "Clara", "Davi", "Helena", "Arthur", "Alice", "Bernardo",
        "Manuela", "Heitor", "Lívia", "Gustavo", "Isadora", "Caio", "Yasmin", "Thiago", "Lorena",
        "Vitor", "Bianca", "Otávio",
    ),
}  # fmt: skip

_SLOTS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "game": ("minecraft", "fortnite", "roblox", "mario kart", "fifa", "among us", "zelda", "pokemon",
                 "rocket league", "animal crossing", "stardew valley", "tetris"),
        "subject": ("math", "science", "history", "english", "geography", "spanish", "art", "music",
                    "biology"),
        "day": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        "time": ("4", "5", "6:30", "3:15", "noon", "7", "10"),
        "place": ("the park", "the library", "the pool", "the skate park", "the cinema", "the beach",
                  "the field", "the rec center", "my house", "the bowling alley"),
        "food": ("pizza", "tacos", "pasta", "burgers", "sushi", "pancakes", "nuggets", "ramen", "fries",
                 "lasagna", "curry"),
        "team": ("the lakers", "real madrid", "the yankees", "barcelona", "our school team", "the bulls",
                 "liverpool"),
        "sport": ("soccer", "basketball", "volleyball", "baseball", "tennis", "hockey", "football"),
        "show": ("space cadets", "dragon academy", "baking masters", "the detective club",
                 "island survivors", "robot wars"),
        "pet": ("puppy", "kitten", "hamster", "fish", "bunny", "parrot", "turtle"),
        "num": tuple(str(n) for n in range(2, 21)),
        "score": ("2-1", "3-0", "1-1", "4-2", "0-1", "2-2"),
    },
    "es": {
        "game": ("minecraft", "fortnite", "roblox", "mario kart", "fifa", "among us", "zelda", "pokemon",
                 "rocket league", "animal crossing", "brawl stars", "tetris"),
        "subject": ("mates", "ciencias", "historia", "inglés", "geografía", "lengua", "plástica", "música",
                    "biología"),
        "day": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        "time": ("4", "5", "6 y media", "7", "10", "12"),
        "place": ("al parque", "a la biblioteca", "a la piscina", "al skatepark", "al cine", "a la playa",
                  "al polideportivo", "a mi casa", "a la bolera", "al campo de fútbol"),
        "food": ("pizza", "tacos", "macarrones", "hamburguesas", "tortilla", "empanadas", "paella",
                 "croquetas", "arepas", "lentejas"),
        "team": ("Real Madrid", "Barça", "Atleti", "Boca", "River", "Betis", "equipo del cole"),
        "sport": ("fútbol", "baloncesto", "voleibol", "tenis", "balonmano", "pádel"),
        "show": ("Cadetes del espacio", "La academia de dragones", "Maestros pasteleros",
                 "El club de detectives", "Supervivientes de la isla"),
        "pet": ("perro", "gato", "hámster", "conejo", "loro", "pez"),
        "num": tuple(str(n) for n in range(2, 21)),
        "score": ("2-1", "3-0", "1-1", "4-2", "0-1", "2-2"),
    },
    "pt": {
        "game": ("minecraft", "fortnite", "roblox", "mario kart", "fifa", "among us", "free fire",
                 "pokemon", "rocket league", "brawl stars", "stumble guys"),
        "subject": ("matemática", "ciências", "história", "português", "geografia", "inglês", "artes",
                    "biologia"),
        "day": ("na segunda", "na terça", "na quarta", "na quinta", "na sexta", "no sábado",
                "no domingo", "amanhã"),
        "time": ("4", "5", "6 e meia", "7", "10", "meio-dia"),
        "place": ("pro parque", "pra biblioteca", "pra piscina", "pra pista de skate", "pro cinema",
                  "pra praia", "pra quadra", "lá pra casa", "pro boliche", "pro clube"),
        "food": ("pizza", "hambúrguer", "açaí", "pastel", "lasanha", "brigadeiro", "coxinha", "macarrão",
                 "pão de queijo", "feijoada"),
        "team": ("Flamengo", "Corinthians", "Palmeiras", "Grêmio", "São Paulo", "Santos", "Vasco"),
        "sport": ("futebol", "vôlei", "basquete", "futsal", "handebol", "tênis"),
        "show": ("Cadetes do espaço", "A academia de dragões", "Mestres da confeitaria",
                 "O clube dos detetives", "Sobreviventes da ilha"),
        "pet": ("cachorro", "gato", "hamster", "coelho", "papagaio", "peixe"),
        "num": tuple(str(n) for n in range(2, 21)),
        "score": ("2 a 1", "3 a 0", "1 a 1", "4 a 2", "0 a 1", "2 a 2"),
    },
}  # fmt: skip

_TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "school": (
            "did you see what {friend} did in {subject} today", "{subject} was so boring today",
            "the teacher moved the {subject} test to {day}", "are you going to the school fair on {day}?",
            "i forgot my {subject} book in my locker again", "we have a sub in {subject} tomorrow",
            "the bus was late again this morning", "lunch today was actually good, they had {food}",
            "{friend} got a new haircut, it looks cool", "our class trip to the museum is next week",
            "i got a B on the {subject} quiz", "auditions for the school play are on {day}",
            "can you save me a seat on the bus", "our {subject} teacher gave us so much work",
        ),
        "games": (
            "wanna play {game} later?", "i finally beat the boss in {game}",
            "{friend} is so good at {game} it's unfair", "my internet keeps lagging in {game}",
            "did you see the new update for {game}?", "i'm stuck on level {num}",
            "let's team up with {friend} after dinner", "i built a huge castle in {game}",
            "my little brother deleted my save file", "the new season of {game} starts on {day}",
            "i only have {num} coins left", "we almost won that round", "can you help me in {game} please",
        ),
        "sport": (
            "practice is at {time} on {day}", "did you watch {team} last night?",
            "coach says we have a match on {day}", "i scored in {sport} today!!",
            "my legs hurt so much from practice", "are you trying out for the {sport} team?",
            "we lost {score}...", "i need new shoes for {sport}", "{team} is going to win the league",
            "want to shoot some hoops at {place}?", "swim practice got cancelled",
            "my mom is driving us to the tournament",
        ),
        "family": (
            "my grandma is visiting this weekend", "we're going to my cousin's birthday on {day}",
            "my mom made {food} for dinner", "my sister took the remote again",
            "i have to watch my little brother today", "my dad is teaching me how to cook {food}",
            "we're visiting my aunt on {day}", "family dinner at {time} so i can't play until later",
            "my uncle is taking us fishing", "we're going to the beach in the summer",
            "my cousins are staying with us all week",
        ),
        "homework": (
            "did you finish the {subject} homework?", "what page is the {subject} homework on",
            "i don't get question {num} at all", "can you explain the {subject} project to me",
            "the essay is due on {day} right?", "i'll do the poster for our group project",
            "let's split the slides, i'll do the first part", "how many words does the essay need",
            "i left my homework at {friend}'s house", "the {subject} worksheet is so long",
            "can you send me the notes from today", "i'm almost done, just {num} questions left",
        ),
        "weekend": (
            "what are you doing this weekend?", "want to go to {place} on {day}?",
            "there's a new movie out, we should all go", "my family is going camping on {day}",
            "i just want to sleep all weekend", "{friend}'s birthday party is on {day}",
            "can you come to {place} at {time}?", "it's supposed to rain all weekend",
            "let's ride bikes to {place}", "i'm going to see {team} with my dad",
            "we could bake cookies at my house", "the pool opens on {day}!!",
        ),
        "music": (
            "have you seen the new episode of {show}?", "no spoilers for {show} please",
            "this song is stuck in my head", "i'm learning to play guitar",
            "my piano recital is on {day}", "season {num} of {show} is the best one",
            "did you hear the new album", "we should make a dance for the talent show",
            "i watched {num} episodes last night", "the school concert was fun",
        ),
        "pets": (
            "my cat knocked my water over again", "we're getting a {pet}!!",
            "my {pet} is sleeping on my homework", "i have to walk the dog before i can play",
            "what should i name my new {pet}", "my hamster escaped, we found it under the couch",
            "the vet said my dog is fine",
        ),
        "food": (
            "i'm so hungry, is it lunch yet", "we're ordering {food} tonight",
            "have you tried the new {food} place near school?", "i made pancakes this morning",
            "my mom won't let me have soda", "do you want to get ice cream after school?",
            "i hate mushrooms so much",
        ),
    },
    "es": {
        "school": (
            "viste lo que hizo {friend} en {subject} hoy?", "{subject} estuvo aburridísimo hoy",
            "la profe cambió el examen de {subject} al {day}", "vas a ir a la feria del cole el {day}?",
            "se me olvidó el libro de {subject} otra vez", "mañana tenemos suplente en {subject}",
            "el autobús llegó tarde otra vez", "hoy en el comedor había {food} y estaba bueno",
            "{friend} se cortó el pelo y le queda genial", "la excursión al museo es la semana que viene",
            "saqué un 7 en el control de {subject}", "las pruebas para la obra de teatro son el {day}",
            "me guardas un sitio en el bus?", "el profe de {subject} nos mandó un montón de cosas",
        ),
        "games": (
            "jugamos {game} luego?", "por fin me pasé el jefe final de {game}",
            "{friend} es buenísimo en {game}, no es justo", "se me traba el internet en {game}",
            "viste la nueva actualización de {game}?", "estoy atascado en el nivel {num}",
            "hacemos equipo con {friend} después de cenar", "construí un castillo enorme en {game}",
            "mi hermano pequeño borró mi partida", "la nueva temporada de {game} empieza el {day}",
            "solo me quedan {num} monedas", "casi ganamos esa ronda", "me ayudas en {game} porfa?",
        ),
        "sport": (
            "el entreno es a las {time} el {day}", "viste el partido del {team} anoche?",
            "el entrenador dice que jugamos el {day}", "hoy metí un gol en {sport}!!",
            "me duelen las piernas del entreno", "te vas a apuntar al equipo de {sport}?",
            "perdimos {score}...", "necesito zapatillas nuevas para {sport}",
            "el {team} gana la liga seguro", "vamos a tirar unas canastas?",
            "se canceló la natación hoy", "mi madre nos lleva al torneo",
        ),
        "family": (
            "mi abuela viene este finde", "el {day} vamos al cumple de mi primo",
            "mi madre hizo {food} para cenar", "mi hermana me quitó el mando otra vez",
            "hoy tengo que cuidar a mi hermano pequeño", "mi padre me está enseñando a cocinar {food}",
            "el {day} vamos a casa de mi tía", "cenamos en familia a las {time}, juego más tarde",
            "mi tío nos lleva a pescar", "en verano vamos a la playa",
            "mis primos se quedan en casa toda la semana",
        ),
        "homework": (
            "terminaste los deberes de {subject}?", "en qué página están los deberes de {subject}?",
            "no entiendo la pregunta {num} para nada", "me explicas el trabajo de {subject}?",
            "la redacción es para el {day}, no?", "yo hago el póster del trabajo en grupo",
            "repartimos las diapositivas, yo hago la primera parte",
            "cuántas palabras tiene que tener la redacción?", "me dejé los deberes en casa de {friend}",
            "la ficha de {subject} es larguísima", "me pasas los apuntes de hoy?",
            "ya casi termino, me faltan {num} preguntas",
        ),
        "weekend": (
            "qué haces este finde?", "vamos {place} el {day}?",
            "hay una peli nueva, deberíamos ir todos", "mi familia se va de acampada el {day}",
            "solo quiero dormir todo el finde", "el cumple de {friend} es el {day}",
            "puedes venir {place} a las {time}?", "dicen que va a llover todo el finde",
            "vamos en bici {place}", "hacemos galletas en mi casa?", "la piscina abre el {day}!!",
            "voy a ver al {team} con mi padre",
        ),
        "music": (
            "viste el capítulo nuevo de {show}?", "no me hagas spoiler de {show} porfa",
            "tengo esta canción metida en la cabeza", "estoy aprendiendo a tocar la guitarra",
            "mi concierto de piano es el {day}", "la temporada {num} de {show} es la mejor",
            "hacemos un baile para el festival del cole?", "anoche vi {num} capítulos",
            "escuchaste el disco nuevo?",
        ),
        "pets": (
            "mi gato tiró el vaso de agua otra vez", "vamos a tener un {pet}!!",
            "mi {pet} está durmiendo encima de mis deberes", "tengo que sacar al perro antes de jugar",
            "qué nombre le pongo a mi {pet} nuevo?", "se escapó mi hámster, estaba debajo del sofá",
            "el veterinario dijo que mi perro está bien",
        ),
        "food": (
            "tengo un hambre, ya es la hora de comer?", "hoy pedimos {food}",
            "probaste el sitio nuevo de {food} cerca del cole?", "hice tortitas esta mañana",
            "mi madre no me deja tomar refrescos", "vamos a por un helado después de clase?",
            "odio las setas",
        ),
    },
    "pt": {
        "school": (
            "viu o que {friend} fez na aula de {subject} hoje?", "a aula de {subject} foi muito chata hoje",
            "a professora mudou a prova de {subject}, agora é {day}", "você vai na feira da escola {day}?",
            "esqueci o livro de {subject} de novo", "amanhã tem professor substituto de {subject}",
            "o ônibus atrasou de novo", "hoje no almoço da escola tinha {food}, tava bom",
            "{friend} cortou o cabelo, ficou muito legal", "o passeio da turma pro museu é semana que vem",
            "tirei 8 na prova de {subject}", "o teste pra peça da escola é {day}",
            "guarda um lugar pra mim no ônibus?", "o professor de {subject} passou muita coisa",
        ),
        "games": (
            "bora jogar {game} mais tarde?", "finalmente passei do chefão de {game}",
            "{friend} joga muito {game}, não é justo", "minha internet fica travando no {game}",
            "viu a atualização nova de {game}?", "tô preso na fase {num}",
            "vamos fazer time com {friend} depois da janta", "construí um castelo gigante no {game}",
            "meu irmão mais novo apagou meu save", "a temporada nova de {game} começa {day}",
            "só tenho {num} moedas", "quase ganhamos aquela partida", "me ajuda no {game} pfv?",
        ),
        "sport": (
            "o treino é às {time} {day}", "viu o jogo do {team} ontem?",
            "o técnico disse que temos jogo {day}", "fiz um gol no {sport} hoje!!",
            "minhas pernas tão doendo do treino", "você vai fazer teste pro time de {sport}?",
            "perdemos de {score}...", "preciso de tênis novo pro {sport}",
            "o {team} vai ganhar o campeonato com certeza", "bora jogar bola na quadra?",
            "a natação foi cancelada hoje", "minha mãe vai levar a gente no campeonato",
        ),
        "family": (
            "minha avó vem visitar nesse fim de semana", "vamos no aniversário do meu primo {day}",
            "minha mãe fez {food} pro jantar", "minha irmã pegou o controle de novo",
            "hoje tenho que cuidar do meu irmãozinho", "meu pai tá me ensinando a fazer {food}",
            "vamos visitar minha tia {day}", "jantar em família às {time}, jogo mais tarde",
            "meu tio vai levar a gente pra pescar", "nas férias vamos pra praia",
            "meus primos vão ficar aqui em casa a semana toda",
        ),
        "homework": (
            "você terminou o dever de {subject}?", "qual página é o dever de {subject}?",
            "não entendi a questão {num} de jeito nenhum", "me explica o trabalho de {subject}?",
            "a redação é pra entregar {day}, né?", "eu faço o cartaz do trabalho em grupo",
            "vamos dividir os slides, eu faço a primeira parte", "quantas linhas a redação precisa ter?",
            "esqueci meu caderno na casa de {friend}", "a folha de exercícios de {subject} é enorme",
            "me passa a matéria de hoje?", "tô quase acabando, faltam {num} questões",
        ),
        "weekend": (
            "o que você vai fazer no fim de semana?", "bora {place} {day}?",
            "saiu um filme novo, bora todo mundo", "minha família vai acampar {day}",
            "só quero dormir o fim de semana todo", "o aniversário de {friend} é {day}",
            "você pode ir {place} às {time}?", "disseram que vai chover o fim de semana todo",
            "bora de bike {place}", "vamos fazer cookies lá em casa?", "a piscina do clube abre {day}!!",
            "vou ver o jogo do {team} com meu pai",
        ),
        "music": (
            "viu o episódio novo de {show}?", "sem spoiler de {show} pfv",
            "essa música não sai da minha cabeça", "tô aprendendo a tocar violão",
            "minha apresentação de piano é {day}", "a temporada {num} de {show} é a melhor",
            "bora fazer uma coreografia pro show de talentos?", "ontem vi {num} episódios",
            "ouviu o álbum novo?",
        ),
        "pets": (
            "meu gato derrubou o copo d'água de novo", "a gente vai ter um {pet}!!",
            "meu {pet} tá dormindo em cima do meu dever", "tenho que passear com o cachorro antes de jogar",
            "que nome eu dou pro meu {pet} novo?", "meu hamster fugiu, tava embaixo do sofá",
            "o veterinário disse que meu cachorro tá bem",
        ),
        "food": (
            "tô com muita fome, já é hora do almoço?", "hoje vamos pedir {food}",
            "já provou o lugar novo de {food} perto da escola?", "fiz panqueca hoje de manhã",
            "minha mãe não deixa eu tomar refrigerante", "bora tomar sorvete depois da aula?",
            "odeio cogumelo",
        ),
    },
}  # fmt: skip

_NEAR_MISSES = {
    "en": (
        "my parents are home so we have to be quiet", "don't tell {friend} about the surprise party!!",
        "we should meet at the mall to buy a present for {friend}", "what school is your cousin going to?",
        "my aunt gave me game credits for my birthday", "how old is your little brother now?",
        "keep it a secret, it's a surprise for mom", "add me on the game app so we can play together",
    ),
    "es": (
        "mis padres están en casa, hay que estar callados",
        "no le digas nada a {friend} de la fiesta sorpresa!!",
        "quedamos en el centro comercial para comprarle un regalo a {friend}",
        "a qué colegio va a ir tu primo?", "mi tía me regaló créditos del juego por mi cumple",
        "cuántos años tiene ya tu hermano pequeño?", "es secreto, es una sorpresa para mamá",
        "agrégame en la app del juego y jugamos juntos",
    ),
    "pt": (
        "meus pais tão em casa, temos que ficar quietos", "não conta nada pra {friend} da festa surpresa!!",
        "bora se encontrar no shopping pra comprar um presente pra {friend}",
        "em que escola seu primo vai estudar?", "minha tia me deu créditos do jogo de aniversário",
        "quantos anos seu irmãozinho tem agora?", "é segredo, é uma surpresa pra minha mãe",
        "me adiciona no app do jogo pra gente jogar junto",
    ),
}  # fmt: skip
"""Everyday peer lines that share words with indicators: benign chats must contain some, or a
false-alarm measurement on this corpus would flatter a keyword matcher."""

_GREETINGS = {
    "en": ("hey", "hi", "heyy", "hello", "yo", "sup", "hey {name}", "hi {name}!", "what's up", "hiii",
           "morning", "hey you there?"),
    "es": ("hola", "ey", "holaa", "buenas", "qué tal", "hola {name}", "ey {name}!", "qué pasa",
           "holi", "buenos días", "estás?"),
    "pt": ("oi", "oii", "e aí", "olá", "fala", "oi {name}", "e aí {name}!", "tudo bem?", "oiee",
           "bom dia", "tá aí?"),
}  # fmt: skip

_REPLIES = {
    "en": ("hey", "hi", "yo", "heyyy", "hey what's up", "not much, you?", "hii", "hey {name}"),
    "es": ("hola", "ey", "qué tal", "holaa", "aquí andamos, y tú?", "nada, tú?", "hola {name}"),
    "pt": ("oi", "e aí", "opa", "oii", "de boa, e você?", "nada demais, e aí?", "oi {name}"),
}  # fmt: skip

_REACTIONS = {
    "en": ("lol", "haha", "omg", "same", "ok", "okay", "true", "wait really?", "nice", "cool", "yeah",
           "no way", "idk", "for real", "ugh", "lmao", "yes!!", "sounds good", "hmm", "bruh", "so",
           "nooo", "yesss", "good idea"),
    "es": ("jaja", "jajaja", "qué dices", "igual", "vale", "ok", "verdad", "en serio?", "guay", "mola",
           "sí", "no puede ser", "ni idea", "de verdad", "uf", "xd", "síii", "buena idea", "mmm", "tío",
           "noo", "genial"),
    "pt": ("kkkk", "kkkkk", "rsrs", "sério?", "mesmo", "tá", "ok", "verdade", "legal", "massa", "sim",
           "não acredito", "sei lá", "pois é", "aff", "nossa", "simmm", "boa ideia", "hmm", "mano",
           "nãooo", "top"),
}  # fmt: skip

_QUESTIONS = {
    "en": ("what about you?", "why?", "when?", "are you sure?", "who else is coming?",
           "did you ask your mom?", "what time?", "can i come too?", "how was it?", "you there?"),
    "es": ("y tú?", "por qué?", "cuándo?", "seguro?", "quién más viene?", "le preguntaste a tu madre?",
           "a qué hora?", "puedo ir yo también?", "qué tal estuvo?", "sigues ahí?"),
    "pt": ("e você?", "por quê?", "quando?", "certeza?", "quem mais vai?", "perguntou pra sua mãe?",
           "que horas?", "posso ir também?", "como foi?", "tá aí ainda?"),
}  # fmt: skip

_BYES = {
    "en": ("gtg", "bye", "ok bye", "see you tomorrow", "cya", "gotta go eat dinner", "talk later",
           "night", "bye {name}!", "my mom is calling me, bye"),
    "es": ("me voy", "chao", "vale, adiós", "hasta mañana", "nos vemos", "me voy a cenar",
           "luego hablamos", "buenas noches", "adiós {name}!", "me llama mi madre, chao"),
    "pt": ("tenho que ir", "tchau", "falou", "até amanhã", "flw", "vou jantar", "depois a gente fala",
           "boa noite", "tchau {name}!", "minha mãe tá chamando, tchau"),
}  # fmt: skip

_INDICATORS = {
    "en": {
        "friendship": ("you're so mature for your age", "you're really cool, not like other kids",
                       "i feel like i can talk to you about anything",
                       "honestly you're my best friend online",
                       "you're way smarter than people your age", "i like talking to you more than anyone"),
        "probing": ("how old are you?", "which school do you go to?", "what grade are you in?",
                    "where do you live? which town?", "what's your school called?",
                    "do you walk home from school alone?"),
        "secrecy": ("are your parents home?", "don't tell your parents about our chats",
                    "this is just between us ok?", "do your parents check your phone?",
                    "is anyone else there with you?", "let's keep this our secret"),
        "platform-or-gift": ("add me on another app", "let's talk on a different app, it's more private",
                             "i can send you game credits", "want me to buy you a gift card?",
                             "i'll get you the new skin if you want", "give me your number so we can text"),
        "meeting": ("we should meet at the mall", "can we meet this weekend?",
                    "i could pick you up after school", "let's meet somewhere, just the two of us",
                    "when can i see you in person?", "i can come to your town on saturday"),
    },
    "es": {
        "friendship": ("eres muy maduro para tu edad", "eres muy madura para tu edad",
                       "eres diferente a los demás, de verdad", "siento que puedo contarte cualquier cosa",
                       "me encanta hablar contigo, eres especial", "eres más listo que la gente de tu edad"),
        "probing": ("cuántos años tienes?", "a qué colegio vas?", "en qué curso estás?",
                    "dónde vives? en qué barrio?", "cómo se llama tu cole?", "vuelves solo del cole?"),
        "secrecy": ("están tus padres en casa?", "no le cuentes a tus padres de nuestras charlas",
                    "esto queda entre nosotros, vale?", "tus padres te revisan el móvil?",
                    "hay alguien más contigo ahora?", "que sea nuestro secreto"),
        "platform-or-gift": ("agrégame en otra app", "hablemos por otra aplicación, es más privada",
                             "te puedo mandar créditos para el juego",
                             "quieres que te compre una tarjeta regalo?",
                             "te consigo la skin nueva si quieres", "pásame tu número y hablamos por ahí"),
        "meeting": ("deberíamos quedar en el centro comercial", "podemos vernos este finde?",
                    "te puedo recoger a la salida del cole", "quedamos en algún sitio, solo tú y yo",
                    "cuándo nos vemos en persona?", "el sábado puedo ir a tu ciudad"),
    },
    "pt": {
        "friendship": ("você é muito maduro pra sua idade", "você é muito madura pra sua idade",
                       "você é diferente das outras pessoas, sério", "sinto que posso te contar tudo",
                       "adoro conversar com você, você é especial",
                       "você é mais esperto que o pessoal da sua idade"),
        "probing": ("quantos anos você tem?", "em qual escola você estuda?", "tá em que ano?",
                    "onde você mora? qual bairro?", "como chama sua escola?",
                    "você volta sozinho da escola?"),
        "secrecy": ("seus pais estão em casa?", "não conta pros seus pais das nossas conversas",
                    "isso fica só entre a gente, tá?", "seus pais olham seu celular?",
                    "tem mais alguém aí com você?", "vamos deixar isso em segredo"),
        "platform-or-gift": ("me adiciona em outro app",
                             "vamos conversar em outro aplicativo, é mais privado",
                             "posso te mandar créditos pro jogo", "quer que eu te dê um vale-presente?",
                             "te dou a skin nova se quiser",
                             "me passa seu número pra gente conversar por lá"),
        "meeting": ("a gente devia se encontrar no shopping", "podemos nos ver nesse fim de semana?",
                    "posso te buscar na saída da escola", "vamos nos encontrar em algum lugar, só nós dois",
                    "quando a gente se vê pessoalmente?", "no sábado posso ir na sua cidade"),
    },
}  # fmt: skip

_TARGET_REPLIES = {
    "en": ("why?", "idk", "thanks i guess", "ok", "i guess", "why do you ask", "hmm", "maybe",
           "i have to ask my mom", "not sure", "haha ok", "um ok"),
    "es": ("por qué?", "no sé", "gracias supongo", "vale", "supongo", "para qué preguntas?", "mmm",
           "tal vez", "tengo que preguntarle a mi madre", "ni idea", "jaja vale", "eh vale"),
    "pt": ("por quê?", "sei lá", "valeu eu acho", "tá", "acho que sim", "por que você quer saber?", "hmm",
           "talvez", "tenho que perguntar pra minha mãe", "não sei", "kkk tá", "hã tá"),
}  # fmt: skip

_SLANG = {
    "en": (("you", "u"), ("your", "ur"), ("are", "r"), ("because", "bc"), ("tomorrow", "tmrw"),
           ("please", "pls"), ("really", "rly"), ("okay", "k"), ("i don't know", "idk"),
           ("going to", "gonna"), ("want to", "wanna"), ("see you", "cya"), ("people", "ppl"),
           ("thanks", "thx"), ("what", "wat"), ("probably", "prob")),
    "es": (("que", "q"), ("por", "x"), ("también", "tb"), ("porque", "xq"), ("qué", "q"), ("de", "d"),
           ("muy", "mu"), ("para", "pa"), ("nada", "na"), ("bueno", "bno"), ("porfa", "pf"),
           ("fin de semana", "finde"), ("mañana", "mñn")),
    "pt": (("você", "vc"), ("não", "n"), ("também", "tb"), ("porque", "pq"), ("que", "q"),
           ("beleza", "blz"), ("tudo", "td"), ("mesmo", "msm"), ("hoje", "hj"), ("para", "pra"),
           ("por favor", "pfv"), ("aqui", "aki"), ("tá bom", "tb")),
}  # fmt: skip
_SLANG_RE = {
    lang: tuple((re.compile(rf"\b{re.escape(src)}\b", re.IGNORECASE), dst) for src, dst in pairs)
    for lang, pairs in _SLANG.items()
}

_LAUGHS = {"en": ("lol", "haha", "lmao", "hahaha"), "es": ("jaja", "jajaja", "jsjs", "xd"),
           "pt": ("kkkk", "kkkkkk", "rsrs", "hahaha")}  # fmt: skip
_EMOJI = (
    "😂",
    "😅",
    "👍",
    "🔥",
    "😎",
    "🙃",
    "⚽",
    "🎮",
    "😴",
    "🙏",
    "😭",
    "🤔",
    "👀",
    "✨",
    "🍕",
    "🐶",
    "📚",
    "🏀",
)
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class SyntheticConversation:
    """A generated conversation and what the generator knows about it.

    ``indicator_lines`` are the line numbers of the risky author's indicator messages and
    ``stages`` the :data:`STAGES` entry of each, in conversation order (never decreasing).
    """

    conversation: Pan12Conversation
    language: str
    risky_author: str | None = None
    indicator_lines: tuple[int, ...] = ()
    stages: tuple[str, ...] = ()

    @property
    def risky(self) -> bool:
        return self.risky_author is not None


@dataclass(frozen=True, slots=True)
class _Persona:
    """How one person types: what makes two chats about the same thing look different."""

    lower: float
    slang: float
    typo: float
    emoji: float
    laugh: float
    drop_accents: bool
    no_punct: bool


@dataclass(frozen=True, slots=True)
class _Person:
    id: str
    name: str
    persona: _Persona


def _hex_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _person(rng: random.Random, lang: str) -> _Person:
    persona = _Persona(
        lower=rng.choice((0.0, 0.5, 0.9, 1.0)),
        slang=rng.choice((0.0, 0.2, 0.5, 0.8)),
        typo=rng.choice((0.0, 0.0, 0.02, 0.05, 0.1)),
        emoji=rng.choice((0.0, 0.05, 0.15, 0.3)),
        laugh=rng.choice((0.0, 0.05, 0.15)),
        drop_accents=rng.random() < 0.4,
        no_punct=rng.random() < 0.5,
    )
    return _Person(_hex_id(rng), rng.choice(_NAMES[lang]), persona)


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def _style(text: str, lang: str, persona: _Persona, rng: random.Random) -> str:
    """Type ``text`` the way ``persona`` would: slang, typos, accents, case, punctuation, emoji."""
    if persona.slang and rng.random() < persona.slang:
        for pattern, short in _SLANG_RE[lang]:
            if rng.random() < 0.7:
                text = pattern.sub(short, text)
    if persona.typo:
        text = " ".join(_typo(w, rng) if rng.random() < persona.typo else w for w in text.split(" "))
    if persona.drop_accents:
        text = _strip_accents(text)
    if rng.random() < persona.lower:
        text = text.lower()
    elif text:
        text = text[0].upper() + text[1:]
    if persona.no_punct:
        text = text.rstrip(".!?") or text
    if rng.random() < persona.laugh:
        text += " " + rng.choice(_LAUGHS[lang])
    if rng.random() < persona.emoji:
        text += " " + rng.choice(_EMOJI) * rng.choice((1, 1, 2, 3))
    if rng.random() < 0.01:
        text = text.upper()
    return text


class _Chat:
    """Builds one conversation: fills templates, styles them per author, keeps PAN12 times."""

    def __init__(self, rng: random.Random, lang: str, people: Sequence[_Person]) -> None:
        self.rng, self.lang, self.people = rng, lang, list(people)
        self.minute = rng.randrange(24 * 60)
        self.messages: list[Pan12Message] = []
        self.used: set[str] = set()
        names = {p.name for p in people}
        self.others = tuple(n for n in _NAMES[lang] if n not in names) or _NAMES[lang]

    def fill(self, template: str, speaker: int) -> str:
        def slot(match: re.Match[str]) -> str:
            key = match.group(1)
            if key == "name":
                listeners = [p.name for i, p in enumerate(self.people) if i != speaker]
                return self.rng.choice(listeners)
            if key == "friend":
                return self.rng.choice(self.others)
            return self.rng.choice(_SLOTS[self.lang][key])

        return _SLOT.sub(slot, template)

    def pick(self, pool: Sequence[str]) -> str:
        """A line of ``pool`` not yet used in this chat (people rarely say the same thing twice)."""
        fresh = [t for t in pool if t not in self.used]
        template = self.rng.choice(fresh or pool)
        self.used.add(template)
        return template

    def say(self, speaker: int, template: str, *, raw: bool = False) -> int:
        """Add a message; ``raw`` leaves emoji-only text unstyled. Returns its line number."""
        person = self.people[speaker]
        text = self.fill(template, speaker)
        if not raw:
            text = _style(text, self.lang, person.persona, self.rng)
        self.minute += self.rng.choice((0, 0, 1, 1, 1, 2, 3, 4, 6))
        if self.rng.random() < 0.02:
            self.minute += self.rng.randint(20, 180)
        time = f"{(self.minute // 60) % 24:02d}:{self.minute % 60:02d}"
        self.messages.append(Pan12Message(person.id, time, text, len(self.messages) + 1))
        return len(self.messages)

    def chatter(self, speaker: int, topic: str) -> None:
        """One ordinary message: a topic line, a reaction, a question, or just an emoji."""
        roll = self.rng.random()
        if roll < 0.55:
            self.say(speaker, self.pick(_TOPICS[self.lang][topic]))
        elif roll < 0.82:
            self.say(speaker, self.rng.choice(_REACTIONS[self.lang]))
        elif roll < 0.96:
            self.say(speaker, self.rng.choice(_QUESTIONS[self.lang]))
        else:
            self.say(speaker, self.rng.choice(_EMOJI), raw=True)

    def next_speaker(self, previous: int) -> int:
        if len(self.people) == 1 or self.rng.random() < 0.2:
            return previous
        return self.rng.choice([i for i in range(len(self.people)) if i != previous])


def _benign_length(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.30:
        return rng.randint(2, 8)
    if roll < 0.70:
        return rng.randint(9, 25)
    if roll < 0.93:
        return rng.randint(26, 60)
    return rng.randint(61, 150)


def _benign(rng: random.Random, lang: str) -> SyntheticConversation:
    length = _benign_length(rng)
    authors = 2 if length < 6 else rng.choices((2, 3, 4, 5), weights=(70, 18, 8, 4))[0]
    chat = _Chat(rng, lang, [_person(rng, lang) for _ in range(authors)])
    topics = rng.sample(sorted(_TOPICS[lang]), min(len(_TOPICS[lang]), 1 + length // rng.randint(12, 30)))
    near_miss = rng.randrange(2, length) if length > 3 and rng.random() < 0.12 else -1
    closing = rng.random() < 0.7 and length >= 5
    first = rng.randrange(authors)
    chat.say(first, rng.choice(_GREETINGS[lang]))
    speaker = rng.choice([i for i in range(authors) if i != first])
    chat.say(speaker, rng.choice(_REPLIES[lang]))
    body_end = length - (2 if closing else 0)
    for i in range(2, body_end):
        speaker = chat.next_speaker(speaker)
        if i == near_miss:
            chat.say(speaker, chat.pick(_NEAR_MISSES[lang]))
        else:
            chat.chatter(speaker, topics[i * len(topics) // length])
    if closing:
        speaker = chat.next_speaker(speaker)
        chat.say(speaker, rng.choice(_BYES[lang]))
        chat.say(chat.next_speaker(speaker), rng.choice(_BYES[lang] + _REACTIONS[lang]))
    return SyntheticConversation(Pan12Conversation(_hex_id(rng), tuple(chat.messages)), lang)


_SHARED_INTERESTS = ("games", "music", "sport", "pets", "food", "weekend")
"""Topics of the ordinary messages in risky chats: the shared interests contact is built on."""


def _risky(rng: random.Random, lang: str, risky: _Person) -> SyntheticConversation:
    """A chat in which ``risky`` (speaker 0) escalates through :data:`STAGES` among normal chatter."""
    chat = _Chat(rng, lang, [risky, _person(rng, lang)])
    length = rng.randint(18, 90)
    plan = [stage for stage in STAGES for _ in range(rng.randint(1, 2))]
    positions = sorted(rng.sample(range(3, length - 1), len(plan)))
    schedule = dict(zip(positions, plan, strict=True))
    topics = rng.sample(_SHARED_INTERESTS, 1 + length // 30)
    first = rng.randrange(2)
    chat.say(first, rng.choice(_GREETINGS[lang]))
    chat.say(1 - first, rng.choice(_REPLIES[lang]))
    lines: list[int] = []
    stages: list[str] = []
    speaker = 1 - first
    reply_due = False
    for i in range(2, length):
        if i in schedule:
            speaker = 0
            lines.append(chat.say(0, chat.pick(_INDICATORS[lang][schedule[i]])))
            stages.append(schedule[i])
            reply_due = rng.random() < 0.7
        elif reply_due:
            speaker = 1
            chat.say(1, rng.choice(_TARGET_REPLIES[lang]))
            reply_due = False
        else:
            speaker = chat.next_speaker(speaker)
            chat.chatter(speaker, topics[i * len(topics) // length])
    conversation = Pan12Conversation(_hex_id(rng), tuple(chat.messages), True, frozenset({risky.id}))
    return SyntheticConversation(conversation, lang, risky.id, tuple(lines), tuple(stages))


def _languages(languages: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(languages)
    unknown = [lang for lang in chosen if lang not in LANGUAGES]
    if not chosen or unknown:
        raise ValueError(f"languages must be drawn from {LANGUAGES}")
    return chosen


def synthetic_conversations(
    n: int,
    *,
    seed: int = 0,
    risky_fraction: float = 0.1,
    languages: Sequence[str] = LANGUAGES,
    reuse_risky_author: float = 0.2,
) -> tuple[SyntheticConversation, ...]:
    """``n`` conversations, ``round(n · risky_fraction)`` of them risky, deterministic by ``seed``.

    Languages are dealt round-robin (separately to benign and risky chats, then shuffled), so
    each language gets its share of both. Benign chats: 2-5 people (2 in short chats), 2-150
    messages, one everyday topic per 12-30 messages, personal typing styles (case, slang, typos,
    dropped accents, laughs, emoji), and in about one chat in eight a near-miss line.
    Risky chats: 2 people, 18-90 messages, the risky one sending 1-2 indicator lines per stage
    in :data:`STAGES` order between ordinary messages, the other answering neutrally. With
    probability ``reuse_risky_author`` a risky author of an earlier chat in the same language
    comes back (PAN12 predators often appear in several conversations).
    """
    if n < 0 or not 0.0 <= risky_fraction <= 1.0:
        raise ValueError("n must be >= 0 and risky_fraction within [0, 1]")
    langs = _languages(languages)
    rng = random.Random(seed)
    n_risky = round(n * risky_fraction)
    risky_langs = [langs[i % len(langs)] for i in range(n_risky)]
    benign_langs = [langs[i % len(langs)] for i in range(n - n_risky)]
    rng.shuffle(risky_langs)
    rng.shuffle(benign_langs)
    kinds = [True] * n_risky + [False] * (n - n_risky)
    rng.shuffle(kinds)
    earlier: dict[str, list[_Person]] = {}
    out: list[SyntheticConversation] = []
    for risky in kinds:
        if risky:
            lang = risky_langs.pop()
            pool = earlier.setdefault(lang, [])
            person = rng.choice(pool) if pool and rng.random() < reuse_risky_author else _person(rng, lang)
            if person not in pool:
                pool.append(person)
            out.append(_risky(rng, lang, person))
        else:
            out.append(_benign(rng, benign_langs.pop()))
    return tuple(out)


def benign_conversations(
    n: int, seed: int = 0, *, languages: Sequence[str] = LANGUAGES
) -> tuple[Pan12Conversation, ...]:
    """``n`` everyday peer conversations (no risky author), deterministic by ``seed``: the
    negatives on which false alarms are counted."""
    return tuple(
        s.conversation for s in synthetic_conversations(n, seed=seed, risky_fraction=0.0, languages=languages)
    )


def write_synthetic_pan12(
    folder: Path,
    conversations: int = 200,
    seed: int = 0,
    *,
    risky_fraction: float = 0.1,
    languages: Sequence[str] = LANGUAGES,
) -> tuple[Path, Path]:
    """Write a synthetic corpus in PAN12's format into ``folder``; returns (xml, predator list).

    Also writes ``synthetic-pan12-predator-lines.txt`` (PAN12 problem-2 truth: the indicator
    lines, ``conversation-id<TAB>line``). Same arguments, same bytes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    corpus = synthetic_conversations(
        conversations, seed=seed, risky_fraction=risky_fraction, languages=languages
    )
    xml_path = folder / "synthetic-pan12.xml"
    predators_path = folder / "synthetic-pan12-predators.txt"
    lines_path = folder / "synthetic-pan12-predator-lines.txt"
    with xml_path.open("w", encoding="utf-8", newline="\n") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<conversations>\n')
        for item in corpus:
            out.write(f"  <conversation id={quoteattr(item.conversation.id)}>\n")
            for m in item.conversation.messages:
                out.write(
                    f'    <message line="{m.line}">\n'
                    f"      <author>{escape(m.author)}</author>\n"
                    f"      <time>{escape(m.time)}</time>\n"
                    f"      <text>{escape(m.text)}</text>\n"
                    "    </message>\n"
                )
            out.write("  </conversation>\n")
        out.write("</conversations>\n")
    predators = sorted({item.risky_author for item in corpus if item.risky_author is not None})
    predators_path.write_text("".join(f"{p}\n" for p in predators), encoding="utf-8")
    lines_path.write_text(
        "".join(f"{item.conversation.id}\t{line}\n" for item in corpus for line in item.indicator_lines),
        encoding="utf-8",
    )
    return xml_path, predators_path
