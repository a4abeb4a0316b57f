"""The SigLIP end-to-end reference: a small random-weight SiglipModel with a SentencePiece
tokenizer trained here (SiglipTokenizer's folder), a library of pictures, and what transformers
4.37.2 (run by CLIPSEARCH_SIGLIP_PYTHON) says of them: each text's sigmoid probability for each
picture, from raw text through SiglipTokenizer(padding="max_length") and SiglipImageProcessor,
as the SigLIP recipe computes them. src/cli/siglip_cli_test.cpp runs every command on it.

SigLIP 2's form (--gemma): the same model with Gemma's tokenizer (GemmaTokenizerFast's
tokenizer.json, set up as the SigLIP 2 checkpoints publish it: <eos> last, padded on the
right, lower-cased text), in $CLIPSEARCH_REFERENCE_DIR/siglip2_search. Two steps, as no
transformers release runs both here: `--gemma tokenizer` (run by CLIPSEARCH_SIGLIP2_PYTHON,
transformers 4.50) trains the tokenizer and writes the ids of the lower-cased texts; `--gemma
model` (CLIPSEARCH_SIGLIP_PYTHON) builds the model on those ids.

Output, under $CLIPSEARCH_REFERENCE_DIR/siglip_search (or --out):
  model/      config.json, model.safetensors, preprocessor_config.json, spiece.model,
              tokenizer_config.json, special_tokens_map.json
  library/    photo_NN.png (lossless, so decoding cannot differ)
  reference.json  {"texts": [...], "images": [names], "probabilities": [[per image] per text],
                   "text_ids": [[64 ids] per text], "logit_scale", "logit_bias"}
Nothing is downloaded.
"""
import argparse
import io
import json
import os
import shutil
import sys

os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_siglip_models import perturb  # noqa: E402

# Labels and queries: case, punctuation and spacing the tokenizer removes or keeps.
TEXTS = ["red car", "snow", "A dog, running on the BEACH!", "sunset  over the sea",
         "two cats sleeping on a sofa"]
CORPUS = ["a red car in the rain", "snow on the mountains", "a dog running on the beach",
          "sunset over the sea", "two cats sleeping on a sofa", "a cup of coffee",
          "children playing in the park", "an old town at night", "a plate of pasta"]


def train_tokenizer(model_dir, rng):
    import sentencepiece as spm
    from transformers import SiglipTokenizer
    words = " ".join(CORPUS).split()
    lines = CORPUS + [" ".join(rng.choice(words, size=rng.integers(2, 9)))
                      for _ in range(3000)]
    buf = io.BytesIO()
    # SigLIP's spiece.model: <pad> 0, </s> 1, <unk> 2, nmt_nfkc.
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=buf,
                                   vocab_size=120, model_type="unigram",
                                   normalization_rule_name="nmt_nfkc", pad_id=0, eos_id=1,
                                   unk_id=2, bos_id=-1, minloglevel=2, hard_vocab_limit=False)
    vocab = model_dir + ".spiece.model"
    with open(vocab, "wb") as f:
        f.write(buf.getvalue())
    tokenizer = SiglipTokenizer(vocab)
    tokenizer.save_pretrained(model_dir)
    os.remove(vocab)
    return tokenizer


def train_gemma_tokenizer(model_dir, rng):
    """Gemma's SentencePiece BPE with byte fallback, as SigLIP 2's folders hold it."""
    import sentencepiece as spm
    from transformers import GemmaTokenizerFast
    words = " ".join(CORPUS).split()
    lines = CORPUS + [" ".join(rng.choice(words, size=rng.integers(2, 9)))
                      for _ in range(3000)]
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=buf, vocab_size=400, model_type="bpe",
        byte_fallback=True, add_dummy_prefix=False, normalization_rule_name="identity",
        remove_extra_whitespaces=False, allow_whitespace_only_pieces=True, pad_id=0, eos_id=1,
        bos_id=2, unk_id=3, pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>",
        unk_piece="<unk>", minloglevel=2)
    vocab = model_dir + ".tokenizer.model"
    with open(vocab, "wb") as f:
        f.write(buf.getvalue())
    GemmaTokenizerFast(vocab_file=vocab).save_pretrained(model_dir)
    os.remove(vocab)
    path = os.path.join(model_dir, "tokenizer_config.json")
    with open(path) as f:
        config = json.load(f)
    config.update({"add_bos_token": False, "add_eos_token": True, "padding_side": "right",
                   "model_max_length": 64})
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    assert type(tokenizer).__name__ == "GemmaTokenizerFast", type(tokenizer).__name__
    # ref: SigLIP 2's model card: lower-cased text, padding="max_length", max_length=64.
    ids = tokenizer([t.lower() for t in TEXTS], padding="max_length", max_length=64,
                    truncation=True)["input_ids"]
    return {"ids": ids, "vocab_size": len(tokenizer)}


