"""Chat exports (WhatsApp text or zip, Telegram Desktop JSON, CSV) read into one shared record.

Why one record: the grooming scorer works message by message and must not care where a
conversation came from. Parents, NGOs and investigators bring whatever their phone or tool
exported, so every format is turned into :class:`Conversation` (an id, the messages in export
order, the format name and the list of what was skipped and why) made of :class:`ChatMessage`.

Why nothing is written or logged: the conversations may be a child's private messages and are
evidence. Everything is read in memory (a zip too: its chat member is stream-decompressed, never
extracted), nothing goes to disk, and no message text ever goes into a log, an error or a
problem line; problems cite line, row or message numbers only.

Formats and their quirks:

* **WhatsApp "Export chat"**, a ``.txt`` or the ``.zip`` holding ``_chat.txt`` (iOS) or
  ``WhatsApp Chat with X.txt`` (Android). Both line layouts are read: Android
  ``31/12/2023, 21:41 - Name: text`` and iOS ``[31/12/2023, 21:41:05] Name: text``, plus the
  older iOS ``31/12/2023, 21:41:05: Name: text``; 12- and 24-hour clocks (``AM``, ``pm``,
  ``p. m.``, with the narrow no-break space U+202F modern phones put before them), 2- and
  4-digit years, ``/ . -`` between date fields, year-first dates (``2023-12-31``) and the
  Finnish ``klo``/dotted time. The left-to-right and other bidi marks iOS inserts are ignored.
  A line that does not start with a date belongs to the previous message (multi-line messages).
  System lines (encryption notice, "X added Y", group changes, missed calls) are dropped and
  counted: on Android they have no ``Name:``; on iOS their text starts with U+200E. Media
  placeholders (``<Media omitted>``, ``image omitted``, ``<attached: ...>``,
  ``IMG-....jpg (file attached)``) become the text ``[media omitted]`` (a caption on the
  following lines is kept), "This message was deleted" becomes ``[message deleted]`` (a
  deletion is itself worth seeing) and the ``<This message was edited>`` marker is removed.
  Day/month order is decided once per file, never per line: a first field above 12 means
  day-first, a second field above 12 means month-first, and when neither occurs the file is
  read day-first (most of the world) and a problem line says so. WhatsApp writes no time zone,
  so times are naive datetimes in the local time of the exporting phone.
* **Telegram Desktop JSON** (``result.json``): a single-chat export (``name``, ``type``,
  ``messages``) or the full account export (``chats.list`` and ``left_chats.list``), one
  conversation per chat. ``text`` is a string or a list of strings and entity objects
  (``{"type": "bold", "text": ...}``), joined. ``date_unixtime`` gives an aware UTC time;
  without it ``date`` (local ISO time) gives a naive one. ``service`` messages are counted and
  skipped. Attached media (``photo``, ``file``, ``media_type``) becomes ``[media omitted]``
  ahead of any caption.
* **CSV** with a header naming (any case) ``author``/``sender``/``from``,
  ``text``/``message``/``body``, optionally ``time``/``timestamp``/``date`` (ISO 8601, or epoch
  seconds or milliseconds) and ``conversation``/``chat``/``thread`` (several conversations in
  one file). Comma, semicolon and tab separators are recognised from the header.

Bad input never gives a traceback: a file that is not text (binary), not UTF-8/UTF-16/
Windows-1252, truncated JSON, a damaged or encrypted zip, a zip bomb (total uncompressed bytes
and compression ratio are capped) or a file over the size cap raises
:class:`~heroes.errors.InvalidInput` with a clear message; single bad lines, rows or messages
become problem lines. A file with more messages than :attr:`ChatLimits.max_messages` is read up
to the cap and a problem line says so.

Not handled (yet): WhatsApp exports in languages whose AM/PM words are not Latin ``am``/``pm``
(e.g. ``午後``, ``vorm.``) or whose dates are written with month names or spaces
(``2023. 12. 31.``); system lines of non-English Android exports that contain ``: `` may be read
as messages; Telegram HTML exports; zips inside zips.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from heroes.errors import InvalidInput, NotFound

__all__ = [
    "DEFAULT_LIMITS",
    "MEDIA_OMITTED",
    "MESSAGE_DELETED",
    "ChatLimits",
    "ChatMessage",
    "Conversation",
    "decode_chat_text",
    "load_conversations",
    "parse_csv",
    "parse_export",
    "parse_telegram",
    "parse_whatsapp",
]

MEDIA_OMITTED = "[media omitted]"
"""Text that stands for a photo, video, voice note, sticker or file the export did not include."""

MESSAGE_DELETED = "[message deleted]"
"""Text that stands for a message its sender deleted (WhatsApp keeps a trace of it)."""

_MIB = 1024 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a conversation.

    ``time`` is an aware UTC datetime when the export gives a zone or epoch time (Telegram
    ``date_unixtime``, CSV epochs or ISO times with an offset), a naive datetime in the exporting
    phone's local time when it does not (WhatsApp text, Telegram ``date``, CSV ISO times without
    an offset), and None when the export gives no readable time. ``index`` is the position in the
    conversation, from 0, in export order.
    """

    author: str
    time: datetime | None
    text: str
    index: int


