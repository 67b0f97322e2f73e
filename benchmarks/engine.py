"""How fast the engine loads and answers, on the shipped knowledge base and a synthetic one
of 10,000 provisions.

    python3 benchmarks/engine.py [--answers N] [--synthetic N] [--shapes-only]

``--synthetic 0`` leaves the synthetic knowledge base out.

Prints load time, median and 99th-percentile time per answer, answers per second and peak
memory (the process's maximum resident size, after loading and after answering), and the trained
judgement's share of each (its load time, its memory, and the same answers by the rules alone). Targets on a 2-core
machine: shipped base, load under 1 s, median under 5 ms, p99 under 20 ms; 10,000
provisions, p99 under 100 ms. Each run is separate (a fresh process per base) so memory
figures do not mix.

Then the CPU time of one answer to a 40,000-character text (Slack's limit) of every awkward
shape in ``tests/engine/shapes.py``, and of a tenth of it: the worst shape first. Target:
well under a second each, and about ten times the tenth (linear growth).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUERY_FILES = [REPO / "tests" / "eval" / "dev.yaml", REPO / "tests" / "eval" / "cases.yaml"]


def queries() -> list[tuple[str, str, str, str]]:
    import yaml

    out = []
    for path in QUERY_FILES:
        if path.exists():
            for case in yaml.safe_load(path.read_text()):
                out.append((case["text"], case.get("mode", "check"), case.get("profile") or "au-aps", case.get("as", "personal")))
    return out


def synthetic_knowledge(root: Path, count: int, seed: int = 7) -> None:
    """A valid knowledge base of ``count`` provisions written like a real, larger one.

    Its words are the shipped base's own (so real questions match it) among made-up ones, to a
    vocabulary of about 20,000, drawn with the Zipf-like frequencies every natural corpus has:
    a few words everywhere, most words rare.
    """
    import yaml

    from canipost.contract import CAPACITIES, TOPICS
    from canipost.kb import load_knowledge

    shipped = load_knowledge()
    rng = random.Random(seed)
    real = sorted({w for p in shipped.provisions.values() for t in p.triggers if not t.is_pattern
                   for w in t.text.lower().split() if w.isalpha() and len(w) > 3})
    made_up = {"".join(rng.choice("bcdfghjklmnprstvwz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))
               for _ in range(25_000)}
    vocabulary = real + sorted(made_up - set(real))[: max(0, 20_000 - len(real))]
    rng.shuffle(vocabulary)
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    cumulative = list(__import__("itertools").accumulate(weights))
    words = vocabulary
    shutil_copy = __import__("shutil").copy
    for name in ("detectors.yaml", "vocabulary.yaml"):
        shutil_copy(shipped.root / name, root / name)
    per_file = 500
    files = []
    for f in range(0, count, per_file):
        provisions = []
        for i in range(f, min(f + per_file, count)):
            phrase = lambda n: " ".join(rng.choices(words, cum_weights=cumulative, k=n))  # noqa: E731
            provisions.append({
                "id": f"syn.doc{f // per_file}.p{i}",
                "title": phrase(5).capitalize(),
                "citation": f"Section {i}",
                "quote": phrase(30),
                "summary": phrase(20),
                "topics": rng.sample(sorted(TOPICS), 2),
                "capacities": list(CAPACITIES),
                "effect": rng.choice(["ok", "caution", "needs-approval", "do-not-post"]),
                "triggers": [phrase(rng.randint(3, 8)) for _ in range(8)],
            })
        name = f"au/synthetic-{f // per_file}.yaml"
        files.append(name)
        (root / "au").mkdir(exist_ok=True)
        (root / name).write_text(yaml.safe_dump({
            "source": {"issuer": "Synthetic", "document": f"Synthetic {f // per_file}", "year": 2020, "jurisdiction": "AU"},
            "provisions": provisions}, sort_keys=False))
    (root / "profiles.yaml").write_text(yaml.safe_dump({"profiles": {"au-aps": {
        "name": "Synthetic", "jurisdiction": "AU", "sources": files,
        "contact": {"name": "Ethics", "how": "Ask."}}}}, sort_keys=False))


def _timed_answers(engine, qs, answers: int) -> tuple[list[float], float]:
    for text, mode, profile, capacity in qs[:20]:  # warm caches the way a running server would be
        engine.answer(text, mode=mode, profile=profile, capacity=capacity)
    times = []
    started = time.perf_counter()
    for n in range(answers):
        text, mode, profile, capacity = qs[n % len(qs)]
        t0 = time.perf_counter()
        engine.answer(text, mode=mode, profile=profile, capacity=capacity)
        times.append(time.perf_counter() - t0)
    return sorted(times), time.perf_counter() - started


def measure(knowledge: str | None, answers: int) -> dict:
    """Run in this process: load once, answer ``answers`` queries, report figures, with the
    trained judgement's share of each (the same answers again by the rules alone)."""
    from canipost.engine import Engine
    from canipost.kb import load_knowledge
    from canipost.model.judge import Judge

    rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # noqa: E731
    started = time.perf_counter()
    kb = load_knowledge(knowledge)
    rules_loaded = time.perf_counter()
    rules_rss = rss()
    judge = Judge.load(kb.root, kb.vocabulary.stopwords)
    model_s = time.perf_counter() - rules_loaded
    engine = Engine(kb, judge=judge)
    load_s = time.perf_counter() - started
    loaded_rss = rss()
    qs = queries()
    profiles = set(engine.kb.profiles)
    qs = [(t, m, p if p in profiles else engine.default_profile, c) for t, m, p, c in qs]
    times, total = _timed_answers(engine, qs, answers)
    figures = {
        "provisions": len(engine.kb.provisions),
        "load_s": load_s,
        "median_ms": statistics.median(times) * 1000,
        "p99_ms": times[int(len(times) * 0.99) - 1] * 1000,
        "answers_per_s": answers / total,
        "loaded_rss_mb": loaded_rss,
        "max_rss_mb": rss(),
        "model": judge is not None,
    }
    if judge is not None:
        rules_times, _ = _timed_answers(Engine(kb, engine.default_profile), qs, answers)
        figures.update({
            "model_load_s": model_s,
            "model_rss_mb": loaded_rss - rules_rss,
            "rules_median_ms": statistics.median(rules_times) * 1000,
            "rules_p99_ms": rules_times[int(len(rules_times) * 0.99) - 1] * 1000,
        })
    return figures


