"""The embedded simulator is versioned by its images: a fixed reference render, hashed, recorded
per code version in ``t2s_env/data/simulator_versions.json``; packaged tables name the images
they were measured with."""

from __future__ import annotations

import json

import pytest
from live_toy import ToySimulator

from t2s_env.data import load_cpu_table
from t2s_env.simulator import EmbeddedSimulator
from t2s_env.simulator import fingerprint as fp
from t2s_env.simulator.knobs import EMBEDDED_SPACE

RECORD = "python scripts/record_simulator_version.py"


@pytest.fixture(scope="module")
def rendered() -> str:
    """The current code's image version, rendered now (not read from the record)."""
    return fp.image_fingerprint(EmbeddedSimulator(device="cpu"))


def test_reference_configs_show_every_option_of_every_knob():
    configs = fp.reference_configs(EMBEDDED_SPACE)
    assert len(configs) == 3
    for knob in EMBEDDED_SPACE.knobs:
        assert {c[knob.name] for c in configs} == set(knob.options), knob.name


def test_the_record_holds_for_the_current_code(rendered):
    code = EmbeddedSimulator.code_version
    recorded = fp.recorded_image_versions("embedded")
    assert code in recorded, (
        f"the embedded simulator's code changed (code version {code}, images {rendered}); "
        f"run `{RECORD}` to record its image version"
    )
    assert recorded[code] == rendered, (
        f"simulator_versions.json says code {code} renders images {recorded[code]}, but it "
        f"renders {rendered}: re-run `{RECORD}`"
    )
    assert EmbeddedSimulator.version == EmbeddedSimulator().version == rendered


def test_packaged_tables_were_measured_with_the_current_images(rendered):
    provenance = load_cpu_table().provenance
    assert provenance["simulator"] == "embedded"
    claimed = provenance["simulator_version"]
    assert fp.same_images("embedded", claimed, rendered), (
        f"the CPU table was measured with simulator version {claimed} (images "
        f"{fp.image_version_of('embedded', claimed)}), but the embedded simulator now renders "
        f"images {rendered}: re-measure the table, or record in "
        "t2s_env/data/simulator_versions.json (accepted_image_changes) why its measurements "
        "still hold"
    )


def test_the_image_version_follows_pixels_not_code():
    class Shifted(ToySimulator):
        """The toy with one pixel changed in one configuration's first image."""

        def render(self, config, images_per_class, seed, resolution, classes=None):
            batch = super().render(config, images_per_class, seed, resolution, classes)
            if config["backgr"] == 1:
                batch.images[0, 0, 0, 0] ^= 1
            return batch

    toy = fp.image_fingerprint(ToySimulator())
    assert toy == fp.image_fingerprint(ToySimulator())  # deterministic
    assert len(toy) == 12 and toy != fp.image_fingerprint(Shifted())


def test_an_image_change_is_caught_unless_the_record_accepts_it(monkeypatch):
    record = {"embedded": {"code_to_image": {"c0de": "aaa"}, "accepted_image_changes": []}}
    monkeypatch.setattr(fp, "_versions_record", lambda: record)
    assert fp.image_version_of("embedded", "c0de") == "aaa"
    assert fp.image_version_of("embedded", "bbb") == "bbb"  # not a recorded code version
    assert fp.same_images("embedded", "c0de", "aaa")
    assert not fp.same_images("embedded", "c0de", "bbb")
    record["embedded"]["accepted_image_changes"].append({"from": "aaa", "to": "bbb", "why": "x"})
    assert fp.same_images("embedded", "c0de", "bbb")


def test_record_image_version_adds_a_code_version(tmp_path):
    path = tmp_path / "versions.json"
    path.write_text(json.dumps({"embedded": {"code_to_image": {"a": "x"}}}))
    assert fp.record_image_version("embedded", "b", "x", path)
    assert not fp.record_image_version("embedded", "b", "x", path)
    assert json.loads(path.read_text())["embedded"]["code_to_image"] == {"a": "x", "b": "x"}
    same = fp.recorded_image_versions("embedded").items()
    current = EmbeddedSimulator.version
    assert EmbeddedSimulator().version_aliases == tuple(sorted(c for c, i in same if i == current))


def test_info_says_whether_the_cpu_table_has_the_current_images(capsys):
    from agents.cli import main

    assert main(["info", "--table", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "simulator embedded ea5e93aa5e2b" in out
    assert f"renders the same images (image version {EmbeddedSimulator.version}" in out


def test_a_store_of_an_older_version_with_the_same_images_is_found(tmp_path):
    from t2s_env.rewards.store import Evaluation, EvaluationKey, RewardStore, StoreError

    sim = EmbeddedSimulator()
    assert "ea5e93aa5e2b" in sim.version_aliases  # the CPU table's code version
    store = RewardStore(tmp_path / "r.sqlite")
    old = EvaluationKey("digits", "0_0_0_0_0_1_0_0_0", "embedded", "ea5e93aa5e2b", "tiny@x", 0)
    store.put(Evaluation(old, accuracy=0.5))
    assert store.check_simulator("embedded", sim.version, sim.version_aliases) == 1
    new = EvaluationKey(*old.values()[:3], sim.version, *old.values()[4:])
    assert store.get(new).accuracy == 0.5 and store.get(old) is None
    assert store.check_simulator("embedded", sim.version, sim.version_aliases) == 0
    other = EvaluationKey(*old.values()[:3], "0123456789ab", *old.values()[4:])
    store.put(Evaluation(other, accuracy=0.25))
    with pytest.raises(StoreError, match="version 0123456789ab, not " + sim.version):
        store.check_simulator("embedded", sim.version, sim.version_aliases)