@dataclass(frozen=True, slots=True)
class Conversation:
    """The messages of one chat, with the format they came from and what had to be skipped."""

    id: str
    messages: tuple[ChatMessage, ...]
    source: str
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChatLimits:
    """Caps that keep a hostile or broken export from exhausting memory or time.

    ``max_bytes`` caps the file and, separately, the total bytes decompressed from a zip;
    ``max_ratio`` (uncompressed / compressed) is enforced once a zip member is past
    ``ratio_grace_bytes``, so small, very repetitive chats still open. ``max_problems`` caps the
    problem lines listed per conversation (the rest are counted).
    """

    max_bytes: int = 100 * _MIB
    max_messages: int = 1_000_000
    max_ratio: float = 100.0
    ratio_grace_bytes: int = 1 * _MIB
    max_zip_members: int = 100_000
    max_problems: int = 200


DEFAULT_LIMITS = ChatLimits()

# ---------------------------------------------------------------------------------------------
# Shared helpers


class _Problems:
    """Problem lines of one conversation: notes (file-wide facts and counts) always kept, per-line
    problems capped and the rest counted, so a file of junk cannot produce a million problem lines."""

    def __init__(self, limit: int, notes: Iterable[str] = ()) -> None:
        self._limit = limit
        self._notes: list[str] = list(notes)
        self._items: list[str] = []
        self._more = 0

    def note(self, text: str) -> None:
        self._notes.append(text)

    def add(self, text: str) -> None:
        if len(self._items) < self._limit:
            self._items.append(text)
        else:
            self._more += 1

    def result(self) -> tuple[str, ...]:
        more = [f"... and {self._more} more problems not listed"] if self._more else []
        return (*self._notes, *self._items, *more)


class _Budget:
    """Messages still allowed from one input; shared by all conversations read from it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self) -> bool:
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    @property
    def note(self) -> str:
        return f"stopped after {self.limit} messages (the message limit); the rest of the file was not read"


_LRM = "\u200e"
_BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"


def _clean_name(name: str) -> str:
    return name.strip().strip(_BIDI).strip()


def _chat_id_from_name(name: str) -> str:
    """``WhatsApp Chat with Sam.txt`` -> ``Sam``; other names keep their stem."""
    stem = PurePosixPath(name.replace("\\", "/")).stem
    for prefix in ("WhatsApp Chat with ", "WhatsApp Chat - ", "WhatsApp Chat "):
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return stem[len(prefix) :]
    return stem or "chat"


def decode_chat_text(data: bytes) -> tuple[str, str | None]:
    """Text of an export and a note when it was not UTF-8.

    Why this order: exports are UTF-8 (sometimes with a BOM); Windows tools write UTF-16 with a
    BOM; old Windows CSVs are Windows-1252. Anything else, and binary junk (NUL or many control
    characters), is refused rather than guessed at.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, note = data.decode("utf-16"), None
        except UnicodeDecodeError as error:
            raise InvalidInput(
                f"not a readable UTF-16 text file (bad bytes at offset {error.start})"
            ) from None
    else:
        try:
            text, note = data.decode("utf-8-sig"), None
        except UnicodeDecodeError:
            try:
                text, note = data.decode("cp1252"), "not UTF-8; read as Windows-1252"
            except UnicodeDecodeError:
                raise InvalidInput(
                    "not a text file in UTF-8, UTF-16 (with BOM) or Windows-1252; "
                    "binary data is not a chat export"
                ) from None
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f")
    if "\x00" in sample or controls > 3 + len(sample) // 100:
        raise InvalidInput("binary data, not a chat export (or UTF-16 without a byte-order mark)")
    return text, note


