"""The advisors' rulings on the command line: recording one when resolving, the agreement report,
consent, the agency's examples, and scoring a model on them (``kb train``, ``eval --rulings``).

    canipost escalations resolve REF --answer TEXT [--verdict V] [--as C] [--topics T,..] [--provisions ID,..]
    canipost escalations agreement [--since DATE] [--profile P] [--json]
    canipost escalations consent REF --yes|--no [--text TEXT]
    canipost escalations rulings [--profile P] [--write] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Settings
from ..contract import CAPACITIES, VERDICTS, severity
from ..errors import InputError
from ..store import Actor, Escalation, NotFound, Ruling, Store
from .kb import add_knowledge_option, knowledge_dir

# -- recording a ruling when resolving -------------------------------------------------------


def add_ruling_options(resolve: argparse.ArgumentParser) -> None:
    """``resolve``'s ruling: prefilled with canipost's own answer, so agreeing takes nothing."""
    group = resolve.add_argument_group("the ruling (default: canipost's own verdict, capacity and topics)")
    group.add_argument("--verdict", choices=VERDICTS, help="your verdict on the text, for the capacity")
    group.add_argument("--as", dest="ruling_capacity", choices=CAPACITIES, help="the capacity you rule for")
    group.add_argument("--topics", metavar="T,T", help="the topics it engages, main first (at most three)")
    group.add_argument("--provisions", metavar="ID,ID", help="the provisions that decide it (canipost kb list)")
    group.add_argument("--learn", action=argparse.BooleanOptionalAction, default=None,
                       help="use this ruling, its text de-identified, to improve answers (default: yes with --precedent)")
    group.add_argument("--no-ruling", action="store_true", help="resolve without a ruling (nothing to rule on)")
    add_knowledge_option(resolve)


def _listed(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(v for v in (part.strip() for part in value.replace(" ", ",").split(",")) if v)


def ruling_from_args(args: argparse.Namespace, store: Store, actor: Actor) -> Ruling | None:
    """The ruling the advisor gives (canipost's answer where they say nothing), checked against the
    knowledge base; None with --no-ruling, or when there is nothing to prefill it from."""
    if args.no_ruling:
        if any(v is not None for v in (args.verdict, args.ruling_capacity, args.topics, args.provisions, args.learn)):
            raise InputError("--no-ruling leaves out the ruling: give no --verdict, --as, --topics, --provisions "
                             "or --learn with it")
        return None
    try:
        case = store.escalations.get(args.ref, actor)
    except NotFound:
        return None  # resolve() says so, and puts the attempt on the audit trail
    verdict = args.verdict or case.verdict
    if verdict is None:
        return None
    topics = _listed(args.topics)
    ruling = Ruling(verdict, args.ruling_capacity or case.capacity or "personal",
                    tuple(case.topics[:3]) if topics is None else topics, _listed(args.provisions) or (), args.learn)
    from ..kb import load_knowledge
    from ..kb.rulings import check_ruling

    return check_ruling(load_knowledge(knowledge_dir(args)), case.profile, ruling) if ruling.provisions else ruling.checked()


def ruling_line(case: Escalation) -> str:
    """What the advisor is told of the ruling they recorded."""
    ruling = case.ruling
    if ruling is None:
        return "no ruling recorded"
    said = ruling["agreement"]
    line = f"ruling: {ruling['verdict']} for {ruling['capacity']}" + (
        f" (canipost said {ruling['canipost_verdict']}: {said})" if said else "")
    return line + ("; used to improve answers from the next retrain" if ruling["learn"] else "")


# -- the commands ----------------------------------------------------------------------------


def register(commands, by, as_json) -> None:
    """Add ``agreement``, ``consent`` and ``rulings`` to the ``escalations`` commands."""
    agreement = commands.add_parser("agreement", help="how often canipost's verdicts agree with the advisors' rulings")
    agreement.add_argument("--since", metavar="DATE", type=_date, help="only rulings from this day (YYYY-MM-DD)")
    agreement.add_argument("--profile")
    as_json(agreement)
    agreement.set_defaults(func=run_agreement)

    consent = commands.add_parser("consent", help="give or withdraw consent to learn from a case's ruling")
    consent.add_argument("ref")
    choice = consent.add_mutually_exclusive_group(required=True)
    choice.add_argument("--yes", dest="learn", action="store_true", help="use the ruling to improve answers")
    choice.add_argument("--no", dest="learn", action="store_false", help="stop using it (from the next retrain)")
    consent.add_argument("--text", help="the example's text in your own words (default: the case's, de-identified)")
    by(consent)
    as_json(consent)
    consent.set_defaults(func=run_consent)

    rulings = commands.add_parser("rulings", help="the rulings that stand, and which become the agency's examples")
    rulings.add_argument("--profile")
    rulings.add_argument("--write", action="store_true", help="also write the agency's examples to the rulings directory")
    add_rulings_dir_option(rulings)
    add_knowledge_option(rulings)
    as_json(rulings)
    rulings.set_defaults(func=run_rulings)


def add_rulings_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rulings-dir", metavar="DIR",
                        help="the agency's examples (default: $CANIPOST_RULINGS, else rulings beside the knowledge base)")


def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text[:40]!r}") from None


def _advisor(args: argparse.Namespace) -> Actor:
    from .escalations import advisor

    return advisor(args)


def run_agreement(args: argparse.Namespace) -> int:
    with Store.open(Settings.from_env()) as store:
        report = store.escalations.agreement(_advisor(args), since=args.since, profile=args.profile)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print("\n".join(describe_agreement(report)))
    return 0


LABELS = {"under_called": "under-called", "over_called": "over-called", "agreed": "agreed"}


def describe_agreement(report: dict[str, Any]) -> list[str]:
    """The agreement report as an advisor reads it: per profile and month, the cases behind each figure."""
    scope = ", ".join(filter(None, (f"since {report['since']}" if report["since"] else None,
                                    f"profile {report['profile']}" if report["profile"] else None)))
    lines = ["canipost's verdicts against the advisors' rulings" + (f" ({scope})" if scope else "")]
    if not report["rulings"]:
        return lines + ["no rulings yet: they are recorded when a case is resolved"]
    for group in report["by_profile_month"]:
        lines.append(f"{group['profile']:<12} {group['month']}  {_counts(group)}")
        for key, label in LABELS.items():
            for case in group["cases"][key]:
                lines.append(f"    {label:<13} {case['ref']}  {case['ruled_on']}  canipost {case['canipost']}, "
                             f"ruled {case['ruling']} ({case['capacity']})")
    lines.append(f"total: {_counts(report)}")
    return lines


def _counts(counts: dict[str, Any]) -> str:
    rate = f" ({counts['agreement_rate']:.0%})" if counts.get("agreement_rate") is not None else ""
    return (f"{counts['rulings']} ruling(s): {counts['agreed']} agreed{rate}, {counts['under_called']} under-called, "
            f"{counts['over_called']} over-called")


def run_consent(args: argparse.Namespace) -> int:
    with Store.open(Settings.from_env()) as store:
        case = store.escalations.consent(args.ref, _advisor(args), args.learn, args.text)
    if args.json:
        print(json.dumps(case.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"{case.ref}: " + ("its ruling will be used to improve answers from the next retrain" if args.learn
                                 else "its ruling will not be used to improve answers from the next retrain"))
    return 0


def run_rulings(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    with Store.open(settings) as store:
        found = store.rulings.list(args.profile)
        if args.write:
            from ..kb import load_knowledge

            directory = rulings_dir(args, settings)
            written, skipped = write_from(store, load_knowledge(knowledge_dir(args)), directory)
            print(f"{written} example(s) written to {directory}" + (
                f"; left out, their profile not in the knowledge base: {', '.join(skipped)}" if skipped else ""),
                file=sys.stderr)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("no rulings yet: they are recorded when a case is resolved")
    for ruling in found:
        learnt = ruling["learn"] and ruling["example_text"]
        print(f"{ruling['ref']}  {ruling['ruled_at'][:10]}  {ruling['profile']}  {ruling['verdict']} for "
              f"{ruling['capacity']} (canipost {ruling['canipost_verdict'] or '-'})  "
              + ("learnt from" if learnt else "not learnt from"))
        if learnt:
            print(f"    {' '.join(ruling['example_text'].split())[:200]}")
    return 0


# -- the agency's examples, for training and scoring -----------------------------------------


def rulings_dir(args: argparse.Namespace, settings: Settings) -> Path:
    given = getattr(args, "rulings_dir", None)
    return Path(given) if given else settings.rulings_directory(knowledge_dir(args))


def write_from(store: Store, kb, directory: Path) -> tuple[int, list[str]]:
    from ..kb.rulings import write_rulings

    return write_rulings(directory, store.rulings.for_training(), kb)


def agency_examples(args: argparse.Namespace, kb) -> tuple[list, Path]:
    """The agency's examples, brought up to date from the escalations database first when this
    machine has it (the database is the record; the directory is written from it)."""
    from ..kb.rulings import load_rulings

    settings = Settings.from_env()
    directory = rulings_dir(args, settings)
    if settings.db_path.exists():
        with Store.open(settings) as store:
            if store.rulings.for_training() or directory.exists():
                written, skipped = write_from(store, kb, directory)
                print(f"... {written} ruling(s) from the escalations database written to {directory}"
                      + (f" (left out, their profile not in the knowledge base: {', '.join(skipped)})" if skipped else ""),
                      file=sys.stderr)
    return load_rulings(directory, kb), directory


@dataclass(frozen=True)
class RulingScore:
    """How a model's answers stand against the agency's rulings."""

    rulings: int
    agreed: int
    under_called: int
    over_called: int

    def __str__(self) -> str:
        return (f"agrees with {self.agreed}/{self.rulings}, under-calls {self.under_called}, "
                f"over-calls {self.over_called}")

    def worse_than(self, other: "RulingScore") -> bool:
        """Under-calls more of the rulings, or agrees with fewer of them."""
        return self.under_called > other.under_called or self.agreed < other.agreed


def score(report) -> RulingScore:
    """A :class:`canipost.evaluation.Report` on the agency's rulings, as agreement counts."""
    agreed = under = over = 0
    for result in report.results:
        wanted = severity(result.case.verdicts[0])
        given = severity(result.verdict) if result.verdict else -1
        agreed += given == wanted
        under += given < wanted
        over += given > wanted
    return RulingScore(len(report.results), agreed, under, over)


def engine_for(kb, judge):
    """An engine over ``kb`` with ``judge``, and no precedents: scored on what the model and the rules
    say alone (the precedents would simply repeat the rulings back)."""
    from ..engine import Engine

    return Engine(kb, next(iter(kb.profiles)), judge=judge)


def references(examples) -> str:
    """The cases the agency's examples come from (``ruling-cp-00042`` is CP-00042)."""
    return ", ".join(e.id.removeprefix("ruling-").upper() for e in examples) or "none"


def keep_unless_worse(args: argparse.Namespace, kb, weights, analysers, embedding, rulings, extra,
                      corpus: int) -> int:
    """Write the new model, unless it does worse on the agency's rulings than the one in service and
    ``--force`` was not given; either way, on the audit trail."""
    from ..model.weights import save_weights
    from .kb import describe_training

    summary = describe_training({**weights.manifest, "arrays_digest": weights.digest()})
    compared = compare_on_rulings(kb, weights, analysers, embedding, rulings)
    worse = compared is not None and compared[0]
    figures = f"; {compared[1]}" if compared else ""
    if worse and not args.force:
        print(summary.rsplit("\n", 1)[0])  # all but "written to ...": it is not
        print(f"refused: {compared[1]}; the current model is kept (--force writes the new one anyway)", file=sys.stderr)
        _audited(audit_retrain("retrain-refused", f"{kb.root}: {len(extra)} ruling(s) ({references(extra)}){figures}"),
                 rulings)
        return 1
    save_weights(kb.root, weights)
    print(summary)
    if compared is not None:
        print(compared[1])
    _audited(audit_retrain("retrained", f"{kb.root}: {corpus} examples and {len(extra)} ruling(s) "
                                        f"({references(extra)}); weights digest {weights.digest()[:16]}{figures}"
                                        + ("; forced" if worse else "")), rulings)
    return 0


def _audited(recorded: bool, rulings) -> None:
    if not recorded and rulings:  # an agency's retrain; the shipped corpus's needs no trail
        print("... no escalations database here (CANIPOST_DB): this retrain is not on the audit trail", file=sys.stderr)


def compare_on_rulings(kb, weights, analysers, embedding, rulings) -> tuple[bool, str] | None:
    """Whether the new model does worse than the one in service on the agency's rulings, and the
    figures; None when there are no rulings to score on."""
    from ..errors import KnowledgeError
    from ..evaluation import evaluate
    from ..kb.rulings import as_cases
    from ..model.judge import Judge

    if not rulings:
        return None
    cases = as_cases(rulings)
    try:
        current = Judge.load(kb.root, kb.vocabulary.stopwords)
    except KnowledgeError:
        current = None  # a damaged or mismatched model: what the retrain replaces
    new = Judge(weights, analysers, embedding, kb.vocabulary.stopwords)
    before, after = (score(evaluate(engine_for(kb, judge), cases)) for judge in (current, new))
    worse = after.worse_than(before)
    return worse, (f"on the agency's {len(cases)} ruling(s) the new model {after} "
                   f"({'worse than' if worse else 'against'} the current model: {before})")


def audit_retrain(action: str, detail: str) -> bool:
    """Put a retrain on the audit trail, when this machine has the escalations database."""
    from ..store import audit

    settings = Settings.from_env()
    if not settings.db_path.exists():
        return False
    actor = _advisor(argparse.Namespace())  # whoever runs it, as the command line names them
    with Store.open(settings) as store, store.database.write() as db:
        audit.record(db, store.database.now(), actor, action, detail=detail)
    return True
