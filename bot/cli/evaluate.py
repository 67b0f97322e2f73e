"""``canipost eval``: score the engine on labelled cases and list every miss."""

from __future__ import annotations

import argparse

from ..errors import InputError
from ..evaluation import Report, evaluate, load_cases
from .kb import add_knowledge_option, knowledge_dir
from .rulings import add_rulings_dir_option, agency_examples, engine_for, score


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="score the engine on labelled cases (e.g. shared/eval/dev.yaml)")
    parser.add_argument("files", nargs="*", metavar="FILE.yaml", help="labelled cases")
    parser.add_argument("--rulings", action="store_true",
                        help="also score on the agency's rulings (the rulings directory, brought up to date from the "
                             "escalations database)")
    parser.add_argument("--show", action="store_true", help="print every case, not only the misses")
    parser.add_argument("--min-verdict", type=float, default=0.0, metavar="X", help="fail (exit 1) below this verdict accuracy")
    parser.add_argument("--min-recall", type=float, default=0.0, metavar="X", help="fail (exit 1) below this topic recall@3")
    parser.add_argument("--max-unsafe", type=int, default=None, metavar="N", help="fail (exit 1) above this many unsafe answers")
    parser.add_argument("--max-over-cautious", type=int, default=None, metavar="N",
                        help="fail (exit 1) above this many over-cautious answers")
    add_rulings_dir_option(parser)
    add_knowledge_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..kb import load_knowledge
    from ..model.judge import Judge

    if not args.files and not args.rulings:
        raise InputError("nothing to score: give labelled case files, or --rulings")
    kb = load_knowledge(knowledge_dir(args))
    cases = [case for path in args.files for case in load_cases(path)]
    rulings = []
    if args.rulings:
        from ..kb.rulings import as_cases

        examples, directory = agency_examples(args, kb)
        rulings = as_cases(examples)
        if not rulings:
            print(f"no rulings to score on in {directory}: they come from cases resolved with a ruling the "
                  "advisor agreed to learn from")
    report = evaluate(engine_for(kb, Judge.load(kb.root, kb.vocabulary.stopwords)), cases + rulings)
    for result in report.results:
        if args.show and not result.miss:
            print(f"ok   {result.case.id}: verdict {result.verdict}; topics {sorted(result.topics_top3)}")
    for line in report.misses():
        print(line)
    print(report.rates())
    print("by profile:")
    for line in report.profile_lines():
        print(line)
    if rulings:
        ruled = {id(case) for case in rulings}
        on_rulings = Report([r for r in report.results if id(r.case) in ruled])
        print(f"on the agency's rulings: {score(on_rulings)}")
    print(report.summary())
    failed = (
        report.verdict_accuracy < args.min_verdict
        or report.topic_recall < args.min_recall
        or (args.max_unsafe is not None and report.unsafe > args.max_unsafe)
        or (args.max_over_cautious is not None and report.over_cautious > args.max_over_cautious)
    )
    return 1 if failed else 0
