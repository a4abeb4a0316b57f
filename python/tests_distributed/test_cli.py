"""python -m clipsearch.distributed: clear errors for what a user can get wrong, each before any
Ray cluster is started or joined."""
import os

import pytest

from ray_fixtures import library, run_cli  # noqa: F401


def run(*args):
    p = run_cli(*args)
    out, err = p.communicate(timeout=120)
    return p.returncode, err


def test_missing_model(tmp_path):
    code, err = run("index", "--model", str(tmp_path / "nope"), "--output", str(tmp_path / "o"),
                    str(tmp_path))
    assert code == 1 and str(tmp_path / "nope") in err


def test_no_images(library, tmp_path):
    (tmp_path / "empty").mkdir()
    code, err = run("index", "--model", library[0], "--output", str(tmp_path / "o"),
                    str(tmp_path / "empty"), str(tmp_path / "missing"))
    assert code == 1 and "no files to index" in err and "missing: missing" in err, err


def test_unreachable_cluster(library, tmp_path):
    code, err = run("index", "--model", library[0], "--output", str(tmp_path / "o"),
                    "--address", "127.0.0.1:9", library[1])
    assert code == 1 and "--address 127.0.0.1:9: cannot reach the Ray cluster" in err, err


def test_bad_numbers_and_sinks(library, tmp_path):
    code, err = run("index", "--model", library[0], "--output", str(tmp_path / "o"),
                    "--batch-size", "0", library[1])
    assert code == 1 and "batch_size=0" in err, err
    code, err = run("index", "--model", library[0], "--milvus", str(tmp_path / "m.db"),
                    library[1])
    assert code == 1 and "--milvus needs --collection" in err, err
    code, err = run("index", "--model", library[0], library[1])
    assert code == 2 and "--output" in err, err


def test_restart_with_other_options_is_refused(library, tmp_path):
    from clipsearch.distributed.job import Job
    from clipsearch.distributed.listing import list_files
    model, pictures = library
    out = tmp_path / "o"
    Job.open(str(out / "_job"), {"model": model, "precision": "f32"},
             lambda: list_files([pictures])[0], 1000)
    with pytest.raises(Exception, match="precision='f32', now precision='bf16'"):
        Job.open(str(out / "_job"), {"model": model, "precision": "bf16"},
                 lambda: list_files([pictures])[0], 1000)


def test_file_uri_lists_what_a_local_path_lists(library):
    from clipsearch.distributed.listing import list_files
    local, _ = list_files([library[1]])
    uri, _ = list_files([f"file://{library[1]}"])
    assert local == uri and len(local) == 2000 + 3
    assert all(os.path.isabs(f.path) for f in local)
