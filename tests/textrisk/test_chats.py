"""Chat export parsing on small, benign sample exports written here (everyday family and club chat)."""

from __future__ import annotations

import contextlib
import io
import json
import struct
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroes.errors import InvalidInput, NotFound
from heroes.textrisk.chats import (
    MEDIA_OMITTED,
    MESSAGE_DELETED,
    ChatLimits,
    ChatMessage,
    Conversation,
    decode_chat_text,
    load_conversations,
    parse_csv,
    parse_export,
    parse_telegram,
    parse_whatsapp,
)

LRM = "\u200e"  # left-to-right mark iOS puts before lines and system texts
NNBSP = "\u202f"  # narrow no-break space newer phones put before AM/PM

# ---------------------------------------------------------------------------------------------
# Sample exports


ANDROID_24H = """31/12/2023, 21:40 - Messages and calls are end-to-end encrypted. No one outside of this \
chat, not even WhatsApp, can read or listen to them. Tap to learn more.
31/12/2023, 21:41 - Sam: are you coming to football practice?
31/12/2023, 21:42 - Alex: yes
mum says dinner at 7

so after that
31/12/2023, 21:43 - Sam added Jo
01/01/2024, 09:05 - Jo: happy new year!
"""

ANDROID_12H = f"""12/31/23, 9:41{NNBSP}PM - Messages and calls are end-to-end encrypted. Tap to learn more.
12/31/23, 9:41{NNBSP}PM - Sam: see you at the bus stop
12/31/23, 12:05{NNBSP}AM - Alex: <Media omitted>
12/31/23, 12:06{NNBSP}PM - Alex: IMG-20231231-WA0001.jpg (file attached)
the new kit for saturday
1/2/24, 10:00{NNBSP}AM - Sam changed the subject from "Club: juniors" to "Club: under 12s"
1/2/24, 10:01{NNBSP}AM - Sam: This message was deleted
1/2/24, 10:02{NNBSP}AM - Alex: ok see you{LRM}<This message was edited>
"""

IOS = f"""{LRM}[31/12/2023, 21:41:05] Sam: {LRM}Messages and calls are end-to-end encrypted. No one outside \
of this chat, not even WhatsApp, can read or listen to them.
[31/12/2023, 21:41:10] Sam: did you finish the maths homework?
[31/12/2023, 21:42:00] Alex: nearly
just the last page
{LRM}[31/12/2023, 21:43:00] Alex: {LRM}image omitted
{LRM}[31/12/2023, 21:43:30] Alex: {LRM}<attached: 00000012-PHOTO-2023-12-31-21-43-30.jpg>
{LRM}[31/12/2023, 21:44:00] Sam: {LRM}Missed voice call
[31/12/2023, 21:45:00] Sam: thanks{LRM} {LRM}<This message was edited>
"""


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _patch_central(data: bytes, offset: int, value: bytes) -> bytes:
    """Overwrite a field of the first central-directory entry (flags at 8, CRC-32 at 16)."""
    at = data.index(b"PK\x01\x02") + offset
    return data[:at] + value + data[at + len(value) :]


def _texts(conversation: Conversation) -> list[str]:
    return [message.text for message in conversation.messages]


# ---------------------------------------------------------------------------------------------
# WhatsApp


def test_android_24h_multiline_and_system_lines() -> None:
    chat = parse_whatsapp(ANDROID_24H, "club")
    assert chat.id == "club" and chat.source == "whatsapp"
    assert chat.messages == (
        ChatMessage("Sam", datetime(2023, 12, 31, 21, 41), "are you coming to football practice?", 0),
        ChatMessage("Alex", datetime(2023, 12, 31, 21, 42), "yes\nmum says dinner at 7\n\nso after that", 1),
        ChatMessage("Jo", datetime(2024, 1, 1, 9, 5), "happy new year!", 2),
    )
    assert chat.problems == ("system lines dropped: 2 (encryption notice, members added or left, calls...)",)


