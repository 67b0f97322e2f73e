"""`canipost kb validate` passes on good data and fails clearly, with file and line, on each kind of broken file."""

import pytest

from canipost.errors import KnowledgeErrors
from canipost.kb import load_knowledge


def errors_of(mini_kb) -> list[str]:
    with pytest.raises(KnowledgeErrors) as caught:
        load_knowledge(mini_kb.root)
    return [str(e) for e in caught.value.errors]


def test_the_small_knowledge_base_is_valid(mini_kb):
    kb = load_knowledge(mini_kb.root)
    assert set(kb.provisions) == {"ex.policy.protected", "ex.policy.disclaimer"}
    assert kb.profile("ex-child").contact.name == "Example Ethics Team"  # inherited
    assert [p.id for p in kb.provisions_for("ex-child")] == [p.id for p in kb.provisions_for("ex-base")]


def test_yaml_syntax_error_names_file_and_line(mini_kb):
    mini_kb.edit("au/example.yaml", "    title: No protected material", "    title: [No protected material")
    (error,) = errors_of(mini_kb)
    assert "example.yaml:" in error and "YAML syntax error" in error
    line = int(error.split("example.yaml:")[1].split(":")[0])
    assert abs(line - mini_kb.line_of("au/example.yaml", "[No protected")) <= 2


def test_duplicate_id_names_both_places(mini_kb):
    mini_kb.edit("au/example.yaml", "id: ex.policy.disclaimer", "id: ex.policy.protected")
    (error,) = errors_of(mini_kb)
    lines = [n for n, text in enumerate((mini_kb.root / "au/example.yaml").read_text().splitlines(), 1)
             if "- id: ex.policy.protected" in text]
    assert error.startswith(f"{mini_kb.root / 'au/example.yaml'}:{lines[1]}:") or f"example.yaml:{lines[1]}:" in error
    assert "duplicate id 'ex.policy.protected'" in error
    assert f"first defined at" in error and f"example.yaml:{lines[0]}" in error


def test_unknown_topic_points_at_its_line_and_suggests(mini_kb):
    mini_kb.edit("au/example.yaml", "topics: [identification]", "topics: [identificaton]")
    (error,) = errors_of(mini_kb)
    line = mini_kb.line_of("au/example.yaml", "identificaton")
    assert f"example.yaml:{line}:" in error
    assert "topics[0]" in error and "unknown topic 'identificaton'" in error and "did you mean 'identification'" in error


def test_unknown_capacity(mini_kb):
    mini_kb.edit("au/example.yaml", "capacities: [personal]", "capacities: [private]")
    errors = errors_of(mini_kb)
    assert any("unknown capacity 'private'" in e and f":{mini_kb.line_of('au/example.yaml', '[private]')}:" in e
               for e in errors)


def test_missing_quote(mini_kb):
    mini_kb.edit("au/example.yaml", "    quote: Staff should say their views are their own.\n", "")
    (error,) = errors_of(mini_kb)
    assert "missing required field 'quote'" in error and "ex.policy.disclaimer" in error
    assert f"example.yaml:{mini_kb.line_of('au/example.yaml', '- id: ex.policy.disclaimer')}:" in error


def test_quote_not_in_source_text(mini_kb):
    mini_kb.edit("au/example.yaml", "quote: Staff must not post protected material.", "quote: Staff must never post anything.")
    (error,) = errors_of(mini_kb)
    assert "quote not found word for word in sources/example.txt" in error


def test_profile_naming_a_missing_file(mini_kb):
    mini_kb.edit("profiles.yaml", "sources: [au/example.yaml]", "sources: [au/example.yaml, au/nowhere.yaml]")
    (error,) = errors_of(mini_kb)
    assert "profiles.yaml:" in error and "au/nowhere.yaml" in error and "profiles.ex-base.sources" in error


def test_unknown_field_is_reported_with_a_suggestion(mini_kb):
    mini_kb.edit("au/example.yaml", "    summary: You may not post protected material.", "    sumary: You may not post protected material.")
    errors = errors_of(mini_kb)
    assert any("unknown field 'sumary'" in e and "did you mean 'summary'" in e for e in errors)
    assert any("missing required field 'summary'" in e for e in errors)


def test_duplicate_yaml_key(mini_kb):
    mini_kb.edit("au/example.yaml", "    citation: Section 2\n", "    citation: Section 2\n    citation: Section 3\n")
    (error,) = errors_of(mini_kb)
    assert "duplicate key 'citation'" in error
    assert f":{mini_kb.line_of('au/example.yaml', 'Section 3')}:" in error


def test_bad_verdict_and_bad_pattern(mini_kb):
    mini_kb.edit("au/example.yaml", "effect: caution", "effect: maybe")
    mini_kb.edit("au/example.yaml", "pattern: '\\bprotected material\\b'", "pattern: '(unclosed'")
    errors = errors_of(mini_kb)
    assert any("unknown verdict 'maybe'" in e for e in errors)
    assert any("invalid pattern" in e and "triggers[1]" in e for e in errors)