def pictures(library, rng, count=10):
    names = []
    for i in range(count):
        h, w = int(rng.integers(24, 90)), int(rng.integers(24, 90))
        base = rng.integers(0, 256, (1, 1, 3))
        noise = rng.integers(-60, 60, (h, w, 3))
        pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
        name = f"photo_{i:02d}.png"
        Image.fromarray(pixels).save(os.path.join(library, name))
        names.append(name)
    return names


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    parser.add_argument("--gemma", choices=["tokenizer", "model"],
                        help="SigLIP 2's form, in two steps (see above)")
    args = parser.parse_args()
    root = os.environ.get("CLIPSEARCH_REFERENCE_DIR", "reference")
    args.out = args.out or os.path.join(root, "siglip2_search" if args.gemma else "siglip_search")
    model_dir = os.path.join(args.out, "model")
    library = os.path.join(args.out, "library")
    rng = np.random.default_rng(1818)
    gemma_ids = os.path.join(args.out, "gemma_ids.json")
    if args.gemma == "tokenizer":
        shutil.rmtree(args.out, ignore_errors=True)
        os.makedirs(model_dir)
        with open(gemma_ids, "w") as f:
            json.dump(train_gemma_tokenizer(model_dir, rng), f)
        return
    from transformers import SiglipConfig, SiglipImageProcessor, SiglipModel
    if args.gemma == "model":
        with open(gemma_ids) as f:
            gemma = json.load(f)
        vocab_size = gemma["vocab_size"]
    else:
        shutil.rmtree(args.out, ignore_errors=True)
        os.makedirs(model_dir)
        vocab_size = len(train_tokenizer(model_dir, rng))
    os.makedirs(library, exist_ok=True)
    torch.manual_seed(18)
    config = SiglipConfig(
        text_config=dict(vocab_size=vocab_size, hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=4),
        vision_config=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                           num_attention_heads=4, image_size=32, patch_size=8))
    model = SiglipModel(config).eval()
    perturb(model, torch.Generator().manual_seed(19))
    model.save_pretrained(model_dir, safe_serialization=True)
    processor = SiglipImageProcessor(size={"height": 32, "width": 32})
    processor.save_pretrained(model_dir)
    names = pictures(library, rng)

    images = [Image.open(os.path.join(library, n)).convert("RGB") for n in names]
    pixel_values = processor(images=images, return_tensors="pt").pixel_values
    if args.gemma == "model":
        ids = torch.tensor(gemma["ids"], dtype=torch.long)
    else:
        from transformers import SiglipTokenizer
        ids = SiglipTokenizer.from_pretrained(model_dir)(
            TEXTS, padding="max_length", max_length=64, truncation=True,
            return_tensors="pt").input_ids
    with torch.no_grad():  # ref: the SigLIP recipe's probabilities
        out = model(input_ids=ids, pixel_values=pixel_values)
    probabilities = torch.sigmoid(out.logits_per_text).numpy()
    reference = {"texts": TEXTS, "images": names, "probabilities": probabilities.tolist(),
                 "text_ids": ids.tolist(), "logit_scale": model.logit_scale.item(),
                 "logit_bias": model.logit_bias.item()}
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
    print(f"{os.path.basename(args.out)}: {len(names)} pictures, {len(TEXTS)} texts, probabilities "
          f"{probabilities.min():.4f}..{probabilities.max():.4f}")


if __name__ == "__main__":
    sys.exit(main())
