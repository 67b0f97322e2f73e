"""``canipost kb``: check the knowledge base, and look provisions up."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections import Counter
from pathlib import Path

from ..config import Settings
from ..contract import TOPICS
from ..errors import KnowledgeErrors
from ..kb import KnowledgeBase, Provision, load_knowledge


def knowledge_dir(args: argparse.Namespace) -> Path | None:
    """The knowledge base to use: ``--knowledge``, else ``CANIPOST_KNOWLEDGE``, else the bundled one."""
    given = getattr(args, "knowledge", None)
    return Path(given) if given else Settings.from_env().knowledge_dir


def add_knowledge_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--knowledge", metavar="DIR", help="knowledge base directory (default: $CANIPOST_KNOWLEDGE or the bundled one)")


def register(subparsers) -> None:
    kb = subparsers.add_parser("kb", help="check the knowledge base and look provisions up")
    commands = kb.add_subparsers(dest="kb_command", metavar="COMMAND", parser_class=type(kb))
    commands.required = True

    validate = commands.add_parser("validate", help="check every file and summarise the knowledge base")
    add_knowledge_option(validate)
    validate.set_defaults(func=run_validate)

    show = commands.add_parser("show", help="print one provision with its citation")
    show.add_argument("id", help="provision id, e.g. au.apsc-circular.aliases")
    show.add_argument("--profile", help="also show this profile's exception to it, if any")
    add_knowledge_option(show)
    show.set_defaults(func=run_show)

    examples = commands.add_parser("examples", help="check the labelled corpus and summarise what it covers")
    examples.add_argument("--against", nargs="+", metavar="FILE.yaml", default=[],
                          help="also fail if any example nearly repeats a case of these evaluation sets")
    add_knowledge_option(examples)
    examples.set_defaults(func=run_examples)

    train = commands.add_parser("train", help="train the judgement on the labelled corpus and write its weights")
    train.add_argument("--folds", type=int, default=5, metavar="N", help="cross-validation folds (default 5)")
    train.add_argument("--calibrate", nargs="+", metavar="FILE.yaml", default=[],
                       help="labelled cases written apart from the corpus, to choose the thresholds on")
    train.add_argument("--with-rulings", action="store_true",
                       help="train on the agency's rulings too (the rulings directory, brought up to date from "
                            "the escalations database)")
    train.add_argument("--force", action="store_true",
                       help="write the new model even if it does worse than the current one on the agency's rulings")
    from .rulings import add_rulings_dir_option

    add_rulings_dir_option(train)
    add_knowledge_option(train)
    train.set_defaults(func=run_train)

    listing = commands.add_parser("list", help="list provisions, optionally of one profile or topic")
    listing.add_argument("--profile")
    listing.add_argument("--topic", choices=sorted(TOPICS))
    add_knowledge_option(listing)
    listing.set_defaults(func=run_list)


def _report(exc: KnowledgeErrors) -> int:
    for error in exc.errors:
        print(error, file=sys.stderr)
    print(f"invalid: {len(exc.errors)} problem(s)", file=sys.stderr)
    return 1


def run_validate(args: argparse.Namespace) -> int:
    from ..model.judge import check_model

    try:
        kb = load_knowledge(knowledge_dir(args))
        examples = kb.examples()
        model = check_model(kb, examples)
    except KnowledgeErrors as exc:
        return _report(exc)
    print(summarise(kb))
    print(f"examples: {len(examples)} labelled drafts and questions")
    print(model)
    for warning in kb.warnings:
        print(f"warning: {warning}")
    return 0


def summarise(kb: KnowledgeBase) -> str:
    """A few lines on what the knowledge base holds: by jurisdiction, by profile, by topic."""
    lines = [f"valid: {len(kb.provisions)} provisions from {len(kb.sources)} sources, "
             f"{len(kb.profiles)} profiles, {len(kb.detectors)} detectors ({kb.root})"]
    by_jurisdiction = Counter(p.jurisdiction for p in kb.provisions.values())
    lines.append("by jurisdiction: " + ", ".join(f"{j} {n}" for j, n in sorted(by_jurisdiction.items())))
    lines.append("by profile:")
    for profile in kb.profiles.values():
        provisions = kb.provisions_for(profile.id)
        kinds = Counter(p.kind for p in provisions)
        extra = []
        if profile.overrides:
            extra.append(f"{len(profile.overrides)} exception(s)")
        if profile.periods:
            extra.append(f"{len(profile.periods)} period(s)")
        lines.append(f"  {profile.id:<12} {len(provisions):>4} ({kinds['rule']} rules, {kinds['guidance']} guidance)"
                     + (f"  {', '.join(extra)}" if extra else "") + f"  contact: {profile.contact.name}")
    by_topic = Counter(t for p in kb.provisions.values() for t in p.topics)
    lines.append("by topic:")
    for topic in TOPICS:
        missing = [pid for pid in kb.profiles if not any(topic in p.topics for p in kb.provisions_for(pid))]
        note = f"  (none in {', '.join(missing)})" if missing else ""
        lines.append(f"  {topic:<24} {by_topic[topic]:>4}{note}")
    return "\n".join(lines)


def run_show(args: argparse.Namespace) -> int:
    kb = load_knowledge(knowledge_dir(args))
    provision = kb.provision(args.id)
    if args.profile:
        kb.profile(args.profile)
    print(describe(kb, provision, args.profile))
    return 0


def describe(kb: KnowledgeBase, provision: Provision, profile: str | None = None) -> str:
    """One provision, as a reader wants it: what it says, where it is from, what it means here."""
    wrap = lambda text, indent="  ": textwrap.fill(text, 88, initial_indent=indent, subsequent_indent=indent)  # noqa: E731
    effects = ", ".join(f"{cap}: {verdict}" for cap, verdict in provision.effects.items())
    lines = [
        f"{provision.id}  [{provision.kind}, {provision.jurisdiction}]",
        provision.title,
        "",
        f"Source:   {provision.source.cite()}",
        f"Citation: {provision.citation}",
    ]
    if provision.url:
        lines.append(f"Link:     {provision.url}")
    lines += ["", "Quote:", wrap(f"\u201c{provision.quote}\u201d"), "", "In plain words:", wrap(provision.summary)]
    if provision.advice:
        lines += ["", "What to do:", wrap(provision.advice)]
    lines += [
        "",
        f"Topics:     {', '.join(provision.topics)}",
        f"Applies to: {', '.join(provision.capacities)}",
        f"Effect:     {effects}" + ("  (escalates)" if provision.escalate else "") + (f"  (every draft: {', '.join(provision.always)})" if provision.always else ""),
        f"Profiles:   {', '.join(kb.profiles_using(provision)) or 'none'}",
        f"Defined at: {provision.file}:{provision.line}",
    ]
    overrides = [o for o in kb.overrides_of(provision.id) if profile is None or o.profile == profile
                 or o in kb.profile(profile).overrides]
    for override in overrides:
        change = "switched off" if override.disable else f"effect changed to {override.effect}"
        lines += ["", f"Exception in {override.profile}: {change}", wrap(f"Reason: {override.reason}")]
    return "\n".join(lines)


def run_list(args: argparse.Namespace) -> int:
    kb = load_knowledge(knowledge_dir(args))
    provisions = kb.provisions_for(args.profile) if args.profile else list(kb.provisions.values())
    for provision in provisions:
        if args.topic and args.topic not in provision.topics:
            continue
        print(f"{provision.id:<52} {provision.title}")
    return 0


def run_examples(args: argparse.Namespace) -> int:
    from ..evaluation import load_cases
    from ..kb.examples import near_duplicates

    try:
        kb = load_knowledge(knowledge_dir(args))
        examples = kb.examples()
    except KnowledgeErrors as exc:
        return _report(exc)
    print(describe_examples(kb, examples))
    failed = 0
    for path in args.against:
        cases = load_cases(path)
        for i, j, score in near_duplicates([e.text for e in examples], [c.text for c in cases]):
            e = examples[i]
            print(f"{e.file}:{e.line}: {e.id}: near-duplicate ({score:.0f}% alike) of evaluation case {cases[j].id} "
                  f"in {path}", file=sys.stderr)
            failed += 1
    if failed:
        print(f"invalid: {failed} example(s) repeat evaluation cases", file=sys.stderr)
    return 1 if failed else 0


def describe_examples(kb: KnowledgeBase, examples) -> str:
    """What the corpus covers: by profile and capacity, verdict, topic, and its hard negatives."""
    from ..contract import CAPACITIES, VERDICTS

    n = max(len(examples), 1)
    lines = [f"{len(examples)} examples, {sum(e.hard_negative for e in examples)} hard negatives "
             f"({sum(e.hard_negative for e in examples) / n:.0%}), "
             f"{len({e.situation for e in examples})} situations"]
    verdicts = Counter(e.verdict for e in examples)
    lines.append("verdicts: " + ", ".join(f"{v} {verdicts[v]}" for v in VERDICTS))
    modes = Counter(e.mode for e in examples)
    lines.append("modes: " + ", ".join(f"{m} {c}" for m, c in sorted(modes.items())))
    lines.append(f"{'profile':<12} " + " ".join(f"{c:>12}" for c in CAPACITIES) + "   topics with none")
    for pid in kb.profiles:
        row = [sum(e.profile == pid and e.capacity == c for e in examples) for c in CAPACITIES]
        missing = [t for t in TOPICS if not any(e.profile == pid and t in e.topics for e in examples)]
        lines.append(f"{pid:<12} " + " ".join(f"{r:>12}" for r in row) + "   " + (", ".join(missing) or "-"))
    topics = Counter(t for e in examples for t in e.topics)
    lines.append("topics: " + ", ".join(f"{t} {topics[t]}" for t in TOPICS))
    return "\n".join(lines)


def run_train(args: argparse.Namespace) -> int:
    from ..model.analysers import Analysers
    from ..model.embedding import EMBEDDING, StaticEmbedding
    from ..model.lexicon import load_lexicon
    from ..model.train import train
    from ..model.weights import MODEL_DIR
    from .rulings import agency_examples, keep_unless_worse, references

    if not 2 <= args.folds <= 20:
        print("canipost: --folds is between 2 and 20", file=sys.stderr)
        return 2
    from ..evaluation import load_cases
    from ..kb.examples import near_duplicates

    try:
        kb = load_knowledge(knowledge_dir(args))
        examples = kb.examples()
        analysers = Analysers(load_lexicon(kb.root))
        calibration = [case for path in args.calibrate for case in load_cases(path)]
        rulings, rulings_dir = agency_examples(args, kb)
    except KnowledgeErrors as exc:
        return _report(exc)
    extra = rulings if args.with_rulings else []
    if args.with_rulings:
        print(f"... the agency's rulings in {rulings_dir}: {references(extra)}", file=sys.stderr)
    if calibration and near_duplicates([e.text for e in [*examples, *extra]], [c.text for c in calibration]):
        print("canipost: some calibration cases nearly repeat corpus examples: they would not be held out "
              "(see canipost kb examples --against)", file=sys.stderr)
        return 1
    labelled = [*examples, *extra]
    situations = {e.situation for e in labelled}
    if len(situations) < args.folds or len({e.verdict for e in labelled}) < 2:
        print(f"canipost: {kb.root} has {len(labelled)} labelled example(s) in {len(situations)} "
              f"situation(s): training needs at least {args.folds} situations (one a fold) and two verdicts "
              f"(see knowledge/examples/README.md)", file=sys.stderr)
        return 1
    model_dir = kb.root / MODEL_DIR
    if (model_dir / EMBEDDING).exists():
        embedding = StaticEmbedding.load(model_dir)
    else:  # the first training of a knowledge base copies the table in
        embedding = StaticEmbedding.from_wordllama()
        embedding.save(model_dir)
    try:
        weights = train(examples, analysers, embedding, lambda pid: kb.profile(pid).jurisdiction, args.folds,
                        calibration, progress=lambda step: print(f"... {step}", file=sys.stderr), extra=extra)
    except ValueError as exc:  # a corpus scikit-learn cannot fit (a fold left with one verdict)
        print(f"canipost: cannot train on {kb.root}: {exc}", file=sys.stderr)
        return 1
    weights.manifest["thresholds"]["calibration_files"] = [Path(p).name for p in args.calibrate]
    return keep_unless_worse(args, kb, weights, analysers, embedding, rulings, extra, len(examples))


def describe_training(manifest: dict) -> str:
    cv = manifest["cross_validation"]
    thresholds = manifest["thresholds"]
    trusted = ", ".join(f"{v} from {t:.2f}" if t <= 1 else f"{v} never" for v, t in thresholds["verdicts"].items())
    rulings = manifest.get("rulings", {}).get("examples", 0)
    return "\n".join([
        f"trained on {manifest['examples']} examples" + (f" and {rulings} of the agency's rulings" if rulings else "")
        + f" ({manifest['situations']} situations), "
        f"{manifest['features']['columns']} features",
        f"{cv['folds']}-fold cross-validation grouped by situation: accuracy {cv['accuracy']:.2f}, "
        f"breaches missed {cv['breaches_missed']:.0%}, benign over-flagged {cv['benign_over_flagged']:.0%}, "
        f"topic recall@3 {cv['topic_recall_at_3']:.2f}",
        f"the model's reading is trusted ({thresholds['chosen_on']}): {trusted}",
        f"written to the knowledge base's model/ directory (weights digest {manifest['arrays_digest'][:16]})",
    ])
