"""The seed's three applications, written against its classes: a smart photo album (search by
words), "more like this product" (search by picture) and zero-shot tagging (texts scored against
pictures). Prints what each finds as JSON. Usage: seed_apps.py LIBRARY_FOLDER WORK_FOLDER.

clipsearch's test runs this file twice: as it is, and with only the import line below changed to
`from clipsearch import CLIPFeatureExtractor, CLIPRetriever`."""
import glob
import json
import os
import sys

import numpy as np

from seed_recipe import CLIPFeatureExtractor, CLIPRetriever

library, work = sys.argv[1], sys.argv[2]
photos = sorted(glob.glob(os.path.join(library, "**", "photo_*.*"), recursive=True))
answers = {}

# 1. Smart photo album: index the photos, find them by words.
retriever = CLIPRetriever(os.path.join(work, "image_db.pkl"))
retriever.add_images(photos[:20])
retriever.add_images(photos)  # the library grew: only the new pictures are embedded
answers["album"] = {q: retriever.search_by_text(q, top_k=5)
                    for q in ["a dog on a summer beach", "夏日海滩度假风格", "a red car"]}

# 2. Shop: products that look like the one in a customer's photo.
answers["similar"] = {os.path.basename(p): retriever.search_by_image(p, top_k=3)
                      for p in photos[:4]}

# 3. Zero-shot tagging: the label whose text is closest to each picture.
extractor = CLIPFeatureExtractor()
labels = ["a beach", "a city street", "a forest", "a plate of food"]
text = np.concatenate([extractor.get_text_features(label) for label in labels])
images = extractor.get_image_features(photos[:10], batch_size=4)
similarity = images @ text.T
answers["tags"] = {os.path.basename(p): labels[int(i)]
                   for p, i in zip(photos[:10], similarity.argmax(axis=1))}
answers["cache_hit"] = extractor.get_text_features("a beach") is \
    extractor.get_text_features("a beach")
answers["shapes"] = [list(text.shape), list(images.shape)]
print(json.dumps(answers, ensure_ascii=False))
