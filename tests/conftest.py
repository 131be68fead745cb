"""Shared fixtures: settings in a temp home, a store on SQLite and (when configured) PostgreSQL,
benign generated images, and the shared test data folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from heroes.config import Settings, load_settings
from heroes.store import CaseStore

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POSTGRES_URL = os.environ.get("HEROES_TEST_POSTGRES_URL", "")


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or skip when it is absent (tests that need only generated data don't use this)."""
    if not SHARED.is_dir():
        pytest.skip(f"shared test data not found at {SHARED}")
    return SHARED


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a private data directory and one worker (in-process, so monkeypatching works)."""
    return load_settings({"HEROES_HOME": str(tmp_path / "home")}, None, {"workers": 1, "actor": "tester"})


def _postgres_store() -> Iterator[CaseStore]:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("HEROES_TEST_POSTGRES_URL must be set in CI: the store tests must run on PostgreSQL")
        pytest.skip("set HEROES_TEST_POSTGRES_URL to run the store tests on PostgreSQL")
    import sqlalchemy

    admin = sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"heroes_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sqlalchemy.engine.make_url(POSTGRES_URL).set(database=name)
    store = CaseStore.from_url(url.render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    """The same store tests on both databases."""
    if request.param == "sqlite":
        s = CaseStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
        try:
            yield s
        finally:
            s.close()
    else:
        yield from _postgres_store()


@pytest.fixture
def sqlite_store(settings: Settings) -> Iterator[CaseStore]:
    """An embedded store for workflow tests that are not about the database."""
    s = CaseStore.open(settings)
    try:
        yield s
    finally:
        s.close()


def textured_image(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A benign synthetic scene (waves and discs) with enough structure for PDQ quality 100."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    channels = [
        np.sin(x / rng.uniform(15, 60) + rng.uniform(0, 6))
        * np.cos(y / rng.uniform(15, 60) + rng.uniform(0, 6))
        for _ in range(3)
    ]
    img = Image.fromarray(((np.stack(channels, axis=2) + 1) * 127).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(8):
        cx, cy, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(8, 50))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    return img


@pytest.fixture
def make_image(tmp_path: Path) -> Callable[..., Path]:
    """Write a synthetic image: make_image(name, seed, fmt='JPEG', transform=None, folder=None)."""

    def make(
        name: str,
        seed: int,
        fmt: str = "JPEG",
        transform: Callable[[Image.Image], Image.Image] | None = None,
        folder: Path | None = None,
        size: tuple[int, int] = (320, 240),
    ) -> Path:
        img = textured_image(seed, size)
        if transform is not None:
            img = transform(img)
        target = (folder or tmp_path) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        img.save(target, fmt, **({"quality": 92} if fmt == "JPEG" else {}))
        return target

    return make