def test_android_12h_month_first_media_deleted_edited() -> None:
    chat = parse_whatsapp(ANDROID_12H)
    assert [(m.author, m.time) for m in chat.messages] == [
        ("Sam", datetime(2023, 12, 31, 21, 41)),
        ("Alex", datetime(2023, 12, 31, 0, 5)),  # 12:05 AM is just after midnight
        ("Alex", datetime(2023, 12, 31, 12, 6)),  # 12:06 PM is just after noon
        ("Sam", datetime(2024, 1, 2, 10, 1)),  # month-first for the whole file: 1/2 is 2 January
        ("Alex", datetime(2024, 1, 2, 10, 2)),
    ]
    assert _texts(chat) == [
        "see you at the bus stop",
        MEDIA_OMITTED,
        f"{MEDIA_OMITTED}\nthe new kit for saturday",
        MESSAGE_DELETED,
        "ok see you",
    ]
    # The subject change contains ": " but is still a system line.
    assert chat.problems == ("system lines dropped: 2 (encryption notice, members added or left, calls...)",)


def test_ios_brackets_marks_media_and_system_lines() -> None:
    chat = parse_whatsapp(IOS)
    assert [(m.author, m.time, m.text) for m in chat.messages] == [
        ("Sam", datetime(2023, 12, 31, 21, 41, 10), "did you finish the maths homework?"),
        ("Alex", datetime(2023, 12, 31, 21, 42), "nearly\njust the last page"),
        ("Alex", datetime(2023, 12, 31, 21, 43), MEDIA_OMITTED),
        ("Alex", datetime(2023, 12, 31, 21, 43, 30), MEDIA_OMITTED),
        ("Sam", datetime(2023, 12, 31, 21, 45), "thanks"),
    ]
    assert [m.index for m in chat.messages] == [0, 1, 2, 3, 4]
    assert chat.problems == ("system lines dropped: 2 (encryption notice, members added or left, calls...)",)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("31.12.23, 21:41 - Sam: see you at training", datetime(2023, 12, 31, 21, 41)),
        ("31-12-2023, 21:41 - Sam: see you at training", datetime(2023, 12, 31, 21, 41)),
        ("2023-12-31, 9:41 PM - Sam: see you at training", datetime(2023, 12, 31, 21, 41)),
        ("[2023/12/31 21:41:05] Sam: see you at training", datetime(2023, 12, 31, 21, 41, 5)),
        ("12/31/15, 9:41:05 PM: Sam: see you at training", datetime(2015, 12, 31, 21, 41, 5)),
        (f"[12/31/23, 9:41:05{NNBSP}PM] Sam: see you at training", datetime(2023, 12, 31, 21, 41, 5)),
        ("[31.12.2023 klo 14.08.18] Sam: see you at training", datetime(2023, 12, 31, 14, 8, 18)),
        ("31/12/2023, 9:41 p. m. - Sam: see you at training", datetime(2023, 12, 31, 21, 41)),
        ("31/12/2023 21:41 – Sam: see you at training", datetime(2023, 12, 31, 21, 41)),
        (
            f"{LRM}31/12/2023, 21:41 - \u202a+44 7700 900123\u202c: see you at training",
            datetime(2023, 12, 31, 21, 41),
        ),
    ],
)
def test_line_format_variants(line: str, expected: datetime) -> None:
    chat = parse_whatsapp(line + "\n")
    assert len(chat.messages) == 1
    message = chat.messages[0]
    assert message.time == expected
    assert message.text == "see you at training"
    assert message.author in ("Sam", "+44 7700 900123")


def test_ambiguous_dates_default_day_first_and_say_so() -> None:
    chat = parse_whatsapp("01/02/2024, 10:00 - Sam: bring your boots\n03/04/2024, 10:00 - Alex: ok\n")
    assert [m.time for m in chat.messages] == [datetime(2024, 2, 1, 10, 0), datetime(2024, 4, 3, 10, 0)]
    assert any("day/month order cannot be told" in problem for problem in chat.problems)


