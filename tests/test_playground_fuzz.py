"""A short run of the playground API campaign (tests/fuzz/playground_api.py) in the normal
suite: a few hundred random requests to every endpoint, with hostile headers and bodies,
in sequence against one server. Never a 5xx, every request answered, errors on one line,
the server up at the end and its memory flat."""

import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"),
                                reason="the campaign reads its memory from Linux's /proc")


@pytest.fixture(scope="module")
def campaign():
    path = os.path.join(HERE, "fuzz", "playground_api.py")
    spec = importlib.util.spec_from_file_location("purenn_fuzz_playground_api", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_short_campaign_breaks_no_promise(campaign):
    figures = campaign.run(seed=sys.version_info[1], start=0, count=400, case_seconds=60,
                           batch=100, log=lambda line: None)
    assert figures["cases"] == 400
    assert campaign.broken(figures, rss_growth_mb=50) == [], figures
    assert figures["2xx"] > 50 and figures["4xx"] > 50  # both paths are exercised