def test_guidance_cannot_forbid(mini_kb):
    mini_kb.edit("au/example.yaml", "    effect: do-not-post", "    kind: guidance\n    effect: do-not-post")
    (error,) = errors_of(mini_kb)
    assert "guidance never forbids on its own" in error


def test_profile_extending_an_unknown_profile(mini_kb):
    mini_kb.edit("profiles.yaml", "extends: ex-base", "extends: ex-nowhere")
    (error,) = errors_of(mini_kb)
    assert "extends unknown profile 'ex-nowhere'" in error
    assert f"profiles.yaml:{mini_kb.line_of('profiles.yaml', 'ex-nowhere')}:" in error


def test_override_of_a_provision_outside_the_profile(mini_kb):
    mini_kb.edit("profiles.yaml", "    sources: []\n", "    sources: []\n    overrides:\n      - provision: ex.nothing\n"
                                                    "        disable: true\n        reason: not used here\n")
    (error,) = errors_of(mini_kb)
    assert "override names a provision not in this profile: 'ex.nothing'" in error


def test_override_needs_a_reason_and_one_change(mini_kb):
    mini_kb.edit("profiles.yaml", "    sources: []\n", "    sources: []\n    overrides:\n      - provision: ex.policy.protected\n"
                                                    "        disable: true\n        effect: caution\n")
    errors = errors_of(mini_kb)
    assert any("missing required field 'reason'" in e for e in errors)
    assert any("either sets disable: true or gives a new effect" in e for e in errors)


def test_period_that_ends_before_it_starts(mini_kb):
    mini_kb.edit("profiles.yaml", "    sources: []\n", "    sources: []\n    periods:\n      - name: Election\n"
                                                    "        start: 2030-05-01\n        end: 2030-04-01\n"
                                                    "        topics: [political-neutrality]\n")
    (error,) = errors_of(mini_kb)
    assert "the period ends before it starts" in error


def test_file_that_is_not_a_mapping(mini_kb):
    mini_kb.write("au/example.yaml", "- just\n- a list\n")
    errors = errors_of(mini_kb)
    assert any("example.yaml:1:" in e and "expected a mapping" in e for e in errors)


def test_validate_command_passes_and_summarises(cli, mini_kb):
    result = cli("kb", "validate", "--knowledge", str(mini_kb.root))
    assert result.returncode == 0, result.stderr
    assert "valid: 2 provisions from 1 sources, 2 profiles" in result.stdout
    assert "by topic:" in result.stdout and "official-information" in result.stdout


def test_validate_command_fails_with_every_problem_located(cli, mini_kb):
    mini_kb.edit("au/example.yaml", "topics: [identification]", "topics: [identificaton]")
    mini_kb.edit("profiles.yaml", "sources: [au/example.yaml]", "sources: [au/example.yaml, au/nowhere.yaml]")
    result = cli("kb", "validate", "--knowledge", str(mini_kb.root))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"example.yaml:{mini_kb.line_of('au/example.yaml', 'identificaton')}:" in result.stderr
    assert "au/nowhere.yaml" in result.stderr
    assert "invalid: 2 problem(s)" in result.stderr


def test_malformed_knowledge_base_is_one_clear_error_for_answers_too(cli, mini_kb):
    mini_kb.write("profiles.yaml", "profiles: [oops\n")
    result = cli("ask", "--knowledge", str(mini_kb.root), "can I post this?")
    assert result.returncode == 2
    assert "profiles.yaml:" in result.stderr and "YAML syntax error" in result.stderr
    assert "Traceback" not in result.stderr


def test_quotes_are_compared_with_line_breaks_and_hyphenation_folded():
    from canipost.kb import fold_text

    assert fold_text("professional") == fold_text("profes-\n sional")
    assert fold_text("work-related  video") == fold_text("work-\nrelated\nvideo")
    assert fold_text("the employee\u2019s view") == fold_text("the employee's view")
    assert fold_text("not the same") != fold_text("not quite the same")


def test_findings_must_name_a_known_detector(mini_kb):
    mini_kb.write("detectors.yaml", """\
        detectors:
          - kind: marking
            label: a marking
            topics: [official-information]
            effect: do-not-post
            advice: Remove it.
            patterns: ['SECRET']
        """)
    mini_kb.edit("au/example.yaml", "    effect: caution\n", "    effect: caution\n    findings: [markings]\n")
    (error,) = errors_of(mini_kb)
    assert "unknown detector kind 'markings' in findings (known: marking)" in error


def test_always_names_capacities_the_provision_applies_to(mini_kb):
    mini_kb.edit("au/example.yaml", "    effect: caution\n", "    effect: caution\n    always: [official]\n")
    (error,) = errors_of(mini_kb)
    assert "capacity 'official' is not in this provision's capacities" in error