def test_day_month_order_is_decided_per_file_not_per_line() -> None:
    month_first = parse_whatsapp("01/02/2024, 10:00 - Sam: bring your boots\n01/13/2024, 10:00 - Alex: ok\n")
    assert [m.time for m in month_first.messages] == [
        datetime(2024, 1, 2, 10, 0),
        datetime(2024, 1, 13, 10, 0),
    ]
    day_first = parse_whatsapp("01/02/2024, 10:00 - Sam: bring your boots\n13/01/2024, 10:00 - Alex: ok\n")
    assert [m.time for m in day_first.messages] == [datetime(2024, 2, 1, 10, 0), datetime(2024, 1, 13, 10, 0)]
    assert not any("day/month" in problem for problem in month_first.problems + day_first.problems)


def test_mixed_day_month_order_is_reported() -> None:
    chat = parse_whatsapp("13/01/2024, 10:00 - Sam: hello\n01/13/2024, 10:00 - Alex: hi there\n")
    assert "dates mix day-first and month-first order; read as day-first" in chat.problems
    # The second line cannot be a day-first date: it is kept, as part of the previous message.
    assert _texts(chat) == ["hello\n01/13/2024, 10:00 - Alex: hi there"]
    assert any(problem.startswith("line 2: date or time is not valid") for problem in chat.problems)


def test_text_before_first_message_and_no_messages() -> None:
    chat = parse_whatsapp("some note\n\n31/12/2023, 21:41 - Sam: see you\n")
    assert _texts(chat) == ["see you"]
    assert "line 1: text before the first message; skipped" in chat.problems
    with pytest.raises(InvalidInput, match="no WhatsApp message lines"):
        parse_whatsapp("just a shopping list\nmilk\nbread\n")


def test_whatsapp_message_limit() -> None:
    lines = "".join(f"31/12/2023, 21:{minute:02d} - Sam: see you at {minute}\n" for minute in range(10))
    chat = parse_whatsapp(lines, limits=ChatLimits(max_messages=3))
    assert _texts(chat) == ["see you at 0", "see you at 1", "see you at 2"]
    assert any("stopped after 3 messages" in problem for problem in chat.problems)
    exact = parse_whatsapp(lines, limits=ChatLimits(max_messages=10))
    assert len(exact.messages) == 10 and not any("stopped" in problem for problem in exact.problems)


def test_problem_lines_are_capped_and_counted() -> None:
    text = "31/12/2023, 21:41 - Sam: hi\n" + "31/02/2023, 21:41 - Sam: bad date\n" * 7
    chat = parse_whatsapp(text, limits=ChatLimits(max_problems=2))
    assert len([p for p in chat.problems if p.startswith("line ")]) == 2
    assert "... and 5 more problems not listed" in chat.problems


# ---------------------------------------------------------------------------------------------
# WhatsApp zips


def test_ios_zip_with_chat_txt_is_read_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat - Sam.zip"
    path.write_bytes(_zip({"_chat.txt": IOS.encode(), "00000012-PHOTO-2023-12-31-21-43-30.jpg": b"\xff\xd8"}))
    before = sorted(tmp_path.iterdir())
    [chat] = load_conversations(path)
    assert chat.id == "Sam" and chat.source == "whatsapp"
    assert len(chat.messages) == 5
    assert sorted(tmp_path.iterdir()) == before  # nothing extracted


def test_android_zip_with_named_chats() -> None:
    data = _zip(
        {
            "WhatsApp Chat with Alex.txt": ANDROID_24H.encode(),
            "WhatsApp Chat with Jo.txt": b"31/12/2023, 21:41 - Jo: see you at the pool\n",
            "IMG-20231231-WA0001.jpg": b"\xff\xd8",
        }
    )
    chats = parse_export(data, "export.zip")
    assert sorted(chat.id for chat in chats) == ["Alex", "Jo"]
    assert {chat.id: len(chat.messages) for chat in chats} == {"Alex": 3, "Jo": 1}


