"""Configuration is read once from the environment and a .env file, and every setting is documented
where an operator looks: deploy/.env.example and the configuration table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from canipost.config import VARIABLES, ConfigError, Settings, read_env_file

REPO = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = REPO / "deploy" / ".env.example"
# The configuration table operators read; the README carries the same table.
CONFIG_TABLE = REPO / "README.md"
NAMES = [v.name for v in VARIABLES]
ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


# -- reading .env -------------------------------------------------------------------------

def test_env_file_values_are_read(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\n\n"
        "SLACK_BOT_TOKEN=xoxb-from-file-123456\n"
        "export CANIPOST_PROFILE=uk-cs\n"
        "CANIPOST_ADVISORS=\"U0123ABC,U0456DEF\"\n"
        "CANIPOST_ADVISORS_CHANNEL='C0789GHI'\n"
        "PORT = 8080\n"
        "not a setting line\n")
    settings = Settings.from_env({}, env_file=env_file)
    assert settings.slack_bot_token == "xoxb-from-file-123456"
    assert settings.profile == "uk-cs"
    assert settings.advisors == ("U0123ABC", "U0456DEF")
    assert settings.advisors_channel == "C0789GHI"
    assert settings.port == 8080


def test_environment_wins_over_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("CANIPOST_PROFILE=uk-cs\nPORT=8080\nCANIPOST_LOG_LEVEL=DEBUG\n")
    settings = Settings.from_env({"CANIPOST_PROFILE": "nz-ps", "PORT": "9090"}, env_file=env_file)
    assert (settings.profile, settings.port, settings.log_level) == ("nz-ps", 9090, "DEBUG")


def test_missing_env_file_means_defaults(tmp_path):
    settings = Settings.from_env({"HOME": str(tmp_path)}, env_file=tmp_path / "absent.env")
    defaults = {v.name: v.default for v in VARIABLES}
    assert settings.profile == defaults["CANIPOST_PROFILE"]
    assert settings.port == int(defaults["PORT"])
    assert settings.retention_days == int(defaults["CANIPOST_RETENTION_DAYS"])
    assert settings.db_path == tmp_path / ".local" / "share" / "canipost" / "canipost.db"


def test_data_dir_and_database_path(tmp_path):
    settings = Settings.from_env({"CANIPOST_DATA_DIR": str(tmp_path / "data")}, env_file=tmp_path / "none")
    assert settings.db_path == tmp_path / "data" / "canipost.db"
    settings = Settings.from_env({"CANIPOST_DATA_DIR": "/data", "CANIPOST_DB": str(tmp_path / "x.db")},
                                 env_file=tmp_path / "none")
    assert settings.db_path == tmp_path / "x.db"


@pytest.mark.parametrize("name, value", [("PORT", "eighty"), ("PORT", "70000"), ("CANIPOST_RETENTION_DAYS", "0"),
                                         ("CANIPOST_LOG_LEVEL", "LOUD"), ("SLACK_API_URL", "slack.com/api")])
def test_malformed_values_are_config_errors_naming_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value}, env_file=tmp_path / "none")
    assert str(caught.value).startswith(name)


def test_secrets_are_listed_for_redaction(tmp_path):
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "abc", "SLACK_APP_TOKEN": ""},
                                 env_file=tmp_path / "none")
    assert set(settings.secrets()) == {"xoxb-1", "abc"}
    assert {v.name for v in VARIABLES if v.secret} == {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"}


# -- deploy/.env.example ----------------------------------------------------------------------

def env_example_entries() -> dict[str, tuple[str, str, bool]]:
    """name -> (value, the comment paragraph above it, commented out?)."""
    entries: dict[str, tuple[str, str, bool]] = {}
    comments: list[str] = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            assert match.group(2) not in entries, f"{match.group(2)} twice in .env.example"
            entries[match.group(2)] = (match.group(3), " ".join(comments), bool(match.group(1)))
            comments = []
        elif line.startswith("#"):
            comments.append(line.lstrip("#").strip())
        elif not line.strip():
            comments = []
    return entries


def test_env_example_lists_every_variable_and_nothing_else():
    entries = env_example_entries()
    assert sorted(entries) == sorted(NAMES)
    assert list(entries) == NAMES, "keep .env.example in the order of config.VARIABLES"


@pytest.mark.parametrize("variable", VARIABLES, ids=lambda v: v.name)
def test_env_example_documents_each_variable(variable):
    value, comment, commented_out = env_example_entries()[variable.name]
    assert comment.startswith(variable.help), f"the comment above {variable.name} must start with its help text"
    if variable.secret:
        assert value == "", f"{variable.name} is a secret: leave it empty in the example"
        assert not commented_out
    else:
        assert value == variable.default


def test_env_example_is_a_valid_configuration(tmp_path):
    # Empty secrets and advisors are for doctor to report; the file itself must parse and load.
    values = read_env_file(ENV_EXAMPLE)
    assert "CANIPOST_DATA_DIR" not in values, "an empty CANIPOST_DATA_DIR would override the image's /data"
    settings = Settings.from_env({"HOME": str(tmp_path)}, env_file=ENV_EXAMPLE)
    assert settings.profile == "au-aps" and settings.port == 3000 and not settings.log_text


# -- the configuration table ------------------------------------------------------------------

def config_table(path: Path) -> dict[str, tuple[str, str]]:
    """Rows of the Markdown table whose header starts with | Variable | Default | Meaning |."""
    rows: dict[str, tuple[str, str]] = {}
    in_table = False
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.lstrip().startswith("|") else None
        if cells is None:
            if in_table:
                break
            continue
        if cells[:3] == ["Variable", "Default", "Meaning"]:
            in_table = True
            continue
        if not in_table or set("".join(cells)) <= set("-: "):
            continue
        name = cells[0].strip("`")
        default = cells[1].strip("`")
        rows[name] = ("" if default in ("", "—", "-", "(empty)", "*(empty)*") else default, cells[2])
    return rows


def test_configuration_table_lists_every_variable_and_nothing_else():
    assert CONFIG_TABLE.exists(), f"{CONFIG_TABLE} is missing"
    table = config_table(CONFIG_TABLE)
    assert sorted(table) == sorted(NAMES), "the configuration table must list exactly config.VARIABLES"


@pytest.mark.parametrize("variable", VARIABLES, ids=lambda v: v.name)
def test_configuration_table_gives_default_and_meaning(variable):
    default, meaning = config_table(CONFIG_TABLE)[variable.name]
    assert default == variable.default
    assert meaning.replace("\\|", "|").startswith(variable.help), f"{variable.name}: meaning must start with its help text"
