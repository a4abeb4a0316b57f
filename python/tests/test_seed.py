"""The seed's own code runs on clipsearch by changing one import, and finds the same pictures.

seed/seed_recipe.py is the seed's pipeline (transformers + a flat inner-product index + pickle);
seed/seed_apps.py its three applications, calling its default model by its hub name. Both runs
find "openai/clip-vit-base-patch32" in a Hugging Face cache made here, holding the random-weight
reference model, offline."""
import json
import os
import shutil
import subprocess
import sys

import pytest

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed")
IMPORT_LINE = "from seed_recipe import CLIPFeatureExtractor, CLIPRetriever"


@pytest.fixture(scope="module")
def hub_home(tmp_path_factory, model_dir):
    home = tmp_path_factory.mktemp("hf_home")
    repo = home / "hub" / "models--openai--clip-vit-base-patch32"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    for name in os.listdir(model_dir):
        shutil.copy(os.path.join(model_dir, name), snapshot / name)
    # The tokenizer files the published repository holds beside vocab.json and merges.txt.
    from transformers import CLIPTokenizerFast
    CLIPTokenizerFast.from_pretrained(model_dir).save_pretrained(str(snapshot))
    return str(home)


def run_apps(script, library, work, hub_home):
    env = dict(os.environ, HF_HOME=hub_home, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               PYTHONPATH=os.pathsep.join([SEED] + sys.path))
    done = subprocess.run([sys.executable, "-W", "ignore", script, library, str(work)],
                          capture_output=True, text=True, env=env, cwd=SEED)
    assert done.returncode == 0, done.stderr
    # transformers may print a note about its cache first; the answers are the last line.
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_seeds_applications_run_unchanged_but_for_the_import(tmp_path, photos, hub_home):
    original = os.path.join(SEED, "seed_apps.py")
    source = open(original, encoding="utf-8").read()
    assert source.count(IMPORT_LINE) == 1
    ported = tmp_path / "seed_apps_on_clipsearch.py"
    ported.write_text(source.replace(IMPORT_LINE,
                                     "from clipsearch import CLIPFeatureExtractor, CLIPRetriever"))
    (tmp_path / "seed").mkdir()
    (tmp_path / "ours").mkdir()
    library = photos[0]
    expected = run_apps(original, library, tmp_path / "seed", hub_home)
    got = run_apps(str(ported), library, tmp_path / "ours", hub_home)
    assert os.path.exists(tmp_path / "seed" / "image_db.pkl")
    assert os.path.exists(tmp_path / "ours" / "image_db.db")  # a catalog, not a pickle

    for section in ("album", "similar"):
        for query, hits in expected[section].items():
            ours = got[section][query]
            assert [p for p, _ in ours] == [p for p, _ in hits], (section, query)
            for (_, a), (_, b) in zip(ours, hits):
                assert abs(a - b) < 1e-5, (section, query)
    assert got["tags"] == expected["tags"]
    assert got["shapes"] == expected["shapes"]
    assert got["cache_hit"] and expected["cache_hit"]
