"""The engine keeps its measured quality on the labelled cases (floors, not targets to game)."""

from pathlib import Path

import pytest

from canipost.evaluation import evaluate, load_cases

HERE = Path(__file__).resolve().parent

# set: (verdict accuracy, topic recall@3); unsafe and over-cautious answers must be none.
# holdout.yaml and final.yaml were written apart from the engine and scored once before any tuning;
# the README records both first-look figures.
FLOORS = {
    "dev.yaml": (0.90, 0.90),
    "cases.yaml": (0.90, 0.90),
    "holdout.yaml": (0.90, 0.85),
    "final.yaml": (0.90, 0.85),
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_measures_stay_above_their_floors(engine, name):
    report = evaluate(engine, load_cases(HERE / name))
    detail = report.summary() + "\n" + "\n".join(report.misses())
    verdict_floor, recall_floor = FLOORS[name]
    assert report.errors == 0, detail
    assert report.unsafe == 0, detail
    assert report.over_cautious == 0, detail
    assert report.verdict_accuracy >= verdict_floor, detail
    assert report.topic_recall >= recall_floor, detail


def test_the_dev_set_is_the_shared_one_unchanged():
    shared = HERE.parent.parent.parent / "shared" / "eval" / "dev.yaml"
    if not shared.exists():
        pytest.skip("the shared evaluation set is not beside this checkout")
    assert (HERE / "dev.yaml").read_bytes() == shared.read_bytes()
