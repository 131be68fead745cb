"""``heroes demo``: the end-to-end scenario on benign photos (what ``make demo`` runs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from heroes.cli.context import AppContext, literal, out_console
from heroes.cli.scan import _ProgressObserver, print_matches
from heroes.config import Settings, load_settings
from heroes.demo import PHONE_SEARCHES, build_phone, build_scenario, write_chat_exports
from heroes.evidence import ListRole, Match
from heroes.hashing.importer import import_list
from heroes.report import ReportFormat, write_report
from heroes.store import CaseStore, SearchQuery, case_chain
from heroes.triage import scan
from heroes.triage.metadata import extension_mismatch
from heroes.triage.timeline import build_timeline


def _verdict(expect: str, found: list[Match], hidden: bool, error: bool) -> tuple[str, bool]:
    bad = [m for m in found if m.list_role is ListRole.KNOWN_BAD]
    if bad:
        best = min(bad, key=lambda m: m.distance)
        got = f"match: {best.how}"
    elif hidden:
        got = "hidden (known-good)"
    elif error:
        got = "error recorded"
    else:
        got = "no match"
    ok = {
        "match": bool(bad),
        "no match": not bad and not hidden,
        "hidden": hidden and not bad,
        "error": error and not bad,
        "may miss": True,
    }[expect]
    return got, ok


def _image_scenario(out: Console, store: CaseStore, settings: Settings, image: Path, actor: str) -> None:
    """Triage a disk image: every file inside, deleted entries, true types, acquisition hashes."""
    out.rule("[bold]Disk image: a seized USB stick as an E01")
    summary = scan(store, settings, "demo-image", image, actor=actor)
    case = store.case("demo-image")
    notes = {f.path: f.explanation for f in store.findings(case, actor) if f.kind in ("warning", "error")}
    table = Table("file inside the image", "size", "type (from content)", "note", title=image.name)
    for item in store.items(case, actor, purpose="demo"):
        inner = item.path.split("!/", 1)[1]
        note = notes.get(item.path) or extension_mismatch(inner, item.mime) or ""
        table.add_row(*literal(inner, item.size, item.mime, note))
    out.print(table)
    start = next(e for e in store.audit_events(case_chain(case.name)) if e.action == "scan.start")
    acquired = start.details.get("acquisition", {})
    out.print(
        f"{summary.files_seen} files read inside the image without extracting anything; acquisition MD5 "
        f"{acquired.get('md5')} (matches the hash stored in the E01: {acquired.get('matches_stored')})."
    )


def _phone_scenario(out: Console, store: CaseStore, settings: Settings, workdir: Path, actor: str) -> int:
    """Text in documents, an SMS store and a browser history: full-text search and a conversation
    timeline; returns how many searches did not find exactly what was planted."""
    out.rule("[bold]Documents, messages and browser history on a seized phone")
    phone = build_phone(workdir)
    scan(store, settings, "demo-phone", phone, actor=actor)
    case = store.case("demo-phone")
    table = Table("search", "found", "text around the words", "", title="heroes search demo-phone WORDS")
    failures = 0
    for words, expected in PHONE_SEARCHES:
        hits = store.search(case, actor, SearchQuery(text=words))
        names = {item.path.rsplit("/", 1)[-1] for item, _, _ in hits}
        ok = names == expected
        failures += 0 if ok else 1
        for item, _, context in hits:
            table.add_row(
                *literal(words, item.path.split("/phone/", 1)[-1], context or ""),
                "[green]ok[/]" if ok else "[red]UNEXPECTED[/]",
            )
        if not hits:
            table.add_row(*literal(words, "(nothing)", ""), "[red]UNEXPECTED[/]")
    out.print(table)
    artifacts = store.artifacts(case, actor, purpose="demo")
    timeline = Table("time (UTC)", "event", "detail", title="Messages and page visits on the timeline")
    for e in build_timeline([], artifacts=artifacts):
        timeline.add_row(*literal(e.time.strftime("%Y-%m-%d %H:%M"), e.event, e.detail))
    out.print(timeline)
    out.print(
        f"{len(artifacts)} messages and visits parsed in memory from the phone's SQLite databases "
        "(recognised by their tables, not their names). Try: heroes search demo-phone harbour"
    )
    return failures


def _review_app_scenario(out: Console, store: CaseStore, settings: Settings, actor: str) -> tuple[str, bool]:
    """A reviewer account for the demo cases, and the review app served for real on loopback: log in,
    open the grid, be refused another case; returns how to log in."""
    import http.cookiejar
    import re
    import socket
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request

    import uvicorn

    from heroes.accounts import hash_password, one_time_password
    from heroes.evidence import Role
    from heroes.web import create_app

    out.rule("[bold]Review app: accounts, roles and the review grid (served on 127.0.0.1)")
    password = one_time_password()
    store.accounts.add_user("demo-reviewer", Role.REVIEWER, hash_password(password), actor, must_change=False)
    store.accounts.grant("demo-reviewer", store.case("demo-case"), actor)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store), host="127.0.0.1", port=port,
                                          log_level="error"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with socket.socket() as check:
                if check.connect_ex(("127.0.0.1", port)) == 0:
                    break
            threading.Event().wait(0.05)

        class _Loopback(http.cookiejar.DefaultCookiePolicy):
            def return_ok_secure(
                self, cookie: http.cookiejar.Cookie, request: urllib.request.Request
            ) -> bool:
                return True  # like browsers, treat http://127.0.0.1 as a secure context for Secure cookies

        jar = http.cookiejar.CookieJar(policy=_Loopback())
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        form = browser.open(f"{base}/login", timeout=10).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        fields = {
            "username": "demo-reviewer",
            "password": password,
            "csrf_token": token.group(1) if token else "",
        }
        browser.open(f"{base}/login", data=urllib.parse.urlencode(fields).encode(), timeout=10).read()
        grid = browser.open(f"{base}/cases/demo-case/review", timeout=30).read().decode()
        tiles = grid.count('<article class="tile"')
        try:
            browser.open(f"{base}/cases/demo-phone/review", timeout=10)
            refused = "200 (UNEXPECTED)"
        except urllib.error.HTTPError as exc:
            refused = str(exc.code)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    out.print(
        f"demo-reviewer (reviewer, member of demo-case only) logged in: the review grid shows {tiles} tiles, "
        f"blurred; demo-phone answers {refused} (not a member). Every view is in the case's audit trail."
    )
    login = f"heroes --home {settings.home} serve, then log in as demo-reviewer / {password}"
    return login, tiles > 0 and refused == "404"


def _grooming_scenario(out: Console, store: CaseStore, workdir: Path, actor: str) -> int:
    """Two chat exports through the anti-grooming engine: the peers' chat must stay quiet, the
    escalating one must alert, naming the author and the signs; returns how many did not."""
    from heroes.textrisk.chats import load_conversations
    from heroes.textrisk.grooming import ConversationState, GroomingScorer
    from heroes.textrisk.indicators import IndicatorMatcher, IndicatorSet

    out.rule("[bold]Prevention: a chat export through the anti-grooming engine (on this machine only)")
    indicators = IndicatorSet.load()
    matcher = IndicatorMatcher(indicators, cache_dir=workdir / "cache" / "grooming")  # kept between runs
    scorer = GroomingScorer(matcher, indicators.indicators)
    table = Table("chat", "message", "risk", "alert", "", title="heroes grooming scan (balanced)")
    failures = alerted = 0
    for export, expect_alert in zip(write_chat_exports(workdir / "chats"), (False, True), strict=True):
        [conversation] = load_conversations(export)
        state = ConversationState()
        alerts = []
        for message in conversation.messages:
            assessed = scorer.feed(state, message.author, message.time, message.text)
            if assessed.alert:
                alerts.append((message.index + 1, assessed.risk, assessed.alert.reason))
        ok = bool(alerts) == expect_alert
        failures += 0 if ok else 1
        alerted += len(alerts)
        mark = "[green]ok[/]" if ok else "[red]UNEXPECTED[/]"
        if not alerts:
            table.add_row(*literal(export.name, "", f"{state.risk:.2f}", "no alert"), mark)
        for n, risk, reason in alerts:
            table.add_row(*literal(export.name, n, f"{risk:.2f}", reason), mark)
    out.print(table)
    out.print(
        f"Embedder used for {matcher.stats.embedder_share:.0%} of messages; no message text stored. "
        "Alerts are prompts for a calm conversation, never verdicts. Try: heroes grooming scan "
        f"'{workdir / 'chats' / 'WhatsApp Chat with Sam.txt'}'"
    )
    store.log_event(None, actor, "grooming.demo", "chats", {"alerts": alerted, "failures": failures})
    return failures


@click.command("demo")
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo-output"),
    show_default=True,
    help="Where the demo device, lists, case store and report go (replaced on each run).",
)
@click.option(
    "--photos",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of benign photos (e.g. ../shared/data/photos); generated images are used when absent.",
)
@click.option(
    "--videos",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of Meta's benign sample videos (threatexchange/tmk/sample-videos); generated when absent.",
)
@click.option(
    "--image",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A benign disk image to triage as well (e.g. ../shared/data/disk_images/synthetic/mbr_fat.E01).",
)
@click.pass_obj
def command(
    app: AppContext, workdir: Path, photos: Path | None, videos: Path | None, image: Path | None
) -> None:
    """Build a demo device and hash list, scan, report and verify: the whole job, end to end."""
    out = out_console()
    workdir = workdir.resolve()
    home = workdir / "home"
    if home.exists():
        shutil.rmtree(home)
    settings = load_settings({**app.settings_env, "HEROES_HOME": str(home)}, None, {"database_url": ""})
    actor = app.actor
    scenario = build_scenario(workdir, photos, settings, videos)
    out.rule("[bold]HEROES demo: known-media identification on a seized folder")
    out.print(f"Photos: {scenario.photo_source}; videos: {scenario.video_source}")
    out.print(f"Demo device: {scenario.device} ({len(scenario.planted)} files planted)")

    store = CaseStore.open(settings)
    try:
        lists = (
            ("demo-known-media", scenario.known_bad_list, "auto", "CSV of MD5/SHA-256/PDQ"),
            ("demo-projectvic", scenario.vics_list, "auto", "Project VIC VICS 2.0 JSON"),
            ("demo-nsrl", scenario.nsrl_database, "auto", "NSRL RDSv3 SQLite, known-good"),
            ("demo-known-video", scenario.video_list, "vpdq", "vPDQ signal of a video"),
        )
        for name, list_path, fmt, what in lists:
            result = import_list(store, settings, list_path, name, actor=actor, fmt=fmt)
            imported = result.hash_list
            problems = "; ".join(f"#{m.line}: {m.reason}" for m in result.malformed[:3])
            out.print(
                f"Imported {name} ({what}): {imported.entry_count} hash(es), {imported.role.value}, "
                f"format {imported.format}{' (compact)' if imported.storage else ''}"
                + (
                    f"; {imported.malformed_count} malformed record(s) reported: {problems}"
                    if problems
                    else ""
                )
            )

        columns = (TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn())
        with Progress(*columns, console=out, disable=not out.is_terminal) as progress:
            summary = scan(
                store,
                settings,
                "demo-case",
                scenario.device,
                actor=actor,
                observer=_ProgressObserver(progress, as_json=False),
            )
        case = store.case("demo-case")
        shown = store.matches(case, actor, purpose="demo")
        print_matches(shown, summary)

        queue = Table("priority", "file", "why", title="Review queue: what to look at next, and why")
        for item, priority, reasons in store.review_queue(case, actor, limit=60):
            if "matches a known-bad hash list" not in reasons:  # the hits are listed above
                queue.add_row(
                    *literal(f"{priority:g}", item.path.split("/device/", 1)[-1], "; ".join(reasons))
                )
        out.print(queue)

        everything = store.matches(case, actor, include_known_good=True, purpose="demo-check")
        errors = {f.path for f in store.findings(case, actor, kind="error")}
        table = Table("planted file", "transform", "expected", "found", "", title="Expected vs found")
        failures = 0
        for p in scenario.planted:
            path = str(p.path)
            mine = [m for m in everything if m.path == path]
            hidden = any(m.list_role is ListRole.KNOWN_GOOD for m in mine)
            got, ok = _verdict(p.expect, mine, hidden, path in errors)
            failures += 0 if ok else 1
            table.add_row(
                *literal(str(p.path.relative_to(scenario.device)), p.transform, p.expect, got),
                "[green]ok[/]" if ok else "[red]UNEXPECTED[/]",
            )
        out.print(table)

        html = write_report(store, settings, case, actor=actor, fmt=ReportFormat.HTML)
        csv_path = write_report(store, settings, case, actor=actor, fmt=ReportFormat.CSV)
        vics_path = write_report(store, settings, case, actor=actor, fmt=ReportFormat.VICS)
        audit = store.verify_audit(case_chain(case.name))
        if image is not None and image.is_file():
            _image_scenario(out, store, settings, image, actor)
        failures += _phone_scenario(out, store, settings, workdir, actor)
        failures += _grooming_scenario(out, store, workdir, actor)
        review_login, served = _review_app_scenario(out, store, settings, actor)
        failures += 0 if served else 1
        out.rule("[bold]Where to look")
        out.print(f"Case store (SQLite):  {settings.effective_database_url.removeprefix('sqlite:///')}")
        out.print(f"HTML report:          {html}")
        out.print(f"CSV report:           {csv_path}")
        out.print(f"VICS 2.0 case export: {vics_path}")
        out.print(f"Audit trail:          {audit.events} events verified, head {audit.head[:16]}…")
        out.print(f"Review app:           {review_login}")
        out.print(
            f"Try: .venv/bin/heroes --home {home} audit show demo-case   |   "
            f".venv/bin/heroes --home {home} case list"
        )
        if failures:
            raise click.ClickException(
                f"{failures} planted file(s) or search(es) did not give the expected result"
            )
        out.print("[green]Demo finished: every planted file gave the expected result.[/]")
    finally:
        store.close()