def shapes(chars: int = 40_000) -> list[tuple[float, float, str, str]]:
    """(CPU seconds at ``chars``, at a tenth of it, shape, mode) for every shape, worst first."""
    sys.path.insert(0, str(REPO))
    from canipost.engine import Engine
    from tests.engine.shapes import SHAPES

    engine = Engine.load()

    def cpu(text: str, mode: str) -> float:
        started = time.process_time()
        engine.answer(text, mode=mode)
        return time.process_time() - started

    rows = []
    for name, make in SHAPES.items():
        for mode in ("check", "ask"):
            small = min(cpu(make(chars // 10), mode) for _ in range(3))
            rows.append((cpu(make(chars), mode), small, name, mode))
    return sorted(rows, reverse=True)


def report_shapes(rows: list[tuple[float, float, str, str]], chars: int = 40_000) -> None:
    worst = rows[0]
    print(f"worst shape at {chars:,} characters: {worst[2]} ({worst[3]}), {worst[0]:.2f} s of CPU "
          f"({worst[0] / max(worst[1], 1e-9):.1f} times a tenth of it)")
    for big, small, name, mode in rows:
        print(f"  {name:28s} {mode:5s} {big * 1000:7.0f} ms  x{big / max(small, 1e-9):4.1f} of {chars // 10:,} chars")


def run_child(knowledge: str | None, answers: int) -> dict:
    args = [sys.executable, __file__, "--child", "--answers", str(answers)]
    if knowledge:
        args += ["--knowledge", knowledge]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def report(name: str, figures: dict) -> None:
    print(f"{name}: {figures['provisions']} provisions  load {figures['load_s']:.2f} s  "
          f"median {figures['median_ms']:.2f} ms  p99 {figures['p99_ms']:.2f} ms  "
          f"{figures['answers_per_s']:.0f} answers/s  peak memory {figures['max_rss_mb']:.0f} MB resident "
          f"({figures['loaded_rss_mb']:.0f} MB once loaded)")
    if figures.get("model"):
        share = 1 - figures["rules_median_ms"] / figures["median_ms"]
        print(f"  of which the trained judgement: load {figures['model_load_s']:.2f} s, "
              f"{figures['model_rss_mb']:.0f} MB resident, {share:.0%} of the median answer "
              f"(the rules alone: median {figures['rules_median_ms']:.2f} ms, p99 {figures['rules_p99_ms']:.2f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--synthetic", type=int, default=10_000)
    parser.add_argument("--shapes-only", action="store_true", help="only the 40,000-character shapes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--knowledge", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.answers < 1 or args.synthetic < 0:
        parser.error("--answers is at least 1 and --synthetic at least 0 (0 leaves the synthetic base out)")
    if args.child:
        print(json.dumps(measure(args.knowledge, args.answers)))
        return
    if args.shapes_only:
        report_shapes(shapes())
        return
    report("shipped knowledge base", run_child(None, args.answers))
    if args.synthetic:
        with tempfile.TemporaryDirectory() as tmp:
            synthetic_knowledge(Path(tmp), args.synthetic)
            report("synthetic knowledge base", run_child(tmp, max(args.answers // 4, 200)))
    report_shapes(shapes())


if __name__ == "__main__":
    main()
