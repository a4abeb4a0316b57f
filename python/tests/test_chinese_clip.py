"""clipsearch.Model with Chinese-CLIP (a BERT text tower, WordPiece, an exact-size resize) against
transformers 4.25.1's ChineseCLIPModel, BertTokenizerFast and ChineseCLIPImageProcessor."""
import os

import numpy as np
import pytest

import clipsearch
from conftest import cosines
from make_search_reference import build_chinese_clip, chinese_clip_embedders


@pytest.fixture(scope="module")
def chinese(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("chinese_clip"))
    reference = build_chinese_clip(folder)
    return folder, reference, chinese_clip_embedders(reference, folder)


def test_chinese_queries_embed_and_tokenize_as_the_reference(chinese):
    folder, _, (_, embed_texts) = chinese
    model = clipsearch.Model.from_pretrained(folder)
    assert model.info["text_tower"] == "bert"
    texts = ["夏日海滩度假风格", "一只dog在海滩上", "RED 正方形！", "", "红" * 80]
    c = cosines(model.get_text_features(texts), embed_texts(texts))
    print(f"texts: min cosine {c.min():.8f}")
    assert c.min() >= 0.99999
    from transformers import BertTokenizerFast
    tokenizer = BertTokenizerFast.from_pretrained(folder)
    for text, ids in zip(texts, model.tokenize(texts)):
        assert ids == tokenizer(text, truncation=True, max_length=52)["input_ids"]


def test_pictures_embed_as_the_reference(chinese, photos):
    folder, _, (embed_images, _) = chinese
    model = clipsearch.Model.from_pretrained(folder)
    files = [os.path.join(photos[0], r) for r in photos[1][:6]]
    c = cosines(model.get_image_features(files), embed_images(files))
    print(f"images: min cosine {c.min():.8f}")
    assert c.min() >= 0.99999
