"""clipsearch.Library: the same catalog and the same answers as the command-line tool."""
import fcntl
import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

import clipsearch
from conftest import cosines


def cli_search(cli, db, *args):
    out = cli("search", "--db", db, "--json", "--all", *args)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def assert_same_ranking(hits, cli_rows):
    assert [h.id for h in hits] == [r["id"] for r in cli_rows]
    assert [h.path for h in hits] == [r["path"] for r in cli_rows]
    assert np.allclose([h.score for h in hits], [r["score"] for r in cli_rows], atol=1e-6)


def test_index_reports_what_the_cli_reports(indexed, photos, cli):
    db, lib, report = indexed
    assert report.files == 38 and report.embedded == 36 and report.failed == 1
    assert report.not_images == 1 and report.imported == 0
    assert [os.path.basename(p) for p, _ in report.failures] == ["truncated.jpg"]
    status = lib.status()
    assert status.images == 36 and status.errors == 1
    assert status.folders == [photos[0]]
    assert status.model.embed_dim == 32
    cli_status = json.loads(cli("status", "--db", db, "--json"))
    assert cli_status["images"] == status.images and cli_status["errors"] == status.errors
    assert cli_status["generation"] == status.generation
    again = lib.index(progress=lambda *a: None)
    assert again.unchanged == 37 and again.embedded == 0  # the failed file is not retried


def test_search_answers_equal_the_clis(indexed, photos, cli):
    db, lib, _ = indexed
    folder = photos[0]
    some_photo = os.path.join(folder, photos[1][4])
    cases = [
        (dict(text="a dog on a summer beach"), ["a dog on a summer beach"]),
        (dict(text="a red ball", k=5, offset=3), ["a red ball", "-k", "5", "--offset", "3"]),
        (dict(text=["sea", "sand"], negative="people", negative_weight=0.7),
         ["sea", "--text", "sand", "--not", "people", "--not-weight", "0.7"]),
        (dict(image=some_photo, k=6), ["--image", some_photo, "-k", "6"]),
        (dict(text="sun", image=some_photo, image_weight=0.3),
         ["sun", "--image", some_photo, "--image-weight", "0.3"]),
        (dict(like=some_photo), ["--like", some_photo]),
        (dict(text="a boat", folder=os.path.join(folder, "beach trip")),
         ["a boat", "--folder", os.path.join(folder, "beach trip")]),
        (dict(text="a boat", format="png", k=20), ["a boat", "--type", "png", "-k", "20"]),
        (dict(text="a boat", min_score=-0.05, k=30), ["a boat", "--min-score", "-0.05",
                                                      "-k", "30"]),
        (dict(text="a boat", color="navy", k=8), ["a boat", "--color", "navy", "-k", "8"]),
        (dict(text="a boat", sort="newest", k=5), ["a boat", "--sort", "date", "-k", "5"]),
        (dict(text="a boat", min_size=1000, max_size=3000),
         ["a boat", "--min-size", "1000", "--max-size", "3000"]),
    ]
    for kwargs, args in cases:
        hits = lib.search(**kwargs)
        assert_same_ranking(hits, cli_search(cli, db, *args))
        assert hits.candidates > 0


def test_search_results_carry_the_images_facts(indexed):
    db, lib, _ = indexed
    hits = lib.search("a cat", k=36)
    assert len(hits) == 36 and hits.candidates == 36 and hits.best_score == hits[0].score
    assert hits.generation == lib.status().generation
    top = hits[0]
    assert isinstance(top, clipsearch.Hit) and os.path.exists(top.path)
    assert top.size == os.path.getsize(top.path)
    with Image.open(top.path) as im:
        assert (top.width, top.height) == im.size
    assert top.format in ("jpeg", "png") and top.date.year >= 2000
    assert lib.image(top.id).path == top.path
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_pictures_as_arrays_pil_or_bytes_search_as_the_file_does(indexed, photos):
    db, lib, _ = indexed
    f = os.path.join(photos[0], photos[1][6])
    by_file = lib.search(image=f, k=5)
    rgb = Image.open(f).convert("RGB")
    for picture in (rgb, np.asarray(rgb), open(f, "rb").read()):
        hits = lib.search(image=picture, k=5)
        assert [h.id for h in hits] == [h.id for h in by_file]
        assert np.allclose([h.score for h in hits], [h.score for h in by_file], atol=1e-6)


