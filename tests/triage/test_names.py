"""The agency-trained file-name model: held-out quality, safe files, ranking reasons, CLI and scan."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from heroes.cli import cli
from heroes.demo import write_labelled_names
from heroes.errors import InvalidInput, NotFound
from heroes.evidence import Item
from heroes.triage.context import WEIGHTS, rank_items
from heroes.triage.names import NameModel, normalise_name, read_labelled, train_name_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> NameModel:
    csv_path = write_labelled_names(tmp_path_factory.mktemp("names") / "names.csv", count=800)
    paths, labels, skipped = read_labelled(csv_path)
    assert skipped == [] and len(paths) == 800
    return train_name_model(paths, labels)


def test_held_out_quality_is_measured_and_good_on_a_learnable_habit(model: NameModel) -> None:
    held = model.meta["held_out"]
    assert held["paths"] == 160  # 20 % held out before the final fit
    assert held["f1"] >= 0.85 and held["average_precision"] >= 0.85, held


def test_scores_generalise_to_unseen_names_of_the_habit(model: NameModel) -> None:
    unseen = ["Pictures/x/kx03lake9-new.jpg", "Downloads/zr88castle2.jpg"]
    ordinary = ["DCIM/Camera/IMG_4821.JPG", "Documents/invoice_77.pdf", "Downloads/Screenshot_2024-03-12.png"]
    relevant, other = model.scores(unseen), model.scores(ordinary)
    assert (relevant > 0.5).all() and (other < 0.5).all(), (relevant, other)
    assert model.scores([]).shape == (0,)


def test_normalised_name_is_last_folder_and_file(model: NameModel) -> None:
    assert normalise_name("/evidence/img.E01!/p1/Users/Bob/Pictures/Old_Ones/kx03-Lake.JPG") == (
        "old ones kx03 lake jpg"
    )


def test_save_and_load_round_trip_without_pickles(model: NameModel, tmp_path: Path) -> None:
    target = tmp_path / "m.npz"
    model.save(target)
    again = NameModel.load(target)
    names = ["a/kx10lake1.jpg", "b/IMG_0001.JPG"]
    assert np.allclose(again.scores(names), model.scores(names)) and again.meta == model.meta
    evil = tmp_path / "evil.npz"
    with evil.open("wb") as handle:
        np.save(handle, np.array([{"run": "code"}], dtype=object), allow_pickle=True)
    with pytest.raises(InvalidInput, match="not a heroes name model"):
        NameModel.load(evil)
    (tmp_path / "p.npz").write_bytes(pickle.dumps({"weights": 1}))
    with pytest.raises(InvalidInput):
        NameModel.load(tmp_path / "p.npz")
    with pytest.raises(NotFound):
        NameModel.load(tmp_path / "missing.npz")


def test_labelled_csv_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("path,label\na/b.jpg,1\n,1\nc/d.jpg,maybe\ne/f.jpg,no\n")
    paths, labels, skipped = read_labelled(bad)
    assert (paths, labels) == (["a/b.jpg", "e/f.jpg"], [1, 0])
    assert [s.split(":")[0] for s in skipped] == ["line 3", "line 4"]
    (tmp_path / "cols.csv").write_text("name,class\na,1\n")
    with pytest.raises(InvalidInput, match="'path' and 'label'"):
        read_labelled(tmp_path / "cols.csv")
    with pytest.raises(InvalidInput, match="at least 5 paths of each label"):
        train_name_model(["a"] * 20 + ["b"] * 2, [0] * 20 + [1] * 2)


def _item(n: int, path: str) -> Item:
    return Item(n, 1, path, 1, None, None, None, None, None, None, None, "/")


def test_ranking_names_the_model_score(model: NameModel) -> None:
    items = [_item(1, "/e/Downloads/jw40meadow3.jpg"), _item(2, "/e/DCIM/IMG_0002.JPG")]
    ranked = {c.item_id: c for c in rank_items(items, set(), names=model)}
    assert 0 < ranked[1].priority <= WEIGHTS["name_model"] and ranked[2].priority == 0
    assert (
        ranked[1].reasons[0].startswith("file name resembles names the agency's model learnt as relevant (0.")
    )


def test_cli_train_then_scan_with_the_model(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    csv_path = write_labelled_names(tmp_path / "names.csv", count=400)
    device = tmp_path / "device"
    make_image("Downloads/qv12harbour4.jpg", 1, folder=device)
    make_image("DCIM/IMG_0001.JPG", 2, folder=device)
    runner = CliRunner()
    home = ["--home", str(tmp_path / "home"), "--workers", "1", "--actor", "tester"]
    trained = runner.invoke(cli, [*home, "names", "train", str(csv_path), "-o", str(tmp_path / "m.npz")])
    assert trained.exit_code == 0, trained.output
    assert "Held-out 20 % (80 paths): precision" in trained.output
    shown = runner.invoke(cli, [*home, "names", "show", str(tmp_path / "m.npz")])
    assert '"trained_on": 400' in shown.output
    scanned = runner.invoke(
        cli, [*home, "scan", str(device), "--case", "n", "--name-model", str(tmp_path / "m.npz")]
    )
    assert scanned.exit_code == 0, scanned.output
    review = runner.invoke(cli, [*home, "review", "n", "--json"])
    assert "qv12harbour4.jpg" in review.output and "IMG_0001" not in review.output
    audit = runner.invoke(cli, [*home, "audit", "show", "--json"])  # the global chain
    assert "names.train" in audit.output