def test_bad_zips_give_invalid_input() -> None:
    good = _zip({"_chat.txt": ANDROID_24H.encode()})
    with pytest.raises(InvalidInput, match="not a readable zip"):
        parse_export(good[:40], "cut.zip")
    with pytest.raises(InvalidInput, match="damaged"):
        parse_export(_patch_central(good, 16, b"\x00\x00\x00\x00"), "crc.zip")
    with pytest.raises(InvalidInput, match="is encrypted; export it again"):
        parse_export(_patch_central(good, 8, struct.pack("<H", 1)), "locked.zip")
    with pytest.raises(InvalidInput, match="holds no chat"):
        parse_export(_zip({"photo.jpg": b"\xff\xd8"}), "photos.zip")


def test_zip_bomb_ratio_and_size_caps() -> None:
    bomb = _zip({"_chat.txt": b"31/12/2023, 21:41 - Sam: " + b"a" * (3 * 1024 * 1024)})
    assert len(bomb) < 20_000
    with pytest.raises(InvalidInput, match="zip bomb"):
        parse_export(bomb, "bomb.zip")
    # The zip file fits under the cap; the member it declares does not.
    with pytest.raises(InvalidInput, match="declares 3145753 bytes, over the 100000-byte limit"):
        parse_export(bomb, "bomb.zip", limits=ChatLimits(max_bytes=100_000, max_ratio=1e9))
    # With generous caps the same member is an ordinary (if long) message.
    [chat] = parse_export(bomb, "bomb.zip", limits=ChatLimits(max_ratio=1e9))
    assert len(chat.messages[0].text) == 3 * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Telegram


def _telegram_chat(name: str | None = "Football club", chat_id: int = 4242) -> dict[str, Any]:
    return {
        "name": name,
        "type": "private_group",
        "id": chat_id,
        "messages": [
            {
                "id": 1,
                "type": "service",
                "date": "2023-12-31T21:40:00",
                "actor": "Sam",
                "action": "create_group",
            },
            {
                "id": 2,
                "type": "message",
                "date": "2023-12-31T22:41:00",
                "date_unixtime": "1704058860",
                "from": "Sam",
                "from_id": "user1",
                "text": "training moved to 6pm",
            },
            {
                "id": 3,
                "type": "message",
                "date": "2023-12-31T22:42:00",
                "from": "Alex",
                "from_id": "user2",
                "text": [
                    "see you ",
                    {"type": "bold", "text": "at the gate"},
                    {"type": "link", "text": " ok"},
                ],
            },
            {
                "id": 4,
                "type": "message",
                "date": "2023-12-31T22:43:00",
                "date_unixtime": "1704058980",
                "from": None,
                "from_id": "user3",
                "photo": "(File not included. Change data exporting settings to download.)",
                "text": "the new kit",
            },
            {"id": 5, "type": "message", "date": "2023-12-31T22:44:00", "from": "Sam", "text": ""},
            {"id": 6, "type": "service", "date": "2023-12-31T22:45:00", "action": "pin_message"},
        ],
    }


def test_telegram_single_chat() -> None:
    [chat] = parse_telegram(json.dumps(_telegram_chat()))
    assert chat.id == "Football club" and chat.source == "telegram"
    assert chat.messages == (
        ChatMessage("Sam", datetime(2023, 12, 31, 21, 41, tzinfo=UTC), "training moved to 6pm", 0),
        ChatMessage("Alex", datetime(2023, 12, 31, 22, 42), "see you at the gate ok", 1),
        ChatMessage("user3", datetime(2023, 12, 31, 21, 43, tzinfo=UTC), f"{MEDIA_OMITTED}\nthe new kit", 2),
    )
    assert "service messages skipped: 2 (joins, calls, pins...)" in chat.problems
    assert any(problem.startswith("messages without text skipped: 1") for problem in chat.problems)


