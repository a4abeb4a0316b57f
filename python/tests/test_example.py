"""The README's Python example runs and finds what the Library finds."""
import os
import shutil
import subprocess
import sys

import clipsearch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "python", "search_photos.py")


def test_search_photos_example(tmp_path, model_dir, photos):
    folder = tmp_path / "photos"
    shutil.copytree(photos[0], folder)
    done = subprocess.run([sys.executable, EXAMPLE, model_dir, str(folder), "a red boat",
                           "-k", "3"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "36 photos indexed (36 new, 1 unreadable)"
    expected = clipsearch.Library(str(folder / ".clipsearch.db")).search("a red boat", k=3)
    assert [line.split("  ")[-1] for line in lines[1:]] == [h.path for h in expected]
    missing = subprocess.run([sys.executable, EXAMPLE, str(tmp_path / "no model"), str(folder),
                              "x"], capture_output=True, text=True)
    assert missing.returncode == 1 and "no model" in missing.stderr
