"""Fixtures of the web tests: one scanned case store built once per session, copied for every test.

The evidence is benign generated images (waves and discs), a text file and a broken JPEG. Case
``op`` holds a copy and a flipped copy of a listed image (so some items match), a photo with a GPS
position, unrelated photos, a letter and a broken file; case ``other`` holds two unrelated photos.
Accounts: ``root`` (admin), ``ivan`` (investigator), ``rita`` (reviewer) and ``audrey`` (auditor),
members of ``op``; ``olga`` (investigator), member of ``other`` only; ``newbie`` (reviewer, member of
``op``) who must change the one-time password.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import ExifTags, Image, ImageOps

from heroes.accounts import digest, hash_password, new_secret
from heroes.config import Settings, load_settings
from heroes.evidence import ListRole, Role
from heroes.hashing import hash_image, read_hash_list
from heroes.store import CaseStore
from heroes.triage import scan
from heroes.web import create_app
from heroes.web.auth import SESSION_COOKIE
from tests.conftest import textured_image

PASSWORD = "correct horse battery staple"
BASE_URL = "https://testserver"
USERS: dict[str, tuple[Role, tuple[str, ...], bool]] = {
    "root": (Role.ADMIN, (), False),
    "ivan": (Role.INVESTIGATOR, ("op",), False),
    "rita": (Role.REVIEWER, ("op",), False),
    "audrey": (Role.AUDITOR, ("op",), False),
    "olga": (Role.INVESTIGATOR, ("other",), False),
    "newbie": (Role.REVIEWER, ("op",), True),
}


@dataclass(frozen=True)
class Template:
    """The store built once: where it is and what is in it."""

    database: Path
    device: Path


def _save(
    path: Path, seed: int, fmt: str = "JPEG", transform: object = None, exif: bytes | None = None
) -> Path:
    image = textured_image(seed)
    if callable(transform):
        image = transform(image)
    path.parent.mkdir(parents=True, exist_ok=True)
    options: dict[str, object] = {"quality": 92} if fmt == "JPEG" else {}
    if exif is not None:
        options["exif"] = exif
    image.save(path, fmt, **options)
    return path


def _gps_exif() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "ExampleCam"
    exif[ExifTags.Base.Model] = "Model 1"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (40.0, 25.0, 1.5),
            ExifTags.GPS.GPSLongitudeRef: "W",
            ExifTags.GPS.GPSLongitude: (3.0, 42.0, 3.0),
        }
    )
    return exif.tobytes()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """Scan the benign device folders into a fresh store once; tests work on copies of it."""
    root = tmp_path_factory.mktemp("web-template")
    settings = load_settings({"HEROES_HOME": str(root / "home")}, None, {"workers": 1, "actor": "tester"})
    known = _save(root / "known" / "k.png", 11, "PNG")
    device = root / "device"
    _save(device / "DCIM" / "exact.png", 11, "PNG")
    _save(device / "DCIM" / "flipped.png", 11, "PNG", ImageOps.mirror)
    _save(device / "DCIM" / "gps.jpg", 30, exif=_gps_exif())
    for n in range(3):
        _save(device / "other" / f"{n}.jpg", 100 + n)
    (device / "notes").mkdir()
    (device / "notes" / "letter.txt").write_text("Meet at the warehouse at nine and bring the keys.\n")
    broken = io.BytesIO()
    textured_image(5).save(broken, "JPEG")
    (device / "broken.jpg").write_bytes(broken.getvalue()[:400])
    other = root / "other-device"
    _save(other / "a.jpg", 200)
    _save(other / "b.jpg", 201)

    listing = root / "list.csv"
    with listing.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["md5", "pdq", "category", "label"])
        pdq = hash_image(known.read_bytes(), Settings(), dihedral=False)["pdq"]
        writer.writerow([hashlib.md5(known.read_bytes()).hexdigest(), pdq, "1", "series-1"])

    store = CaseStore.open(settings)
    try:
        store.import_hash_list("bad", read_hash_list(listing), role=ListRole.KNOWN_BAD, source="t", actor="t")
        scan(store, settings, "op", device, actor="tester")
        scan(store, settings, "other", other, actor="tester")
        hashed = hash_password(PASSWORD)
        for name, (role, cases, must_change) in USERS.items():
            store.accounts.add_user(name, role, hashed, "setup", must_change=must_change)
            for case in cases:
                store.accounts.grant(name, store.case(case), "setup")
    finally:
        store.close()
    return Template(root / "home" / "heroes.db", device)


@dataclass
class Web:
    """One test's app: its own copy of the store, settings, and clients logged in as anyone."""

    app: FastAPI
    store: CaseStore
    settings: Settings

    def client(self, raise_server_exceptions: bool = True) -> TestClient:
        """A client that is not logged in (HTTPS, so Secure cookies are sent back)."""
        return TestClient(self.app, base_url=BASE_URL, raise_server_exceptions=raise_server_exceptions)

    def login(self, name: str) -> tuple[TestClient, str]:
        """A client with a live session of ``name`` (made directly in the store) and its CSRF token."""
        secret, csrf = new_secret(), new_secret()
        user = self.store.accounts.user(name)
        self.store.accounts.open_session(user, digest(secret), csrf, datetime.now(UTC) + timedelta(hours=1))
        client = self.client()
        client.cookies.set(SESSION_COOKIE, secret)
        return client, csrf

    def token(self, name: str) -> dict[str, str]:
        """Headers with a fresh API token of ``name``."""
        secret = new_secret()
        self.store.accounts.add_token(self.store.accounts.user(name), "test", digest(secret), name)
        return {"Authorization": f"Bearer {secret}"}

    def item_id(self, case: str, suffix: str) -> int:
        """The id of the item of a case whose path ends with ``suffix``."""
        found = self.store.items(self.store.case(case), "tester")
        return next(i.id for i in found if i.path.endswith(suffix))

    def events(self, chain: str, action: str) -> list[dict[str, object]]:
        """Events of one kind in a chain, as dicts."""
        return [dataclasses.asdict(e) for e in self.store.audit_events(chain) if e.action == action]


def routes(app: FastAPI) -> list[tuple[str, frozenset[str]]]:
    """Every route of the app as (path, methods), mounts with no methods, included routers flattened."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before routers were included lazily: app.routes is already flat
        flat: list[object] = list(app.routes)
    else:
        flat = list(iter_route_contexts(app.routes))
    return [(str(getattr(r, "path", "")), frozenset(getattr(r, "methods", None) or ())) for r in flat]


def copy_store(template: Template, folder: Path) -> tuple[CaseStore, Settings]:
    """A private copy of the template store and settings whose home is ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        source = template.database.with_name(template.database.name + suffix)
        if source.exists():
            shutil.copy(source, folder / f"heroes.db{suffix}")
    settings = load_settings({"HEROES_HOME": str(folder)}, None, {"workers": 1, "actor": "tester"})
    return CaseStore.open(settings), settings


@pytest.fixture
def web(template: Template, tmp_path: Path) -> Iterator[Web]:
    """A fresh app over a private copy of the scanned store."""
    store, settings = copy_store(template, tmp_path / "home")
    try:
        yield Web(create_app(settings, store), store, settings)
    finally:
        store.close()
