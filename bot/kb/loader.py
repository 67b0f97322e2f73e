"""Load a knowledge-base directory, check it whole, and resolve its profiles.

Layout of a knowledge base (the bundled one is ``knowledge/`` in the repository)::

    profiles.yaml          which files each organisation uses, its contacts, exceptions, periods
    detectors.yaml         what the engine looks for in a draft (markings, emails, party names...)
    vocabulary.yaml        stop words and synonyms the matcher folds together
    sources/*.txt          the source documents, word for word; quotes are checked against them
    <xx>/<document>.yaml   one file per source document: its provisions
    examples/<profile>/*.yaml   the labelled corpus (read on demand, see :mod:`.examples`)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from ..errors import InputError, KnowledgeError, KnowledgeErrors
from .detectors import DetectorSpec, Vocabulary, parse_detectors, parse_vocabulary
from .examples import Example, duplicate_errors, load_examples
from .schema import (Override, Profile, Provision, RawProfile, Source, closest, parse_profiles, parse_readings,
                     parse_source_file)
from .yamlfile import display_path, load_file, load_files, read_text

TOP_LEVEL_FILES = {"profiles.yaml", "detectors.yaml", "vocabulary.yaml", "readings.yaml"}
EXAMPLES_DIR = "examples"
DATA_DIRS = {EXAMPLES_DIR, "lexicons", "model"}  # beside the source files, read by their own loaders


def bundled_knowledge_dir() -> Path:
    """The knowledge base shipped with canipost (inside the package once installed)."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "knowledge"
    return installed if installed.is_dir() else here.parent / "knowledge"


def fold_text(text: str) -> str:
    """Text as quotes are compared: typographic quotes plain, spaces folded, and hyphens between
    letters dropped, so a word the source broke at a line end ("profes-\nsional", "work-\nrelated")
    matches however the quote writes it."""
    text = text.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"(?<=[A-Za-z])-\s*(?=[A-Za-z])", "", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class KnowledgeBase:
    """Every source, provision and profile of one knowledge-base directory, checked."""

    root: Path
    sources: dict[str, Source]
    provisions: dict[str, Provision]
    profiles: dict[str, Profile]
    detectors: list[DetectorSpec]
    vocabulary: Vocabulary
    warnings: list[str] = field(default_factory=list)
    readings: dict[str, str] = field(default_factory=dict)  # topic -> "reads as ..."

    def profile(self, profile_id: str) -> Profile:
        """The profile called ``profile_id``; an unknown one is an :class:`InputError` listing the known."""
        try:
            return self.profiles[profile_id]
        except KeyError:
            raise InputError(f"unknown profile {profile_id!r} (known: {', '.join(sorted(self.profiles))})") from None

    def provision(self, provision_id: str) -> Provision:
        try:
            return self.provisions[provision_id]
        except KeyError:
            hint = closest(provision_id, self.provisions, cutoff=70)
            raise InputError(f"no provision {provision_id!r}" + (f" (did you mean {hint}?)" if hint else "")) from None

    @cached_property
    def _effective(self) -> dict[str, list[Provision]]:
        effective: dict[str, list[Provision]] = {}
        for profile in self.profiles.values():
            overrides = {o.provision: o for o in profile.overrides}
            chosen = []
            for provision in self.provisions.values():
                if provision.source.file not in profile.sources:
                    continue
                override = overrides.get(provision.id)
                if override and override.disable:
                    continue
                chosen.append(provision.with_override(override) if override else provision)
            effective[profile.id] = chosen
        return effective

    def provisions_for(self, profile_id: str) -> list[Provision]:
        """The provisions that apply in a profile, its overrides applied and switched-off ones left out."""
        self.profile(profile_id)
        return self._effective[profile_id]

    def overrides_of(self, provision_id: str) -> list[Override]:
        """Every profile's exception to ``provision_id``."""
        return [o for p in self.profiles.values() for o in p.overrides if o.provision == provision_id]

    def profiles_using(self, provision: Provision) -> list[str]:
        return [p.id for p in self.profiles.values() if provision.source.file in p.sources]

    def examples(self) -> list[Example]:
        """The labelled corpus under ``examples/``, checked (not read when answering: training and
        validation need it, answers do not). Raises :class:`KnowledgeErrors` listing every problem,
        near-duplicates included."""
        examples, errors = load_examples(self.root / EXAMPLES_DIR, self.profiles,
                                         lambda pid: [p.id for p in self.provisions_for(pid)])
        errors += duplicate_errors(examples)
        if errors:
            raise KnowledgeErrors(errors)
        return examples