def test_similarity_and_classify_agree_with_the_models_embeddings(indexed, photos, model_dir):
    db, lib, _ = indexed
    model = clipsearch.Model.from_pretrained(model_dir)
    f = os.path.join(photos[0], photos[1][2])
    texts = ["a dog", "a cat", "a beach"]
    scores = lib.similarity(f, texts)
    expected = (model.get_image_features(f) @ model.get_text_features(texts).T)[0]
    assert [s.text for s in scores] == texts
    assert np.allclose([s.cosine for s in scores], expected, atol=1e-5)
    assert abs(sum(s.probability for s in scores) - 1) < 1e-5
    image_id = next(h.id for h in lib.search(image=f, k=1))
    by_id = lib.similarity(image_id, texts)
    assert np.allclose([s.cosine for s in by_id], expected, atol=1e-5)
    labels = lib.classify(image_id, ["dog", "cat", "boat"])
    assert sorted(s.text for s in labels) == ["boat", "cat", "dog"]
    assert labels[0].probability >= labels[-1].probability
    assert [s.text for s in lib.classify(f, ["dog", "cat", "boat"])] == [s.text for s in labels]
    only_model = clipsearch.Library.for_model(model_dir)
    assert np.allclose([s.cosine for s in only_model.similarity(f, texts)], expected, atol=1e-5)
    with pytest.raises(clipsearch.QueryError):
        only_model.search("a dog")


def test_classify_all_store_and_search_by_tag(tmp_path, model_dir, photos):
    lib = clipsearch.Library(str(tmp_path / "t.db"), model_dir)
    lib.index([photos[0]])
    rows = lib.classify_all(["dog", "cat", "boat"], top=1, store=True)
    assert len(rows) == 36 and all(len(r.labels) == 1 for r in rows)
    dogs = {r.image.id for r in rows if r.labels[0].text == "dog"}
    found = {h.id for h in lib.search("anything", tag="dog", k=100)}
    assert found == dogs


def test_duplicates_albums_and_recommendations(tmp_path, model_dir, photos):
    folder = tmp_path / "lib"
    shutil.copytree(photos[0], folder)
    shutil.copy(folder / photos[1][0], folder / "copy_of_first.png")
    rgb = Image.open(folder / photos[1][0]).convert("RGB")
    rgb.resize((rgb.width - 1, rgb.height)).save(folder / "resized_first.png")
    lib = clipsearch.Library(str(tmp_path / "d.db"), model_dir)
    lib.index([str(folder)])
    groups = lib.duplicates(0.97)
    names = [{os.path.basename(i.path) for i in g.images} for g in groups]
    assert any({"copy_of_first.png", os.path.basename(photos[1][0])} <= n for n in names)
    assert all(g.min_similarity >= 0.97 for g in groups)

    # Threshold -1: on random weights every image joins its best album.
    sizes = lib.albums({"threshold": -1, "themes": [{"name": "sea", "keywords": ["the sea"]},
                                                    {"name": "city", "keywords": ["a city"]}]},
                       exclusive=True)
    assert set(sizes) == {"sea", "city"} and sum(sizes.values()) == lib.status().images
    members = lib.album("sea")
    assert len(members) == sizes["sea"]
    assert lib.search("x", album="sea", k=100).candidates == sizes["sea"]
    with pytest.raises(clipsearch.CatalogError) as e:
        lib.album("no such album")
    assert e.value.code == "not found"

    first = lib.search("a dog", k=3)
    assert lib.recommend("ann").popular in (True, False)
    for hit in first:
        lib.record_click("ann", hit.id)
    recs = lib.recommend("ann", k=5)
    assert not recs.popular and len(recs) == 5
    assert not {h.id for h in recs} & {h.id for h in first}