def test_telegram_full_export_one_conversation_per_chat() -> None:
    export = {
        "about": "Here is the data you requested.",
        "chats": {
            "about": "",
            "list": [_telegram_chat("Sam", 1), _telegram_chat(None, 2), _telegram_chat("Sam", 3)],
        },
        "left_chats": {"about": "", "list": [_telegram_chat("Old class group", 4)]},
    }
    chats = parse_telegram(json.dumps(export))
    assert [chat.id for chat in chats] == ["Sam", "chat 2", "Sam #2", "Old class group"]
    assert all(len(chat.messages) == 3 for chat in chats)
    capped = parse_telegram(json.dumps(export), limits=ChatLimits(max_messages=4))
    assert [len(chat.messages) for chat in capped] == [3, 1, 0, 0]
    assert any("stopped after 4 messages" in problem for problem in capped[1].problems)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"name": "Football club", "messages": [{"id": 1, "type": "mess', "not valid JSON"),
        ("[1, 2, 3]", "not a Telegram export"),
        ('{"name": "x"}', "neither 'messages' nor 'chats'"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_telegram_bad_json(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_telegram(text)


# ---------------------------------------------------------------------------------------------
# CSV


def test_csv_several_conversations_and_time_forms() -> None:
    text = (
        "Sender;Timestamp;Message;Thread\n"
        "Sam;1704058860000;are you coming to practice?;club\n"
        "Mum;1704058860;dinner at 7;family\n"
        'Alex;2023-12-31T22:42:00+01:00;"yes, see you\nat the gate";club\n'
        "Dad;2023-12-31 21:43:00;ok;family\n"
        "Jo;;is the match on?;\n"
    )
    chats = parse_csv(text, "export")
    assert [chat.id for chat in chats] == ["club", "family", "export"]
    club, family, rest = chats
    assert club.messages == (
        ChatMessage("Sam", datetime(2023, 12, 31, 21, 41, tzinfo=UTC), "are you coming to practice?", 0),
        ChatMessage("Alex", datetime(2023, 12, 31, 21, 42, tzinfo=UTC), "yes, see you\nat the gate", 1),
    )
    assert family.messages == (
        ChatMessage("Mum", datetime(2023, 12, 31, 21, 41, tzinfo=UTC), "dinner at 7", 0),
        ChatMessage("Dad", datetime(2023, 12, 31, 21, 43), "ok", 1),
    )
    assert rest.messages == (ChatMessage("Jo", None, "is the match on?", 0),)
    assert all(chat.source == "csv" and chat.problems == () for chat in chats)


def test_csv_bad_rows_become_problems() -> None:
    text = (
        "author,time,text\n"
        "Sam,2023-12-31T21:41:00,see you\n"
        "Alex\n"
        "Jo,2023-12-31T21:42:00,\n"
        "Mum,teatime,dinner\n"
    )
    [chat] = parse_csv(text)
    assert [(m.author, m.time, m.text) for m in chat.messages] == [
        ("Sam", datetime(2023, 12, 31, 21, 41), "see you"),
        ("Mum", None, "dinner"),
    ]
    assert chat.problems[0] == "row ending on line 3: too few columns; skipped"
    assert chat.problems[1] == "row ending on line 4: empty text; skipped"
    assert chat.problems[2].startswith("row ending on line 5: time is neither ISO 8601 nor epoch")


def test_csv_without_time_column_tab_separated_and_limit() -> None:
    text = "From\tBody\nSam\tsee you\nAlex\tok\nJo\tfine\n"
    [chat] = parse_csv(text, limits=ChatLimits(max_messages=2))
    assert [(m.author, m.time, m.text) for m in chat.messages] == [
        ("Sam", None, "see you"),
        ("Alex", None, "ok"),
    ]
    assert any("stopped after 2 messages" in problem for problem in chat.problems)
    with pytest.raises(InvalidInput, match="not a chat CSV"):
        parse_csv("name,score\nSam,3\n")


# ---------------------------------------------------------------------------------------------
# Encodings and junk


def test_encodings() -> None:
    assert decode_chat_text("author,text\nSam,café at 4\n".encode("utf-8-sig")) == (
        "author,text\nSam,café at 4\n",
        None,
    )
    text, note = decode_chat_text("Sam,café at 4".encode("cp1252"))
    assert text == "Sam,café at 4" and note == "not UTF-8; read as Windows-1252"
    [chat] = parse_export(ANDROID_24H.encode("utf-16"), "utf16.txt")
    assert len(chat.messages) == 3
    [chat] = parse_export("author,text\nSam,café at 4\n".encode("cp1252"), "old.csv")
    assert chat.messages[0].text == "café at 4"
    assert chat.problems == ("not UTF-8; read as Windows-1252",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02\x03" * 64, "binary"),
        (b"\x81\x8d\x8f\x90\x9d", "not a text file"),
        (b"\xff\xfe\x00\xd8", "UTF-16"),
        (ANDROID_24H.encode("utf-16-le"), "binary"),  # UTF-16 without a BOM
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"just a shopping list\nmilk\n", "not a recognised chat export"),
    ],
)
def test_bad_input_is_invalid_input(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_export(data, "bad.txt")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_give_a_traceback(data: bytes) -> None:
    """Anything but InvalidInput escaping (a traceback for the user) fails the test."""
    with contextlib.suppress(InvalidInput):
        assert all(isinstance(chat, Conversation) for chat in parse_export(data, "fuzz"))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(["31/12/2023, 21:41 - ", "[1/2/24, 9:41 PM] ", "Sam: ", LRM, "hi", "\n", ": "]))
)
def test_whatsapp_like_text_never_gives_a_traceback(parts: list[str]) -> None:
    with contextlib.suppress(InvalidInput):
        for chat in parse_export("".join(parts).encode(), "fuzz.txt"):
            assert [message.index for message in chat.messages] == list(range(len(chat.messages)))


# ---------------------------------------------------------------------------------------------
# load_conversations: sniffing by content, not by name


@pytest.mark.parametrize(
    ("name", "data", "source"),
    [
        ("notes.dat", ANDROID_24H.encode(), "whatsapp"),
        ("chat.txt", IOS.encode(), "whatsapp"),
        ("chat.txt", json.dumps(_telegram_chat()).encode(), "telegram"),
        ("export.txt", b"author,time,text\nSam,1704058860,see you\n", "csv"),
        ("backup.bin", _zip({"_chat.txt": ANDROID_24H.encode()}), "whatsapp"),
        ("telegram.zip", _zip({"DataExport/result.json": json.dumps(_telegram_chat()).encode()}), "telegram"),
    ],
)
def test_load_conversations_sniffs_content(tmp_path: Path, name: str, data: bytes, source: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    chats = load_conversations(path)
    assert [chat.source for chat in chats] == [source]
    assert chats[0].messages


def test_load_conversations_paths(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        load_conversations(tmp_path / "missing.txt")
    with pytest.raises(InvalidInput, match="is a folder"):
        load_conversations(tmp_path)
    (tmp_path / "result.json").write_text(json.dumps(_telegram_chat()))
    [chat] = load_conversations(tmp_path)
    assert chat.source == "telegram"
    big = tmp_path / "WhatsApp Chat with Sam.txt"
    big.write_text(ANDROID_24H)
    with pytest.raises(InvalidInput, match="over the 100-byte limit"):
        load_conversations(big, limits=ChatLimits(max_bytes=100))
    [chat] = load_conversations(big)
    assert chat.id == "Sam"