def load_knowledge(root: Path | str | None = None) -> KnowledgeBase:
    """Load and check the knowledge base at ``root`` (default: the bundled one).

    Raises :class:`KnowledgeErrors` listing every problem, each with file, line and field.
    """
    root = Path(root) if root else bundled_knowledge_dir()
    errors: list[KnowledgeError] = []
    if not root.is_dir():
        raise KnowledgeErrors([KnowledgeError("knowledge base directory not found", display_path(root))])

    sources, provisions = _load_sources(root, errors)
    # Files that exist but failed to load were reported already; profiles naming them stay quiet.
    broken = {p.relative_to(root).as_posix() for p in _source_files(root)} - set(sources)
    raw_profiles: list[RawProfile] = []
    profiles_file = root / "profiles.yaml"
    try:
        raw_profiles, profile_errors = parse_profiles(load_file(profiles_file), display_path(profiles_file))
        errors.extend(profile_errors)
    except KnowledgeError as exc:
        errors.append(exc)
    profiles = _resolve_profiles(raw_profiles, sources, provisions, broken, display_path(profiles_file), errors)

    detectors: list[DetectorSpec] = []
    vocabulary = Vocabulary()
    for name, parse in (("detectors.yaml", parse_detectors), ("vocabulary.yaml", parse_vocabulary)):
        path = root / name
        if not path.exists():
            continue
        try:
            parsed, parse_errors = parse(load_file(path), display_path(path))
            errors.extend(parse_errors)
        except KnowledgeError as exc:
            errors.append(exc)
            continue
        if name == "detectors.yaml":
            detectors = parsed
        else:
            vocabulary = parsed
    readings: dict[str, str] = {}
    readings_file = root / "readings.yaml"
    if readings_file.exists():
        try:
            readings, reading_errors = parse_readings(load_file(readings_file), display_path(readings_file))
            errors.extend(reading_errors)
        except KnowledgeError as exc:
            errors.append(exc)
    kinds = {d.kind for d in detectors}
    for provision in provisions.values():
        for kind in provision.findings:
            if kind not in kinds:
                errors.append(KnowledgeError(f"unknown detector kind {kind!r} in findings (known: {', '.join(sorted(kinds))})",
                                             provision.file, provision.line, f"{provision.id}.findings"))
    if errors:
        raise KnowledgeErrors(errors)

    used = {f for p in profiles.values() for f in p.sources}
    warnings = [f"{display_path(root / f)}: not used by any profile" for f in sources if f not in used]
    return KnowledgeBase(root, sources, provisions, profiles, detectors, vocabulary, warnings, readings)


def _load_sources(root: Path, errors: list[KnowledgeError]) -> tuple[dict[str, Source], dict[str, Provision]]:
    sources: dict[str, Source] = {}
    provisions: dict[str, Provision] = {}
    seeds: dict[str, str] = {}
    for path, name, data in load_files(_source_files(root), errors):
        rel = path.relative_to(root).as_posix()
        source, file_provisions, file_errors = parse_source_file(data, name)
        errors.extend(file_errors)
        if source is None:
            continue
        source = _with_file(source, rel)
        sources[rel] = source
        seed_text = _seed_text(root, source, name, seeds, errors)
        for provision in file_provisions:
            provision = _rebind(provision, source)
            first = provisions.get(provision.id)
            if first is not None:
                errors.append(KnowledgeError(
                    f"duplicate id {provision.id!r} (first defined at {first.file}:{first.line})",
                    name, provision.line, "id"))
                continue
            if seed_text is not None and fold_text(provision.quote) not in seed_text:
                errors.append(KnowledgeError(
                    f"quote not found word for word in sources/{source.seed}", name, provision.line,
                    f"{provision.id}.quote"))
            provisions[provision.id] = provision
    return sources, provisions


