"""A short run of the specs/models/checkpoints campaign (tests/fuzz/specs_checkpoints.py)
in the normal suite: a few hundred cases per reader, none may crash, hang or blow up."""

import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"),
                                reason="the campaign measures memory through Linux's /proc")


@pytest.fixture(scope="module")
def campaign():
    path = os.path.join(HERE, "fuzz", "specs_checkpoints.py")
    spec = importlib.util.spec_from_file_location("purenn_fuzz_specs_checkpoints", path)
    module = importlib.util.module_from_spec(spec)
    saved = os.environ.get("PURENN_MAX_PARAMETERS")
    spec.loader.exec_module(module)  # sets PURENN_MAX_PARAMETERS for its cases
    yield module
    if saved is None:
        os.environ.pop("PURENN_MAX_PARAMETERS", None)
    else:
        os.environ["PURENN_MAX_PARAMETERS"] = saved


@pytest.mark.parametrize("reader, cases", [("spec", 400), ("model", 150),
                                           ("checkpoint", 150)])
def test_a_short_campaign_finds_nothing(campaign, monkeypatch, reader, cases):
    monkeypatch.setenv("PURENN_MAX_PARAMETERS", str(10 ** 5))
    figures = campaign.run(reader, seed=sys.version_info[1], start=0, count=cases,
                           case_seconds=10.0, report=10 ** 9, log=lambda line: None)
    assert figures["cases"] == cases
    assert (figures["crashes"], figures["hangs"], figures["blowups"]) == (0, 0, 0), \
        figures["findings"]
    assert figures["refused"] and figures["accepted"]  # both paths are exercised
