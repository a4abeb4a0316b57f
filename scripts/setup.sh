#!/usr/bin/env bash
# Installs everything clipsearch needs on a fresh Debian 12 machine: the build dependencies
# (apt) and the Python reference environment used by the tests (.venv, Debian's python3).
# Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake pkg-config git ca-certificates curl
  libopenblas-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libvips-dev libvips-tools libjpeg-dev libtiff-dev liblcms2-dev libraw-dev libutf8proc-dev libsqlite3-dev libcurl4-openssl-dev
  libmicrohttpd-dev zlib1g-dev libhnswlib-dev libssl-dev
  clang libclang-rt-14-dev clang-format ccache
  libhiredis-dev redis-server chromium chromium-driver python3-selenium
  python3 python3-venv python3-torch python3-torchvision python3-numpy python3-pil
  python3-skimage
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's python3-* packages belong to /usr/bin/python3, not to a pyenv python first on PATH.
if [[ ! -x .venv/bin/python ]]; then
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
if ! .venv/bin/python -c "import transformers, open_clip, safetensors, sentencepiece, google.protobuf, pillow_heif" 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-reference.txt
fi
if ! .venv/bin/python -c "import rawpy" 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -r scripts/requirements-reference-nodeps.txt
fi
# SigLIP's reference needs newer transformers than CLIP's 4.25.1: each in a venv of its own.
make_reference_venv() {  # make_reference_venv DIR REQUIREMENTS IMPORT-CHECK
  [[ -x $1/bin/python ]] || /usr/bin/python3 -m venv --system-site-packages "$1"
  if ! "$1/bin/python" -c "$3" 2>/dev/null; then
    "$1/bin/pip" install -q --disable-pip-version-check -r "$2"
  fi
}
make_reference_venv .venv-siglip scripts/requirements-reference-siglip.txt \
  "import transformers, sentencepiece, google.protobuf; from transformers import SiglipModel; assert transformers.__version__ == '4.37.2'"
make_reference_venv .venv-siglip2 scripts/requirements-reference-siglip2.txt \
  "import transformers, sentencepiece, google.protobuf; from transformers import GemmaTokenizerFast; assert transformers.__version__ == '4.50.0'"
# The OpenAPI conformance test (tests/openapi): schemathesis needs newer hypothesis and pytest
# than Debian's, so it has a venv of its own.
make_reference_venv .venv-schemathesis scripts/requirements-schemathesis.txt \
  "import schemathesis, openapi_spec_validator; assert schemathesis.__version__ == '4.32.5'"
# The distributed path (Ray + Milvus Lite, issue 22): its own venv without Debian's site
# packages, since Ray and pymilvus need numpy 2 (Debian's torch in .venv needs numpy 1).
if [[ ! -x .venv-distributed/bin/python ]]; then
  /usr/bin/python3 -m venv .venv-distributed
fi
if ! .venv-distributed/bin/python -c "import ray, pymilvus, milvus_lite, pyarrow, scikit_build_core, nanobind, pytest; assert ray.__version__ == '2.60.0'" 2>/dev/null; then
  .venv-distributed/bin/pip install -q --disable-pip-version-check -r scripts/requirements-distributed.txt
fi
# What builds and tests the Python package (pip install . without build isolation).
if ! .venv/bin/python -c "import scikit_build_core, nanobind, pytest, pyarrow" 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-python.txt
fi
.venv/bin/python -W ignore -c "import torch, transformers; print('setup: reference torch', torch.__version__, 'transformers', transformers.__version__)"
