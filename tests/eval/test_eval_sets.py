"""The engine keeps its measured quality on the labelled cases (floors, not targets to game)."""

from pathlib import Path

import pytest

from canipost.evaluation import evaluate, load_cases

HERE = Path(__file__).resolve().parent

# set: (verdict accuracy, topic recall@3, unsafe answers, over-cautious answers): the least
# accuracy and recall, the most unsafe and over-cautious answers a change may leave.
# holdout.yaml and final.yaml were written apart from the engine and scored once before any tuning;
# validation.yaml was written from real public cases to build the trained judgement on (its
# thresholds are chosen on it and on the others). The README records every first-look figure.
# The blind sets (blind*.yaml) have no floor here: each is scored before and after the work it
# measures, never tuned on; once scored twice, its misses may guide the next round (read by kind,
# never trained on), and a fresh blind set measures that round.
FLOORS = {
    "dev.yaml": (0.95, 0.95, 0, 0),
    "cases.yaml": (0.94, 0.95, 0, 0),
    "holdout.yaml": (0.92, 0.92, 0, 0),
    "final.yaml": (0.85, 0.90, 0, 1),
    "validation.yaml": (0.80, 0.70, 10, 3),
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_measures_stay_above_their_floors(engine, name):
    report = evaluate(engine, load_cases(HERE / name))
    detail = report.summary() + "\n" + "\n".join(report.misses())
    verdict_floor, recall_floor, most_unsafe, most_over_cautious = FLOORS[name]
    assert report.errors == 0, detail
    assert report.unsafe <= most_unsafe, detail
    assert report.over_cautious <= most_over_cautious, detail
    assert report.verdict_accuracy >= verdict_floor, detail
    assert report.topic_recall >= recall_floor, detail


def test_the_dev_set_is_the_shared_one_unchanged():
    shared = HERE.parent.parent.parent / "shared" / "eval" / "dev.yaml"
    if not shared.exists():
        pytest.skip("the shared evaluation set is not beside this checkout")
    assert (HERE / "dev.yaml").read_bytes() == shared.read_bytes()