def _lines(text: str) -> list[str]:
    """Split on line ends only: U+2028 and friends may occur inside a message."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _unique_ids(conversations: list[Conversation]) -> list[Conversation]:
    """Give chats that share a name (two Telegram contacts called Sam) distinct ids."""
    seen: dict[str, int] = {}
    out: list[Conversation] = []
    for conv in conversations:
        count = seen.get(conv.id, 0) + 1
        seen[conv.id] = count
        if count > 1:
            conv = Conversation(f"{conv.id} #{count}", conv.messages, conv.source, conv.problems)
        out.append(conv)
    return out


# ---------------------------------------------------------------------------------------------
# WhatsApp

_WA_HEADER = re.compile(
    r"""
    (?P<open>\[)?
    (?P<a>\d{1,4})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})\.?
    (?:,\s*|\s+)(?:klo\s+)?
    (?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2}))?
    (?:\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?))?
    (?(open)\]\s?|(?:\s[-–]\s|:\s))
    (?P<rest>.*)
    """,
    re.VERBOSE | re.DOTALL,
)
_WA_MEDIA = re.compile(
    r"""
    <media\ omitted>
    | (?:image|video|audio|sticker|gif|document|contact\ card|video\ note)\ omitted
    | .*\bdocument\ omitted
    | <attached:\ [^>]*>
    | .+\ \(file\ attached\)
    """,
    re.VERBOSE | re.IGNORECASE,
)
_WA_DELETED = re.compile(r"(?:this message was deleted|you deleted this message)\.?", re.IGNORECASE)
_WA_EDITED = re.compile(r"[\s\u200e\u200f]*<this message was edited>[\s\u200e\u200f]*$", re.IGNORECASE)
# Android system lines that can contain ": " (inside quoted group names or descriptions).
_WA_SYSTEM_AUTHOR = re.compile(r" (?:changed the subject|changed the group|changed this group|created group)")


@dataclass(frozen=True, slots=True)
class _Header:
    line_no: int
    year_first: bool
    a: int
    b: int
    c: int
    c_digits: int
    hour: int
    minute: int
    second: int
    ampm: str | None
    rest: str


def _wa_header(line: str, line_no: int) -> _Header | None:
    match = _WA_HEADER.match(line.lstrip(_BIDI))
    if match is None:
        return None
    a, c = match["a"], match["c"]
    year_first = len(a) == 4
    if not year_first and len(a) > 2:
        return None
    if year_first and len(c) > 2:
        return None
    if not year_first and len(c) not in (2, 4):
        return None
    ampm = match["ampm"]
    return _Header(
        line_no=line_no,
        year_first=year_first,
        a=int(a),
        b=int(match["b"]),
        c=int(c),
        c_digits=len(c),
        hour=int(match["h"]),
        minute=int(match["m"]),
        second=int(match["s"] or 0),
        ampm=ampm[0].lower() if ampm else None,
        rest=match["rest"],
    )


def _wa_time(header: _Header, day_first: bool) -> datetime | None:
    if header.year_first:
        year, month, day = header.a, header.b, header.c
    else:
        year = header.c + 2000 if header.c_digits == 2 else header.c
        day, month = (header.a, header.b) if day_first else (header.b, header.a)
    hour = header.hour
    if header.ampm is not None:
        if not 0 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if header.ampm == "p" else 0)
    try:
        return datetime(year, month, day, hour, header.minute, header.second)
    except ValueError:
        return None


def _wa_day_first(headers: list[_Header], problems: _Problems) -> bool:
    """Day/month order for the whole file (see the module docstring)."""
    fields = [(h.a, h.b) for h in headers if not h.year_first]
    if not fields:
        return True
    first_big = any(a > 12 for a, _ in fields)
    second_big = any(b > 12 for _, b in fields)
    if first_big and second_big:
        problems.note("dates mix day-first and month-first order; read as day-first")
        return True
    if second_big:
        return False
    if not first_big:
        problems.note("day/month order cannot be told from the dates (no day above 12); read as day-first")
    return True


def _wa_text(first: str, more: list[str]) -> str:
    head = first.lstrip(_BIDI).strip()
    if _WA_MEDIA.fullmatch(head):
        head = MEDIA_OMITTED
    elif _WA_DELETED.fullmatch(head):
        head = MESSAGE_DELETED
    text = "\n".join([head, *more])
    return _WA_EDITED.sub("", text).strip()


def parse_whatsapp(
    text: str,
    conversation_id: str = "chat",
    *,
    limits: ChatLimits = DEFAULT_LIMITS,
    notes: Iterable[str] = (),
) -> Conversation:
    """One conversation from the text of a WhatsApp "Export chat" file (any of its layouts).

    Why two passes: day/month order must be decided from the whole file before any date is
    read, or one conversation could come out with two orders.
    """
    problems = _Problems(limits.max_problems, notes)
    lines = _lines(text)
    headers: dict[int, _Header] = {}
    for number, line in enumerate(lines, 1):
        header = _wa_header(line, number)
        if header is not None:
            headers[number] = header
    if not headers:
        raise InvalidInput("no WhatsApp message lines found (lines start with a date and a time)")
    day_first = _wa_day_first(list(headers.values()), problems)

    budget = _Budget(limits.max_messages)
    messages: list[ChatMessage] = []
    system = 0
    # The message being built: (author, time, first line, continuation lines); None after a
    # system line (its continuation lines are dropped with it) and before the first header.
    current: tuple[str, datetime | None, str, list[str]] | None = None
    in_system = False
    stopped = False

    def flush() -> bool:
        nonlocal current
        if current is None:
            return True
        author, when, first, more = current
        current = None
        body = _wa_text(first, more)
        if not body:
            return True
        if not budget.take():
            return False
        messages.append(ChatMessage(author, when, body, len(messages)))
        return True

    for number, line in enumerate(lines, 1):
        header = headers.get(number)
        when = _wa_time(header, day_first) if header is not None else None
        if header is not None and when is None:
            if current is None:
                problems.add(f"line {number}: date or time is not valid; skipped")
                continue
            problems.add(f"line {number}: date or time is not valid; kept as part of the previous message")
            header = None
        if header is None:
            if current is not None:
                current[3].append(line)
            elif not in_system and line.strip():
                problems.add(f"line {number}: text before the first message; skipped")
            continue
        if not flush():
            stopped = True
            break
        rest = header.rest
        in_system = False
        author, colon, first = rest.partition(": ")
        if not colon and rest.endswith(":"):
            author, colon, first = rest[:-1], ":", ""
        author = _clean_name(author)
        if not colon or not author or _WA_SYSTEM_AUTHOR.search(author):
            system += 1
            in_system = True
            continue
        # iOS marks WhatsApp's own texts (notices, calls, media) with a leading U+200E.
        head = first.lstrip(_BIDI).strip()
        if first.startswith(_LRM) and not (_WA_MEDIA.fullmatch(head) or _WA_DELETED.fullmatch(head)):
            system += 1
            in_system = True
            continue
        current = (author, when, first, [])
    if not stopped and not flush():
        stopped = True
    if stopped:
        problems.note(budget.note)
    if system:
        problems.note(f"system lines dropped: {system} (encryption notice, members added or left, calls...)")
    return Conversation(conversation_id, tuple(messages), "whatsapp", problems.result())


# ---------------------------------------------------------------------------------------------
# Telegram


def _telegram_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts: list[str] = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return None


def _telegram_time(message: dict[str, Any]) -> datetime | None:
    unix = message.get("date_unixtime")
    if isinstance(unix, (str, int)) and not isinstance(unix, bool):
        try:
            return datetime.fromtimestamp(int(unix), UTC)
        except (ValueError, OverflowError, OSError):
            pass
    local = message.get("date")
    if isinstance(local, str):
        try:
            parsed = datetime.fromisoformat(local)
        except ValueError:
            return None
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed
    return None


def _telegram_chat(
    chat: dict[str, Any], fallback_id: str, budget: _Budget, limits: ChatLimits, notes: Iterable[str]
) -> Conversation:
    problems = _Problems(limits.max_problems, notes)
    name = chat.get("name")
    chat_id = name if isinstance(name, str) and name.strip() else None
    if chat_id is None:
        raw_id = chat.get("id")
        chat_id = f"chat {raw_id}" if isinstance(raw_id, (int, str)) else fallback_id
    raw_messages = chat.get("messages")
    if not isinstance(raw_messages, list):
        problems.add("chat has no message list; nothing read")
        raw_messages = []
    messages: list[ChatMessage] = []
    service = other = empty = 0
    for number, message in enumerate(raw_messages, 1):
        if not isinstance(message, dict):
            problems.add(f"message {number}: not a JSON object; skipped")
            continue
        kind = message.get("type", "message")
        if kind == "service":
            service += 1
            continue
        if kind != "message":
            other += 1
            continue
        body = _telegram_text(message.get("text"))
        if body is None:
            body = _telegram_text(message.get("text_entities")) or ""
        body = body.strip()
        if any(message.get(key) for key in ("photo", "file", "media_type")):
            body = f"{MEDIA_OMITTED}\n{body}" if body else MEDIA_OMITTED
        if not body:
            empty += 1
            continue
        author = message.get("from")
        if not isinstance(author, str):
            author = message.get("from_id") if isinstance(message.get("from_id"), str) else ""
        when = _telegram_time(message)
        if when is None:
            problems.add(f"message {number}: no readable date; kept without a time")
        if not budget.take():
            problems.note(budget.note)
            break
        messages.append(ChatMessage(_clean_name(str(author)), when, body, len(messages)))
    if service:
        problems.note(f"service messages skipped: {service} (joins, calls, pins...)")
    if other:
        problems.note(f"messages of an unknown type skipped: {other}")
    if empty:
        problems.note(f"messages without text skipped: {empty} (polls, locations, contacts...)")
    return Conversation(chat_id, tuple(messages), "telegram", problems.result())


def parse_telegram(
    text: str, *, limits: ChatLimits = DEFAULT_LIMITS, notes: Iterable[str] = ()
) -> list[Conversation]:
    """Conversations of a Telegram Desktop JSON export: one chat, or every chat of a full export."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
            "is the export complete?"
        ) from None
    except RecursionError:
        raise InvalidInput("JSON nested too deeply to be a Telegram export") from None
    if not isinstance(data, dict):
        raise InvalidInput("not a Telegram export: the JSON is not an object with 'messages' or 'chats'")
    notes = tuple(notes)
    budget = _Budget(limits.max_messages)
    if isinstance(data.get("messages"), list):
        return [_telegram_chat(data, "chat", budget, limits, notes)]
    chats: list[dict[str, Any]] = []
    for key in ("chats", "left_chats"):
        section = data.get(key)
        if isinstance(section, dict) and isinstance(section.get("list"), list):
            chats.extend(chat for chat in section["list"] if isinstance(chat, dict))
    if not chats and not any(isinstance(data.get(key), dict) for key in ("chats", "left_chats")):
        raise InvalidInput("not a Telegram export: the JSON has neither 'messages' nor 'chats'")
    conversations = [
        _telegram_chat(chat, f"chat {number}", budget, limits, notes) for number, chat in enumerate(chats, 1)
    ]
    return _unique_ids(conversations)