def test_export_and_import_round_trip(indexed, tmp_path, model_dir, photos):
    db, lib, _ = indexed
    for metadata in ("jsonl", "parquet"):
        out = tmp_path / metadata
        summary = lib.export(out, rows_per_file=10, metadata=metadata)
        assert summary == {"images": 36, "files": 4, "dim": 32, "metadata": metadata}
        first = np.load(out / "img_emb" / "img_emb_0.npy")
        assert first.shape == (10, 32) and first.dtype == np.float32
        assert (out / "metadata" / f"metadata_0.{metadata}").exists()
        fresh = clipsearch.Library(str(tmp_path / f"imported_{metadata}.db"), model_dir)
        report = fresh.import_embeddings(out)
        assert report.imported == 36 and report.embedded == 36 and report.failed == 0
        for query in ("a dog on a beach", "a red car"):
            a, b = lib.search(query, k=36), fresh.search(query, k=36)
            assert [h.path for h in a] == [h.path for h in b]
            assert np.allclose([h.score for h in a], [h.score for h in b], atol=1e-6)
    all_vectors = np.concatenate([v for _, v in lib.embeddings(batch=7)])
    images = [i for batch, _ in lib.embeddings(batch=7) for i in batch]
    assert all_vectors.shape == (36, 32) and [i.id for i in images] == sorted(i.id for i in images)
    model = clipsearch.Model.from_pretrained(model_dir)
    assert cosines(all_vectors, model.get_image_features([i.path for i in images])).min() > 0.9999


def test_import_refuses_broken_exports(indexed, tmp_path, model_dir):
    db, lib, _ = indexed
    out = tmp_path / "export"
    lib.export(out, metadata="jsonl")
    fresh = clipsearch.Library(str(tmp_path / "x.db"), model_dir)
    np.save(out / "img_emb" / "img_emb_0.npy", np.zeros((3, 32), np.float32))
    with pytest.raises(clipsearch.CatalogError) as e:
        fresh.import_embeddings(out)
    assert "img_emb_0.npy" in str(e.value) and e.value.code == "corruption"
    lib.export(out, metadata="jsonl")
    (out / "metadata" / "metadata_0.jsonl").unlink()
    with pytest.raises(clipsearch.CatalogError) as e:
        fresh.import_embeddings(out)
    assert "metadata_0" in str(e.value)
    with pytest.raises(clipsearch.CatalogError):
        fresh.import_embeddings(tmp_path / "nothing here")
    lib.export(out, metadata="jsonl")
    np.save(out / "img_emb" / "img_emb_0.npy", np.ones((36, 16), np.float32))
    with pytest.raises(clipsearch.QueryError) as e:
        fresh.import_embeddings(out)
    assert "16" in str(e.value) and "32" in str(e.value)
    assert fresh.status().images == 36  # the model embedded them instead: nothing lost


def test_errors_raise_the_right_exception(indexed, tmp_path, model_dir, photos):
    db, lib, _ = indexed
    with pytest.raises(clipsearch.CatalogError) as e:
        lib.image(10**9)
    assert e.value.code == "not found"
    for kwargs in (dict(text="x", color="not-a-colour"), dict(text="x", image_weight=2.0),
                   dict(text="x", sort="sideways"), dict(), dict(text="x", since="May 1st")):
        with pytest.raises(clipsearch.QueryError):
            lib.search(**kwargs)
    with pytest.raises(clipsearch.ImageError) as e:
        lib.search(image=b"GIF89a broken")
    assert "image 0" in str(e.value)
    with pytest.raises(clipsearch.ImageError):
        lib.search(image=str(tmp_path / "missing.jpg"))
    with pytest.raises(clipsearch.ImageError):
        lib.similarity(os.path.join(photos[0], "truncated.jpg"), ["a"])
    not_catalog = tmp_path / "not.db"
    not_catalog.write_bytes(b"this is not a database" * 100)
    with pytest.raises(clipsearch.CatalogError):
        clipsearch.Library(str(not_catalog)).status()
    with pytest.raises(clipsearch.ModelError):
        clipsearch.Library(str(tmp_path / "new.db"), str(tmp_path / "no model")).index(
            [photos[0]])
    with pytest.raises(TypeError):
        lib.search(text=3)


