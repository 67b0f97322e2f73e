"""``canipost eval``: score the engine on labelled cases and list every miss."""

from __future__ import annotations

import argparse

from ..evaluation import evaluate, load_cases
from .kb import add_knowledge_option, knowledge_dir


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="score the engine on labelled cases (e.g. shared/eval/dev.yaml)")
    parser.add_argument("files", nargs="+", metavar="FILE.yaml", help="labelled cases")
    parser.add_argument("--show", action="store_true", help="print every case, not only the misses")
    parser.add_argument("--min-verdict", type=float, default=0.0, metavar="X", help="fail (exit 1) below this verdict accuracy")
    parser.add_argument("--min-recall", type=float, default=0.0, metavar="X", help="fail (exit 1) below this topic recall@3")
    parser.add_argument("--max-unsafe", type=int, default=None, metavar="N", help="fail (exit 1) above this many unsafe answers")
    parser.add_argument("--max-over-cautious", type=int, default=None, metavar="N",
                        help="fail (exit 1) above this many over-cautious answers")
    add_knowledge_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine import Engine

    cases = [case for path in args.files for case in load_cases(path)]
    report = evaluate(Engine.load(knowledge_dir(args)), cases)
    for result in report.results:
        if args.show and not result.miss:
            print(f"ok   {result.case.id}: verdict {result.verdict}; topics {sorted(result.topics_top3)}")
    for line in report.misses():
        print(line)
    print(report.rates())
    print("by profile:")
    for line in report.profile_lines():
        print(line)
    print(report.summary())
    failed = (
        report.verdict_accuracy < args.min_verdict
        or report.topic_recall < args.min_recall
        or (args.max_unsafe is not None and report.unsafe > args.max_unsafe)
        or (args.max_over_cautious is not None and report.over_cautious > args.max_over_cautious)
    )
    return 1 if failed else 0