# ---------------------------------------------------------------------------------------------
# CSV

_CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "author": ("author", "sender", "from"),
    "time": ("time", "timestamp", "date"),
    "text": ("text", "message", "body"),
    "conversation": ("conversation", "chat", "thread"),
}
_EPOCH = re.compile(r"-?\d+(?:\.\d+)?")


def _csv_columns(header: list[str]) -> dict[str, int] | None:
    names = [name.strip().strip(_BIDI).strip().lower() for name in header]
    found: dict[str, int] = {}
    for role, choices in _CSV_COLUMNS.items():
        for choice in choices:
            if choice in names:
                found[role] = names.index(choice)
                break
    return found if "author" in found and "text" in found else None


def _csv_dialect(text: str) -> tuple[str, dict[str, int]] | None:
    """Separator and column positions, when the first line is a chat CSV header."""
    first = text.split("\n", 1)[0].rstrip("\r")
    for delimiter in (",", ";", "\t"):
        try:
            header = next(csv.reader([first], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        columns = _csv_columns(header)
        if columns is not None:
            return delimiter, columns
    return None


def _csv_time(value: str) -> datetime | None:
    value = value.strip()
    if _EPOCH.fullmatch(value):
        number = float(value)
        if abs(number) >= 1e11:  # milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973
            number /= 1000
        return datetime.fromtimestamp(number, UTC)
    parsed = datetime.fromisoformat(value)
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed


def parse_csv(
    text: str,
    default_id: str = "chat",
    *,
    limits: ChatLimits = DEFAULT_LIMITS,
    notes: Iterable[str] = (),
) -> list[Conversation]:
    """Conversations of a CSV with a header row (see the module docstring for the column names).

    Rows keep file order within each conversation; conversations come in order of first
    appearance. Rows without a conversation value belong to ``default_id``.
    """
    dialect = _csv_dialect(text)
    if dialect is None:
        raise InvalidInput(
            "not a chat CSV: the first line must name an author (author/sender/from) "
            "and a text (text/message/body) column"
        )
    delimiter, columns = dialect
    notes = tuple(notes)
    budget = _Budget(limits.max_messages)
    chats: dict[str, tuple[list[ChatMessage], _Problems]] = {}
    general = _Problems(limits.max_problems)

    def chat(name: str) -> tuple[list[ChatMessage], _Problems]:
        if name not in chats:
            chats[name] = ([], _Problems(limits.max_problems, notes))
        return chats[name]

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    needed = max(columns.values())
    try:
        next(reader)
        for row in reader:
            row_no = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            conv_col = columns.get("conversation")
            name = row[conv_col].strip() if conv_col is not None and conv_col < len(row) else ""
            messages, problems = chat(name or default_id)
            if len(row) <= needed:
                problems.add(f"row ending on line {row_no}: too few columns; skipped")
                continue
            body = row[columns["text"]].strip()
            if not body:
                problems.add(f"row ending on line {row_no}: empty text; skipped")
                continue
            when: datetime | None = None
            time_col = columns.get("time")
            if time_col is not None and row[time_col].strip():
                try:
                    when = _csv_time(row[time_col])
                except (ValueError, OverflowError, OSError):
                    problems.add(
                        f"row ending on line {row_no}: time is neither ISO 8601 nor epoch seconds or "
                        "milliseconds; kept without a time"
                    )
            if not budget.take():
                general.note(budget.note)
                break
            messages.append(ChatMessage(_clean_name(row[columns["author"]]), when, body, len(messages)))
    except csv.Error as error:
        general.note(f"CSV unreadable from line {reader.line_num} on ({error}); the rest was not read")
    extra = general.result()
    if not chats:
        return [Conversation(default_id, (), "csv", (*notes, *extra))]
    return [
        Conversation(name, tuple(messages), "csv", (*problems.result(), *extra))
        for name, (messages, problems) in chats.items()
    ]


# ---------------------------------------------------------------------------------------------
# Zip and sniffing


def _zip_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The chat members of a zip, most specific kind first; all members of that kind."""
    files = [info for info in archive.infolist() if not info.is_dir()]

    def base(info: zipfile.ZipInfo) -> str:
        return PurePosixPath(info.filename.replace("\\", "/")).name

    tests: tuple[Callable[[str], bool], ...] = (
        lambda n: n == "_chat.txt",
        lambda n: n.startswith("WhatsApp Chat") and n.lower().endswith(".txt"),
        lambda n: n == "result.json",
        lambda n: n.lower().endswith(".txt"),
        lambda n: n.lower().endswith((".csv", ".json")),
    )
    for test in tests:
        chosen = [info for info in files if test(base(info))]
        if chosen:
            return chosen
    return []


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ChatLimits, budget: list[int]
) -> bytes:
    """A member's bytes, stream-decompressed under the byte budget and the ratio cap.

    Why not ``archive.read``: declared sizes are attacker-controlled, so the decompressor's
    output is counted as it comes and reading stops at the first limit passed.
    """
    name = info.filename
    if info.flag_bits & 0x1:
        raise InvalidInput(f"zip member {name!r} is encrypted; export it again without a password")
    if info.file_size > budget[0]:
        raise InvalidInput(
            f"zip member {name!r} declares {info.file_size} bytes, over the {limits.max_bytes}-byte limit"
        )
    out = bytearray()
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if len(out) > info.file_size or len(out) > budget[0]:
                    raise InvalidInput(
                        f"zip member {name!r} expands past its declared size or the size limit"
                    )
                if (
                    len(out) > limits.ratio_grace_bytes
                    and len(out) / max(info.compress_size, 1) > limits.max_ratio
                ):
                    raise InvalidInput(
                        f"zip member {name!r} expands more than {limits.max_ratio:g} times "
                        "(a zip bomb?); not read"
                    )
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, RuntimeError) as error:
        raise InvalidInput(f"zip member {name!r} is damaged ({error})") from None
    except NotImplementedError:
        raise InvalidInput(f"zip member {name!r} uses a compression method that is not supported") from None
    budget[0] -= len(out)
    return bytes(out)


def _parse_zip(data: bytes, name: str, limits: ChatLimits) -> list[Conversation]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise InvalidInput(f"{name}: not a readable zip ({error})") from None
    with archive:
        if len(archive.infolist()) > limits.max_zip_members:
            raise InvalidInput(f"{name}: more than {limits.max_zip_members} zip members; not a chat export")
        members = _zip_members(archive)
        if not members:
            raise InvalidInput(
                f"{name}: the zip holds no chat (_chat.txt, WhatsApp Chat*.txt, result.json, .txt or .csv)"
            )
        budget = [limits.max_bytes]
        conversations: list[Conversation] = []
        for info in members:
            member_name = PurePosixPath(info.filename.replace("\\", "/")).name
            chat_name = name if member_name in ("_chat.txt", "result.json") else member_name
            conversations.extend(_parse_text(_read_member(archive, info, limits, budget), chat_name, limits))
    return _unique_ids(conversations)


def _parse_text(data: bytes, name: str, limits: ChatLimits) -> list[Conversation]:
    text, note = decode_chat_text(data)
    notes = (note,) if note else ()
    chat_id = _chat_id_from_name(name)
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("{"):
        return parse_telegram(body, limits=limits, notes=notes)
    if _csv_dialect(body) is not None:
        return parse_csv(body, chat_id, limits=limits, notes=notes)
    head = _lines(body[:65536])[:20]
    if any(_wa_header(line, 0) is not None for line in head):
        return [parse_whatsapp(text, chat_id, limits=limits, notes=notes)]
    if body.startswith("["):
        return parse_telegram(body, limits=limits, notes=notes)
    raise InvalidInput(
        f"{name}: not a recognised chat export (WhatsApp text or zip, Telegram JSON, "
        "or CSV with author and text columns)"
    )


def parse_export(
    data: bytes, name: str = "chat", *, limits: ChatLimits = DEFAULT_LIMITS
) -> list[Conversation]:
    """Conversations of an export given as bytes; ``name`` (the file name) gives the chat id.

    Why bytes: an upload can be read without ever being written to disk. The format is told by
    content, never by the name: a zip signature, a JSON object, a WhatsApp date line, a CSV header.
    """
    if len(data) > limits.max_bytes:
        raise InvalidInput(
            f"{name}: {len(data)} bytes, over the {limits.max_bytes}-byte limit for a chat export"
        )
    if not data or data.isspace():
        raise InvalidInput(f"{name}: the file is empty")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _parse_zip(data, name, limits)
    return _parse_text(data, name, limits)


def load_conversations(path: Path, *, limits: ChatLimits = DEFAULT_LIMITS) -> list[Conversation]:
    """Conversations of a chat export file (or a Telegram export folder holding ``result.json``)."""
    if path.is_dir():
        if (path / "result.json").is_file():
            path = path / "result.json"
        else:
            raise InvalidInput(f"{path} is a folder; give the export file (or a folder with result.json)")
    try:
        with path.open("rb") as stream:
            data = stream.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise NotFound(f"{path} does not exist") from None
    except OSError as error:
        raise InvalidInput(f"{path} cannot be read ({error.strerror})") from None
    if len(data) > limits.max_bytes:
        raise InvalidInput(f"{path} is over the {limits.max_bytes}-byte limit for a chat export")
    return parse_export(data, path.name, limits=limits)
