"""clipsearch.Model against the reference: the same token ids, pixels and embeddings."""
import io
import os

import numpy as np
import pytest
from PIL import Image

import clipsearch
from conftest import cosines


@pytest.fixture(scope="module")
def model(model_dir):
    return clipsearch.Model.from_pretrained(model_dir)


def good_photos(photos):
    folder, rel = photos
    return [os.path.join(folder, r) for r in rel]


def test_image_features_equal_the_reference_for_every_kind_of_input(model, photos,
                                                                     reference_embed):
    files = good_photos(photos)[:8]
    expected = reference_embed[0](files)
    pil = [Image.open(f) for f in files]
    inputs = {
        "paths": files,
        "pathlike": [__import__("pathlib").Path(f) for f in files],
        "bytes": [open(f, "rb").read() for f in files],
        "arrays": [np.asarray(Image.open(f).convert("RGB")) for f in files],
        "pil": pil,
    }
    for kind, items in inputs.items():
        got = model.get_image_features(items, batch_size=3)
        assert got.dtype == np.float32 and got.shape == (8, model.embed_dim), kind
        c = cosines(got, expected)
        print(f"{kind}: min cosine {c.min():.8f}")
        assert c.min() >= 0.99999, kind
        assert np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5), kind


def test_unnormalized_features_are_the_models_raw_output(model, photos, reference_embed):
    files = good_photos(photos)[:4]
    raw = model.get_image_features(files, normalize=False)
    expected = reference_embed[0](files, normalize=False)
    assert np.allclose(raw, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    texts = ["a dog on a summer beach", "夏日海滩度假风格"]
    raw_t = model.get_text_features(texts, normalize=False)
    expected_t = reference_embed[1](texts, normalize=False)
    assert np.allclose(raw_t, expected_t, rtol=1e-4, atol=1e-4 * np.abs(expected_t).max())


def test_text_features_and_token_ids_equal_the_reference(model, reference_embed):
    texts = ["a dog on a summer beach", "", "Café crème, 2 €!", "a " * 100, "夏日海滩度假风格"]
    got = model.get_text_features(texts)
    c = cosines(got, reference_embed[1](texts))
    print(f"texts: min cosine {c.min():.8f}")
    assert c.min() >= 0.99999
    tokenizer = reference_embed[1].tokenizer
    for text, ids in zip(texts, model.tokenize(texts)):
        assert ids == tokenizer(text, truncation=True, max_length=77)["input_ids"]
    one = model.get_text_features("a dog on a summer beach")
    assert one.shape == (1, model.embed_dim)
    assert np.array_equal(model.tokenize("a dog")[0], tokenizer("a dog")["input_ids"])


def test_preprocess_gives_the_processors_pixel_values(model, photos, reference_embed):
    processor = reference_embed[0].processor
    for f in good_photos(photos)[:5]:
        expected = processor(images=Image.open(f).convert("RGB"),
                             return_tensors="np")["pixel_values"][0]
        got = model.preprocess(f)
        assert got.shape == expected.shape and got.dtype == np.float32
        assert np.abs(got - expected).max() < 1e-6


def test_gray_and_rgba_arrays_are_converted_as_pillow_does(model, photos):
    f = good_photos(photos)[0]
    rgb = Image.open(f).convert("RGB")
    gray = rgb.convert("L")
    rgba = rgb.convert("RGBA")
    got = model.get_image_features([np.asarray(gray), np.asarray(rgba), gray, rgba])
    expected = model.get_image_features([gray.convert("RGB"), rgb, gray.convert("RGB"), rgb])
    assert cosines(got, expected).min() >= 0.999999


def test_single_picture_gives_one_row_and_batches_do_not_change_results(model, photos):
    files = good_photos(photos)[:7]
    one = model.get_image_features(files[0])
    assert one.shape == (1, model.embed_dim)
    for batch_size in (1, 2, 32):
        got = model.get_image_features(files, batch_size=batch_size)
        assert cosines(got, model.get_image_features(files)).min() >= 0.999999


def test_bad_pictures_raise_image_error_naming_them(model, photos, tmp_path):
    folder, _ = photos
    truncated = os.path.join(folder, "truncated.jpg")
    not_image = os.path.join(folder, "not_an_image.png")
    for item, name in [(truncated, "truncated.jpg"), (not_image, "not_an_image.png"),
                       (str(tmp_path / "missing.jpg"), "missing.jpg"),
                       (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "image 1")]:
        with pytest.raises(clipsearch.ImageError) as e:
            model.get_image_features([good_photos(photos)[0], item])
        assert name in str(e.value), str(e.value)
        assert e.value.code in ("corruption", "unsupported", "not found", "I/O error")
    with pytest.raises(TypeError):
        model.get_image_features([3.5])
    with pytest.raises(TypeError):
        model.get_image_features([np.zeros((4, 4, 3), dtype=np.float32)])
    with pytest.raises(ValueError):
        model.get_image_features([np.zeros((4, 4, 2), dtype=np.uint8)])
    with pytest.raises(ValueError):
        model.get_image_features([good_photos(photos)[0]], batch_size=0)
    with pytest.raises(TypeError):
        model.get_text_features(["ok", 3])


def test_model_errors(model_dir, tmp_path):
    with pytest.raises(clipsearch.ModelError) as e:
        clipsearch.Model.from_pretrained(str(tmp_path / "nowhere"))
    assert "nowhere" in str(e.value) and e.value.code == "not found"
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in os.listdir(model_dir):
        data = open(os.path.join(model_dir, name), "rb").read()
        if name == "model.safetensors":
            data = data[:len(data) // 2]
        (broken / name).write_bytes(data)
    with pytest.raises(clipsearch.ModelError) as e:
        clipsearch.Model.from_pretrained(broken)
    assert "model.safetensors" in str(e.value)
    with pytest.raises(clipsearch.QueryError) as e:
        clipsearch.Model.from_pretrained(model_dir, precision="f8")
    assert "f8" in str(e.value) and e.value.code == "invalid argument"
    with pytest.raises(clipsearch.ModelError):
        clipsearch.Model.from_pretrained(model_dir, device="tpu")
    on_cpu = clipsearch.Model.from_pretrained(model_dir, device="cpu").info
    assert on_cpu["image_device"] == on_cpu["text_device"] == "cpu"
    with pytest.raises(clipsearch.QueryError) as e:
        clipsearch.Model.from_pretrained(model_dir, exif="sideways")
    assert isinstance(e.value, ValueError)


def test_exif_ignore_reads_the_stored_pixels(model_dir, tmp_path):
    rotated = Image.new("RGB", (64, 32), (200, 30, 30))
    rotated.paste((20, 20, 220), (0, 0, 32, 32))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buf = io.BytesIO()
    rotated.save(buf, format="JPEG", exif=exif.tobytes(), quality=95)
    data = buf.getvalue()
    applied = clipsearch.Model.from_pretrained(model_dir).preprocess(data)
    ignored = clipsearch.Model.from_pretrained(model_dir, exif="ignore").preprocess(data)
    assert not np.allclose(applied, ignored)
    upright = Image.open(io.BytesIO(data)).convert("RGB").transpose(Image.Transpose.ROTATE_270)
    assert np.abs(clipsearch.Model.from_pretrained(model_dir, exif="ignore").preprocess(
        upright) - applied).max() < 1e-6


def test_lower_precisions_stay_close_to_the_reference(model_dir, photos, reference_embed):
    files = good_photos(photos)[:6]
    texts = ["a dog on a summer beach", "a red car"]
    expected_images = reference_embed[0](files)
    expected_texts = reference_embed[1](texts)
    # The bounds of src/model/precision_reference_test (plain cosine) for each precision.
    for precision, bound in (("f16", 0.99999), ("bf16", 0.99995), ("int8", 0.9995)):
        model = clipsearch.Model.from_pretrained(model_dir, precision=precision)
        assert model.info["precision"] == precision
        images = cosines(model.get_image_features(files), expected_images)
        text = cosines(model.get_text_features(texts), expected_texts)
        print(f"{precision}: images {images.min():.6f}, texts {text.min():.6f}")
        assert images.min() >= bound and text.min() >= bound, precision
