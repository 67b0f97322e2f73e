"""The agency's examples: rulings written in the corpus's format, apart from it, read back with its checks."""

from __future__ import annotations

import pytest

from canipost.errors import InputError, KnowledgeErrors
from canipost.kb import load_knowledge
from canipost.kb.rulings import FILE, as_cases, check_ruling, load_rulings, write_rulings
from canipost.store import Ruling


def ruling(ref="CP-00012", profile="ex-base", verdict="do-not-post", provisions=("ex.policy.protected",), **extra):
    return {"ref": ref, "profile": profile, "capacity": "personal", "mode": "check", "verdict": verdict,
            "example_text": "Sneak peek at the [name removed] briefing", "topics": ["official-information"],
            "provisions": list(provisions), "ruled_at": "2024-05-01T09:30:00.000Z", **extra}


def test_rulings_become_examples_apart_from_the_corpus_and_read_back(mini_kb, tmp_path):
    kb = load_knowledge(mini_kb.root)
    directory = tmp_path / "rulings"
    written, skipped = write_rulings(directory, [ruling(), ruling("CP-00013", "ex-child", "needs-approval",
                                                                   provisions=("no.such.provision",))], kb)
    assert (written, skipped) == (2, [])
    assert sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.yaml")) == [
        f"ex-base/{FILE}", f"ex-child/{FILE}"]
    assert not (mini_kb.root / "examples").exists(), "the shipped corpus is not touched"
    first, second = load_rulings(directory, kb)
    assert (first.id, first.profile, first.capacity, first.mode, first.verdict, first.topics, first.provision) == (
        "ruling-cp-00012", "ex-base", "personal", "check", "do-not-post", ("official-information",),
        "ex.policy.protected")
    assert first.text == "Sneak peek at the [name removed] briefing" and first.source == "ruling CP-00012, 2024-05-01"
    assert second.provision is None, "a provision no longer in force is left out, not an error"
    [case] = as_cases([first])
    assert (case.verdicts, case.capacity, case.profile) == (("do-not-post",), "personal", "ex-base")


def test_the_directory_is_written_whole_so_a_withdrawn_ruling_leaves_it(mini_kb, tmp_path):
    kb = load_knowledge(mini_kb.root)
    directory = tmp_path / "rulings"
    write_rulings(directory, [ruling(), ruling("CP-00013", "ex-child")], kb)
    assert write_rulings(directory, [ruling("CP-00013", "ex-child"), ruling("CP-00014", "uk-cs")], kb) == (
        1, ["CP-00014"])
    assert [e.id for e in load_rulings(directory, kb)] == ["ruling-cp-00013"]
    assert not (directory / "ex-base" / FILE).exists()
    assert load_rulings(tmp_path / "none", kb) == []


def test_an_edited_file_is_checked_like_the_corpus_with_the_line(mini_kb, tmp_path):
    kb = load_knowledge(mini_kb.root)
    directory = tmp_path / "rulings"
    write_rulings(directory, [ruling()], kb)
    path = directory / "ex-base" / FILE
    path.write_text(path.read_text().replace("verdict: do-not-post", "verdict: forbidden"))
    with pytest.raises(KnowledgeErrors) as caught:
        load_rulings(directory, kb)
    [error] = caught.value.errors
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "forbidden" in text)
    assert str(path.name) in str(error) and f":{line}" in str(error) and "verdict" in str(error)


def test_a_ruling_names_only_provisions_of_its_profile(mini_kb):
    kb = load_knowledge(mini_kb.root)
    checked = check_ruling(kb, "ex-base", Ruling("do-not-post", "personal", ("official-information",),
                                                 ("ex.policy.protected",)))
    assert checked.provisions == ("ex.policy.protected",)
    with pytest.raises(InputError, match="no provision 'au.aps-code.privacy' in profile ex-base"):
        check_ruling(kb, "ex-base", Ruling("caution", "personal", ("privacy",), ("au.aps-code.privacy",)))