def _source_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*.yaml") if p.parent.name not in DATA_DIRS)


def _seed_text(root: Path, source: Source, name: str, cache: dict[str, str], errors: list[KnowledgeError]) -> str | None:
    if not source.seed:
        return None
    if source.seed not in cache:
        cache[source.seed] = None  # type: ignore[assignment]
        sources = (root / "sources").resolve()
        path = (sources / source.seed).resolve()
        # Confined to sources/: otherwise whether a base loads would tell whether a guessed quote
        # is in any file the process can read (its environment, say, through /proc).
        if not path.is_relative_to(sources) or path == sources:
            errors.append(KnowledgeError(f"{source.seed!r} is not a file in sources/ (seed names a file there)",
                                         name, None, "source.seed"))
        elif not path.exists():
            errors.append(KnowledgeError(f"source text sources/{source.seed} not found", name, None, "source.seed"))
        else:
            try:
                cache[source.seed] = fold_text(read_text(path, f"sources/{source.seed}"))
            except KnowledgeError as exc:
                errors.append(exc)
    return cache[source.seed]


def _with_file(source: Source, rel: str) -> Source:
    return replace(source, file=rel)


def _rebind(provision: Provision, source: Source) -> Provision:
    return replace(provision, source=source)


def _resolve_profiles(raw: list[RawProfile], sources: dict[str, Source], provisions: dict[str, Provision],
                      broken: set[str], file: str, errors: list[KnowledgeError]) -> dict[str, Profile]:
    by_id = {p.id: p for p in raw}
    resolved: dict[str, Profile] = {}

    def resolve(rp: RawProfile, chain: tuple[str, ...]) -> Profile | None:
        if rp.id in resolved:
            return resolved[rp.id]
        parent: Profile | None = None
        if rp.extends:
            if rp.extends in chain or rp.extends == rp.id:
                errors.append(KnowledgeError(f"profiles extend each other in a loop: {' -> '.join(chain + (rp.extends,))}",
                                             file, rp.extends_line, f"profiles.{rp.id}.extends"))
                return None
            if rp.extends not in by_id:
                errors.append(KnowledgeError(f"extends unknown profile {rp.extends!r} (known: {', '.join(sorted(by_id))})",
                                             file, rp.extends_line, f"profiles.{rp.id}.extends"))
                return None
            parent = resolve(by_id[rp.extends], chain + (rp.id,))
            if parent is None:
                return None
        own_sources = []
        for rel, line in rp.sources:
            if rel in broken:
                continue
            if rel not in sources:
                errors.append(KnowledgeError(f"names a knowledge-base file that does not exist: {rel}",
                                             file, line, f"profiles.{rp.id}.sources"))
            else:
                own_sources.append(rel)
        all_sources = tuple(dict.fromkeys((parent.sources if parent else ()) + tuple(own_sources)))
        overrides = {o.provision: o for o in (parent.overrides if parent else ())}
        for override in rp.overrides:
            target = provisions.get(override.provision)
            if target is None or target.source.file not in all_sources:
                errors.append(KnowledgeError(f"override names a provision not in this profile: {override.provision!r}",
                                             file, override.line, f"profiles.{rp.id}.overrides"))
                continue
            if override.effect and override.effect not in ("ok", "caution", "needs-approval") and target.kind == "guidance":
                errors.append(KnowledgeError("guidance never forbids on its own: an override cannot make it do-not-post",
                                             file, override.line, f"profiles.{rp.id}.overrides"))
                continue
            overrides[override.provision] = override
        contact = rp.contact or (parent.contact if parent else None)
        if contact is None:
            return None
        profile = Profile(
            id=rp.id, name=rp.name, jurisdiction=rp.jurisdiction or (parent.jurisdiction if parent else ""),
            sources=all_sources, contact=contact,
            authorisation_contact=rp.authorisation_contact or (parent.authorisation_contact if parent else None),
            extends=rp.extends, overrides=tuple(overrides.values()),
            periods=tuple(parent.periods if parent else ()) + tuple(rp.periods), line=rp.line,
        )
        resolved[rp.id] = profile
        return profile

    for rp in raw:
        resolve(rp, ())
    return resolved
