"""Training: one command, the same arrays from the same corpus, and a model that must match it."""

import json
import shutil
from pathlib import Path

import pytest

from canipost.model.weights import MANIFEST, MODEL_DIR, load_weights
from tests.conftest import REPO

pytest.importorskip("sklearn", reason="training needs the train extra")

# A small corpus: enough situations for five folds, every verdict, written one by one.
EXAMPLES = """\
examples:
  - {id: t-01, profile: ex-base, as: personal, mode: check, verdict: ok, topics: [], text: "Sunday roast with the in-laws, the dog stole a potato"}
  - {id: t-02, profile: ex-base, as: personal, mode: check, verdict: ok, topics: [], text: "New running shoes arrived, 10k tomorrow morning"}
  - {id: t-03, profile: ex-base, as: personal, mode: check, verdict: ok, topics: [], text: "Rainy arvo, finally reading that novel everyone raved about"}
  - {id: t-04, profile: ex-base, as: personal, mode: check, verdict: ok, topics: [], text: "Our netball team made the grand final!!"}
  - {id: t-05, profile: ex-base, as: personal, mode: check, verdict: ok, topics: [], text: "Baked sourdough for the first time and it actually rose"}
  - {id: t-06, profile: ex-base, as: personal, mode: check, verdict: ok, topics: [], text: "Holiday photos from the coast, best week in years"}
  - {id: t-07, profile: ex-base, as: personal, mode: check, verdict: do-not-post, topics: [official-information], text: "Sneak peek at the protected briefing we finished today"}
  - {id: t-08, profile: ex-base, as: personal, mode: check, verdict: do-not-post, topics: [official-information], text: "Attached is the protected material from the minister's office, don't tell anyone"}
  - {id: t-09, profile: ex-base, as: official, mode: check, verdict: do-not-post, topics: [official-information], text: "Leaking the protected costings before budget night"}
  - {id: t-10, profile: ex-base, as: personal, mode: ask, verdict: do-not-post, topics: [official-information], text: "Can I tweet a photo of the protected report on my desk?"}
  - {id: t-11, profile: ex-base, as: professional, mode: check, verdict: do-not-post, topics: [official-information], text: "Posting the unreleased protected figures for my followers"}
  - {id: t-12, profile: ex-base, as: personal, mode: check, verdict: do-not-post, topics: [official-information], text: "screenshot of the confidential cabinet draft lol"}
  - {id: t-13, profile: ex-base, as: personal, mode: ask, verdict: caution, topics: [identification], text: "Do I need to say my views are my own in my bio?"}
  - {id: t-14, profile: ex-base, as: personal, mode: ask, verdict: caution, topics: [identification], text: "Should my profile mention where I work?"}
  - {id: t-15, profile: ex-base, as: personal, mode: check, verdict: caution, topics: [identification], text: "Policy officer by day, baker by night. Opinions mine alone."}
  - {id: t-16, profile: ex-base, as: professional, mode: check, verdict: caution, topics: [identification], text: "Speaking at the data conference next week, these are my own views"}
  - {id: t-17, profile: ex-base, as: personal, mode: ask, verdict: caution, topics: [identification], text: "Is a disclaimer enough if I comment on public policy?"}
  - {id: t-18, profile: ex-base, as: professional, mode: ask, verdict: caution, topics: [identification], text: "My LinkedIn headline names the agency, is that fine?"}
  - {id: t-19, profile: ex-child, as: official, mode: check, verdict: needs-approval, topics: [official-information], text: "Draft post for our agency page announcing the new office hours"}
  - {id: t-20, profile: ex-child, as: official, mode: ask, verdict: needs-approval, topics: [official-information], text: "Can I answer a journalist's question on our agency account?"}
  - {id: t-21, profile: ex-child, as: official, mode: check, verdict: needs-approval, topics: [official-information], text: "Our team will launch the grants round on Monday, stay tuned"}
  - {id: t-22, profile: ex-child, as: official, mode: ask, verdict: needs-approval, topics: [official-information], text: "Who signs off a video for the agency channel?"}
  - {id: t-23, profile: ex-child, as: official, mode: check, verdict: ok, topics: [], text: "Happy new year from everyone at the agency"}
  - {id: t-24, profile: ex-child, as: official, mode: check, verdict: ok, topics: [], text: "Our offices close for the public holiday on Friday"}
"""


@pytest.fixture
def trained_kb(mini_kb, knowledge_dir):
    mini_kb.write("examples/ex-base/small.yaml", EXAMPLES)
    shutil.copytree(Path(knowledge_dir) / "lexicons", mini_kb.root / "lexicons")
    (mini_kb.root / MODEL_DIR).mkdir()
    for name in ("embedding.npy", "embedding-pieces.npz"):
        shutil.copy(Path(knowledge_dir) / MODEL_DIR / name, mini_kb.root / MODEL_DIR)
    return mini_kb


def test_training_twice_gives_the_same_arrays_and_validate_accepts_them(trained_kb, cli):
    root = str(trained_kb.root)
    first = cli("kb", "train", "--knowledge", root, timeout=300)
    assert first.returncode == 0, first.stderr
    digest = load_weights(trained_kb.root).digest()
    assert "trained on 24 examples" in first.stdout and "cross-validation" in first.stdout
    second = cli("kb", "train", "--knowledge", root, timeout=300)
    assert second.returncode == 0, second.stderr
    assert load_weights(trained_kb.root).digest() == digest
    validated = cli("kb", "validate", "--knowledge", root)
    assert validated.returncode == 0, validated.stderr
    assert "model: trained on these 24 examples" in validated.stdout


def test_validate_refuses_a_model_trained_on_another_corpus(trained_kb, cli):
    assert cli("kb", "train", "--knowledge", str(trained_kb.root), timeout=300).returncode == 0
    trained_kb.edit("examples/ex-base/small.yaml", "the dog stole a potato", "the cat stole a potato")
    validated = cli("kb", "validate", "--knowledge", str(trained_kb.root))
    assert validated.returncode == 1
    assert "trained on another corpus" in validated.stderr and "canipost kb train" in validated.stderr


def test_the_engine_answers_with_a_freshly_trained_model(trained_kb, cli):
    assert cli("kb", "train", "--knowledge", str(trained_kb.root), timeout=300).returncode == 0
    answer = cli("check", "--json", "--profile", "ex-base", "--knowledge", str(trained_kb.root),
                 "Sneak peek at the protected costings we finished today")
    assert answer.returncode == 0, answer.stderr
    reply = json.loads(answer.stdout)
    # The rules alone see nothing here (no detectors, no trigger matches): the model's reading raises it.
    assert reply["verdict"] in ("caution", "do-not-post")
    assert reply["provisions"][0]["id"] == "ex.policy.protected"


@pytest.mark.slow
@pytest.mark.timeout(1500)  # a whole retrain: minutes, more on a busy machine
def test_kb_train_reproduces_the_shipped_weights(knowledge_dir, tmp_path, cli):
    manifest = json.loads((Path(knowledge_dir) / MODEL_DIR / MANIFEST).read_text())
    copy = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir, copy)
    calibration = [str(REPO / "tests" / "eval" / name) for name in manifest["thresholds"]["calibration_files"]]
    trained = cli("kb", "train", "--knowledge", str(copy), *(["--calibrate", *calibration] if calibration else []),
                  timeout=1200)
    assert trained.returncode == 0, trained.stderr
    assert json.loads((copy / MODEL_DIR / MANIFEST).read_text())["arrays_digest"] == manifest["arrays_digest"]
