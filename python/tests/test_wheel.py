"""`pip wheel .` makes a wheel that installs into a fresh virtual environment and works there:
Debian's Python 3.11 (with its numpy) imports the package and embeds; the pyenv Python 3.11 on
PATH, when there is one, loads the same extension module."""
import glob
import os
import shutil
import subprocess
import sys

import pytest

import clipsearch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation",
                           "--no-deps", "--disable-pip-version-check", "-q", "-w", str(out),
                           ROOT], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    wheels = glob.glob(str(out / "clipsearch-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def fresh_venv(python, folder, system_site_packages):
    args = [python, "-m", "venv", str(folder)]
    if system_site_packages:
        args.append("--system-site-packages")
    subprocess.run(args, check=True)
    return str(folder / "bin" / "python")


def test_wheel_installs_into_a_fresh_venv_and_embeds(wheel, tmp_path, model_dir, photos):
    python = fresh_venv("/usr/bin/python3", tmp_path / "venv", system_site_packages=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                    "--disable-pip-version-check", wheel], check=True)
    photo = os.path.join(photos[0], photos[1][0])
    code = ("import clipsearch, sys; m = clipsearch.Model.from_pretrained(sys.argv[1]); "
            "v = m.get_image_features([sys.argv[2]]); t = m.get_text_features('a dog'); "
            "print(clipsearch.__file__, v.shape, t.shape, clipsearch.__version__)")
    done = subprocess.run([python, "-c", code, model_dir, photo], capture_output=True, text=True,
                          cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    where, rest = done.stdout.split(" ", 1)
    assert where.startswith(str(tmp_path / "venv"))  # the installed copy, not the checkout
    assert f"(1, 32) (1, 32) {clipsearch.__version__}" in rest


def test_the_pyenv_python_loads_the_wheels_module(wheel, tmp_path):
    python = shutil.which("python3")
    if python is None or os.path.realpath(python) == os.path.realpath("/usr/bin/python3"):
        python = None
    version = subprocess.run([python or "/usr/bin/python3", "-c",
                              "import sys; print(sys.version_info[:2] == (3, 11))"],
                             capture_output=True, text=True).stdout.strip()
    assert version == "True", "these machines' Pythons are 3.11"
    venv_python = fresh_venv(python or "/usr/bin/python3", tmp_path / "venv",
                             system_site_packages=False)
    subprocess.run([venv_python, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                    "--disable-pip-version-check", wheel], check=True)
    # Without numpy (a fresh venv of its own) the package cannot import; its extension module
    # alone shows the wheel's binary is right for this interpreter.
    code = ("import glob, importlib.util, os, sysconfig; "
            "path = glob.glob(os.path.join(sysconfig.get_paths()['platlib'], 'clipsearch', "
            "'_core*.so'))[0]; "
            "spec = importlib.util.spec_from_file_location('clipsearch._core', path); "
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
            "print(m.version(), m.num_threads() > 0)")
    done = subprocess.run([venv_python, "-c", code], capture_output=True, text=True,
                          cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [clipsearch.__version__, "True"]