def test_busy_catalog_raises_busy_error(tmp_path, model_dir, photos):
    db = str(tmp_path / "busy.db")
    with open(db + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(clipsearch.BusyError) as e:
            clipsearch.Library(db, model_dir).index([photos[0]])
        assert isinstance(e.value, clipsearch.CatalogError) and e.value.code == "busy"
    assert clipsearch.Library(db, model_dir).index([photos[0]]).embedded == 36


def test_progress_is_reported_and_its_exceptions_raised(tmp_path, model_dir, photos):
    calls = []
    lib = clipsearch.Library(str(tmp_path / "p.db"), model_dir)
    lib.index([photos[0]], batch_size=8, progress=lambda *a: calls.append(a))
    assert calls[-1][0] == calls[-1][1] == 38 and calls[-1][2] == 1
    assert len(calls) >= 5

    def stop(done, total, failed):
        raise KeyError("stop here")

    other = clipsearch.Library(str(tmp_path / "q.db"), model_dir)
    with pytest.raises(KeyError, match="stop here"):
        other.index([photos[0]], progress=stop)


def test_a_catalog_keeps_its_precision(tmp_path, model_dir, photos):
    db = str(tmp_path / "int8.db")
    lib = clipsearch.Library(db, model_dir, precision="int8")
    lib.index([photos[0]])
    assert lib.status().model.precision == "int8"
    assert len(lib.search("a dog", k=3)) == 3
    with pytest.raises(clipsearch.ClipsearchError) as e:
        clipsearch.Library(db).search("a dog")
    assert "int8" in str(e.value) and "f32" in str(e.value)
    with pytest.raises(clipsearch.ClipsearchError) as e:  # int8 arithmetic: other embeddings
        clipsearch.Library(db, precision="int8-dynamic").search("a dog")
    assert "int8-dynamic" in str(e.value)


def test_videos_are_items_found_at_a_time(tmp_path, model_dir, cli):
    """A video made by the ffmpeg CLI (four flat-colour scenes, a second each) beside a photo:
    found by the picture of its third scene at 2.5 s, as the CLI answers; counted by kind."""
    import subprocess
    folder = tmp_path / "videos"
    folder.mkdir()
    ff = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    inputs = []
    for c in ["0xff0000", "0x00ff00", "0x0000ff", "0xffff00"]:
        inputs += ["-f", "lavfi", "-i", f"color=c={c}:s=64x48:r=10:d=1"]
    graph = "".join(f"[{i}:v]" for i in range(4)) + "concat=n=4:v=1:a=0[v]"
    subprocess.run(ff + inputs + ["-filter_complex", graph, "-map", "[v]", "-c:v", "libx264",
                                  "-pix_fmt", "yuv420p", str(folder / "scenes.mp4")], check=True)
    Image.new("RGB", (40, 30), (200, 120, 40)).save(folder / "photo.png")
    query = tmp_path / "blue.png"
    Image.new("RGB", (64, 48), (0, 0, 255)).save(query)
    db = str(tmp_path / "v.db")
    lib = clipsearch.Library(db, model_dir)
    report = lib.index([str(folder)])
    assert report.embedded == 2 and report.videos == 1 and report.frames == 4
    hits = lib.search(image=str(query), k=2)
    assert hits[0].path.endswith("scenes.mp4") and hits[0].time == 2.5
    assert hits[0].duration_ms == 4000 and hits[0].format == "mp4"
    assert hits[1].time is None and hits[1].duration_ms == 0
    rows = cli_search(cli, db, "--image", str(query), "-k", "2")
    assert rows[0]["time"] == hits[0].time and rows[0]["id"] == hits[0].id
    kinds = {k["format"]: k for k in lib.status().kinds}
    assert kinds["mp4"] == {"format": "mp4", "video": True, "items": 1, "frames": 4}
    assert kinds["png"]["items"] == 1 and not kinds["png"]["video"]


def _camera_jpeg(path, seed, make=None, model=None, taken=None):
    """A small JPEG with EXIF Make/Model and DateTimeOriginal when given."""
    rng = np.random.default_rng(seed)
    picture = Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8))
    exif = Image.Exif()
    if make:
        exif[0x010F], exif[0x0110] = make, model
    if taken:
        exif[0x8769] = {0x9003: taken}  # the Exif IFD's DateTimeOriginal
    os.makedirs(os.path.dirname(path), exist_ok=True)
    picture.save(path, format="JPEG", exif=exif.tobytes(), quality=90)


