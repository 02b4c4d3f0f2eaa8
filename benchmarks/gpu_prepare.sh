#!/usr/bin/env bash
# Run HERE (a machine with the package registry) before a device run of gpu_check.sh: puts what
# the GPU machine lacks into two ignored folders of the repo, to be sent with the device tool's
# carry=[".whl", ".gpudata"] (about 31 MB):
#   .whl/       gymnasium and farama-notifications wheels for CPython 3.12 (the device's python3)
#   .gpudata/   Fashion-MNIST's four idx files (from $T2S_DATA_ROOT or Debian's package)
set -euo pipefail
cd "$(dirname "$0")/.."
gym_version="$(python -c 'import gymnasium; print(gymnasium.__version__)')"
mkdir -p .whl
python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux2014_x86_64 --platform any -d .whl \
  "gymnasium==$gym_version" farama-notifications
src="${T2S_DATA_ROOT:-/usr/share/datasets}/fashion-mnist"
if [[ -d "$src" ]]; then
  mkdir -p .gpudata/fashion-mnist
  cp "$src"/*-ubyte* .gpudata/fashion-mnist/
else
  echo "no Fashion-MNIST at $src (apt-get install -y dataset-fashion-mnist): digits tasks only" >&2
fi
ls -l .whl .gpudata/fashion-mnist 2>/dev/null || true
