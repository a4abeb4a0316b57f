"""clipsearch.Model: a CLIP model computing the embeddings transformers' CLIPModel computes."""
import os
from typing import Any, Dict, List, Sequence, Union

import numpy as np

from . import _core, _pictures

DEFAULT_MODEL = "clip-vit-base-patch32"

Picture = Union[str, "os.PathLike[str]", bytes, np.ndarray, Any]  # Any: a PIL image


class Model:
    """A CLIP model with its tokenizer and image preprocessing.

    Load one with Model.from_pretrained(). Every method releases the GIL while it computes and
    may be called from several threads at once (forward passes take turns; each already uses
    every core, see clipsearch.set_num_threads)."""

    def __init__(self, core_model):
        self._model = core_model

    @classmethod
    def from_pretrained(cls, name_or_dir: Union[str, "os.PathLike[str]"] = DEFAULT_MODEL, *,
                        precision: str = "f32", device: str = "auto", threads: int = 0,
                        exif: str = "apply", decode: str = "exact") -> "Model":
        """Loads a model: a folder (Hugging Face or open_clip layout), a preset name
        (`clipsearch models` lists them) or a hub repository "owner/name[@revision]", fetched
        into the Hugging Face cache as the CLI does (HF_HOME, HF_HUB_OFFLINE, HF_TOKEN).

        precision: "f32" (the reference's embeddings), "bf16", "f16" or "int8" (weights of the
        big linear layers at that precision: less memory, faster text queries), or
        "int8-dynamic" (int8 weights and activations quantized per token at run time: faster
        image batches, a further loss; opt-in). The README's "Precision" has the measured
        cost. device: "auto" (the CPU in this version), "cpu", or "cuda" / "cuda:N" (a
        ModelError saying why it cannot run there: CUDA is not supported yet).
        threads: > 0 sets the process-wide thread count. exif: "apply" (turn pictures upright
        by their EXIF orientation) or "ignore" (the reference's pixels). decode: "exact" or
        "fast" (JPEG/WebP shrink-on-load)."""
        return cls(_core.Model.load(os.fspath(name_or_dir), precision, device, threads, exif,
                                     decode))

    @property
    def embed_dim(self) -> int:
        return int(self._model.info["embed_dim"])

    @property
    def image_size(self) -> int:
        """The side of the square the image tower sees."""
        return int(self._model.input_size)

    @property
    def context_length(self) -> int:
        return int(self._model.context_length)

    @property
    def info(self) -> Dict[str, Any]:
        """The model's folder, layout and sizes."""
        return dict(self._model.info)

    def get_image_features(self, images: Union[Picture, Sequence[Picture]], batch_size: int = 32,
                           normalize: bool = True) -> np.ndarray:
        """float32 [N, embed_dim] embeddings of pictures: paths, encoded bytes (JPEG, PNG,
        WebP, ...), uint8 numpy arrays (H x W x 3 RGB, H x W x 4, H x W gray) or PIL images. A
        single picture gives one row. normalize: each row of unit length (False: the model's
        raw output, as transformers' get_image_features returns it). Raises ImageError naming
        the first picture that cannot be read."""
        items, _ = _pictures.many(images)
        return self._model.image_features([_pictures.for_model(i) for i in items], batch_size,
                                          normalize)

    def get_text_features(self, texts: Union[str, Sequence[str]],
                          normalize: bool = True) -> np.ndarray:
        """float32 [N, embed_dim] embeddings of texts (a single text gives one row)."""
        return self._model.text_features(_texts(texts), normalize)

    def tokenize(self, texts: Union[str, Sequence[str]]) -> List[List[int]]:
        """Token ids per text, as the model's tokenizer gives them: start and end tokens
        included; no padding, except for SigLIP models (padded to 64, as their text tower
        reads)."""
        return self._model.tokenize(_texts(texts))

    def preprocess(self, image: Picture) -> np.ndarray:
        """The float32 [3, H, W] tensor the image tower sees (CLIPImageProcessor's
        pixel_values for one image)."""
        return self._model.preprocess(_pictures.for_model(image))

    def __repr__(self):
        info = self._model.info
        return f"Model({info['path']!r}, embed_dim={info['embed_dim']})"


def _texts(texts):
    if isinstance(texts, str):
        return [texts]
    texts = list(texts)
    for t in texts:
        if not isinstance(t, str):
            raise TypeError(f"texts must be str, got {type(t).__name__}")
    return texts
