"""Several Python threads at once: the same answers as one at a time, and the GIL released while
the engine computes."""
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import clipsearch


def test_concurrent_calls_give_the_serial_results(indexed, photos, model_dir):
    db, lib, _ = indexed
    model = clipsearch.Model.from_pretrained(model_dir)
    files = [os.path.join(photos[0], r) for r in photos[1]]
    texts = [f"a photo of thing number {i}" for i in range(12)]
    serial_images = [model.get_image_features(files[i:i + 4]) for i in range(0, 24, 4)]
    serial_texts = [model.get_text_features(t) for t in texts]
    serial_search = [[(h.id, h.score) for h in lib.search(t, k=5)] for t in texts]

    def work(i):
        j = i % 6
        images = model.get_image_features(files[j * 4:j * 4 + 4])
        text = model.get_text_features(texts[i % 12])
        hits = [(h.id, h.score) for h in lib.search(texts[i % 12], k=5)]
        return i, images, text, hits

    with ThreadPoolExecutor(max_workers=6) as pool:
        for i, images, text, hits in pool.map(work, range(24)):
            assert np.allclose(images, serial_images[i % 6], atol=1e-6)
            assert np.array_equal(text, serial_texts[i % 12])
            assert [h[0] for h in hits] == [h[0] for h in serial_search[i % 12]]
            assert np.allclose([h[1] for h in hits], [h[1] for h in serial_search[i % 12]],
                               atol=1e-6)


def test_the_gil_is_released_while_embedding(photos, model_dir):
    model = clipsearch.Model.from_pretrained(model_dir)
    files = [os.path.join(photos[0], r) for r in photos[1]] * 8  # 288 pictures
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    start = time.perf_counter()
    model.get_image_features(files[:16])  # warm up
    warm = time.perf_counter() - start
    thread = threading.Thread(target=ticker)
    thread.start()
    time.sleep(0.02)
    begin = time.perf_counter()
    model.get_image_features(files, batch_size=32)
    end = time.perf_counter()
    done.set()
    thread.join()
    during = [t for t in ticks if begin < t < end]
    print(f"embedding took {end - begin:.3f} s (warm-up {warm:.3f} s); {len(during)} ticks")
    # A held GIL would let the ticker run only between calls: at most a tick or two.
    assert end - begin > 0.05 and len(during) >= 10
