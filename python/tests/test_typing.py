"""Editors complete and check calls: the public API is annotated and documented, the package
says so (py.typed), and the C++ module's stub is the one nanobind generates for it now."""
import inspect
import os
import subprocess
import sys

import clipsearch

PACKAGE = os.path.dirname(clipsearch.__file__)
SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "python", "clipsearch")


def public_methods(cls):
    return [(n, f) for n, f in inspect.getmembers(cls, inspect.isfunction)
            if not n.startswith("_")]


def test_public_api_is_annotated_and_documented():
    for cls in (clipsearch.Model, clipsearch.Library, clipsearch.CLIPFeatureExtractor,
                clipsearch.CLIPRetriever):
        assert cls.__doc__, cls
        for name, f in public_methods(cls):
            sig = inspect.signature(f)
            assert sig.return_annotation is not inspect.Signature.empty, f"{cls.__name__}.{name}"
            for p in sig.parameters.values():
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                    assert p.annotation is not inspect.Parameter.empty, \
                        f"{cls.__name__}.{name}({p.name})"
            assert f.__doc__, f"{cls.__name__}.{name}"
    assert os.path.exists(os.path.join(PACKAGE, "py.typed"))
    assert os.path.exists(os.path.join(PACKAGE, "_core.pyi"))


def test_core_stub_is_current(tmp_path):
    out = tmp_path / "_core.pyi"
    subprocess.run([sys.executable, "-m", "nanobind.stubgen", "-q", "-m", "clipsearch._core",
                    "-o", str(out)], check=True, cwd=str(tmp_path))
    committed = open(os.path.join(SOURCE, "_core.pyi"), encoding="utf-8").read()
    assert out.read_text(encoding="utf-8") == committed, \
        "python/clipsearch/_core.pyi is stale: regenerate it with " \
        "`python -m nanobind.stubgen -m clipsearch._core -o python/clipsearch/_core.pyi`"