def test_what_the_page_filters_by(tmp_path, model_dir, cli):
    """Issue 20: the folders and cameras lists, the camera filter, the date switch (taken or
    modified) and how many a cutoff keeps, as the library (and the CLI) answer them."""
    root = str(tmp_path / "shots")
    _camera_jpeg(f"{root}/canon.jpg", 1, "Canon", "Canon EOS R5", "2010:06:01 12:00:00")
    _camera_jpeg(f"{root}/phone/a.jpg", 2, "Apple", "iPhone 12")
    _camera_jpeg(f"{root}/phone/b.jpg", 3, "Apple", "iPhone 12")
    _camera_jpeg(f"{root}/plain.jpg", 4)
    # Every file modified on 2020-01-01 at noon UTC, plain.jpg on 2015-06-01.
    for name in ("canon.jpg", "phone/a.jpg", "phone/b.jpg"):
        os.utime(f"{root}/{name}", (1577880000, 1577880000))
    os.utime(f"{root}/plain.jpg", (1433160000, 1433160000))
    db = str(tmp_path / "shots.db")
    lib = clipsearch.Library(db, model_dir)
    lib.index([root])
    assert lib.folders() == {root: 4, f"{root}/phone": 2}
    assert lib.cameras() == {"Apple iPhone 12": 2, "Canon EOS R5": 1}
    phone = lib.search("a photo", camera="Apple iPhone 12")
    assert sorted(os.path.basename(h.path) for h in phone) == ["a.jpg", "b.jpg"]
    assert {h.camera for h in phone} == {"Apple iPhone 12"}
    assert_same_ranking(lib.search("a photo", camera=["Canon EOS R5", "Apple iPhone 12"]),
                        cli_search(cli, db, "a photo", "--camera", "Canon EOS R5", "--camera",
                                   "Apple iPhone 12"))

    def names(**filters):
        return sorted(os.path.basename(h.path) for h in lib.search("a photo", **filters))

    assert names(until="2012-01-01") == ["canon.jpg"]  # EXIF: taken in 2010
    assert names(until="2016-01-01", date="modified") == ["plain.jpg"]
    assert names(since="2020-01-01", until="2020-01-01", date="modified") == \
        ["a.jpg", "b.jpg", "canon.jpg"]
    assert names(since="2015-06-01", until="2015-06-01") == ["plain.jpg"]  # no EXIF: modified
    assert_same_ranking(lib.search("a photo", until="2016-01-01", date="modified"),
                        cli_search(cli, db, "a photo", "--until", "2016-01-01", "--date",
                                   "modified"))
    with pytest.raises(clipsearch.QueryError, match="date='created'"):
        lib.search("a photo", since="2020-01-01", date="created")

    # A theme file's run reports its progress, as the page's albums job does: one step per
    # theme, then the images (4 here); an exception from the callback stops it and is raised.
    themes = {"threshold": -1, "themes": [{"name": "a", "keywords": ["x"]},
                                          {"name": "b", "keywords": ["y"]}]}
    steps = []
    with pytest.raises(KeyError):
        lib.albums(themes, progress=lambda done, total: steps.append(done) or {}[done])
    assert steps == [1] and lib.albums() == {}  # stopped before anything was stored
    seen = []
    assert lib.albums(themes, progress=lambda done, total: seen.append((done, total))) == \
        {"a": 4, "b": 4}
    assert seen == [(1, 6), (2, 6), (2, 6), (6, 6)]

    everything = lib.search("a photo", k=4)
    assert everything.kept is None  # no cutoff, nothing to count
    cutoff = (everything[1].score + everything[2].score) / 2
    page = lib.search("a photo", k=1, min_score=cutoff)
    assert len(page) == 1 and page.kept == 2
