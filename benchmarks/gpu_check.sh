#!/usr/bin/env bash
# The live pipeline on a CUDA machine, in under ten minutes: one `paper`-recipe evaluation timed
# (5 of its 100 epochs, the rest extrapolated) and the `small` recipe on 4 configurations x 2
# seeds (benchmarks/gpu_check.py). Results go to $OUT (the device tool's folder) or to
# benchmarks/results/gpu.
#
#   bash benchmarks/gpu_check.sh                    # on a GPU machine, from the repo root
#   PAPER_EPOCHS=100 bash benchmarks/gpu_check.sh   # the full paper recipe (~no time box)
#   GPU_CHECK_DRY_RUN=1 bash benchmarks/gpu_check.sh  # tiny recipes on the CPU (tests run this)
#
# The package need not be installed: the repo root goes on PYTHONPATH. A machine without
# gymnasium (the device image has torch, scipy, scikit-learn, pillow, tqdm, matplotlib but not
# gymnasium) gets it from wheels in .whl/, and Fashion-MNIST from .gpudata/fashion-mnist, both
# made here by `bash benchmarks/gpu_prepare.sh` and sent with the device tool's
# carry=[".whl", ".gpudata"]. Without Fashion-MNIST the digits tasks alone are scored.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-benchmarks/results/gpu}"
mkdir -p "$out"
export PYTHONUNBUFFERED=1
py="${PYTHON:-$(command -v python3 || command -v python)}"  # the device image: python3
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if ! "$py" -c "import gymnasium" 2>/dev/null; then
  if compgen -G ".whl/*.whl" >/dev/null; then
    "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/t2s-site .whl/*.whl
    export PYTHONPATH="$PYTHONPATH:/tmp/t2s-site"
  else
    echo "gymnasium is not installed and .whl/ holds no wheels: run benchmarks/gpu_prepare.sh" >&2
    exit 1
  fi
fi
if [[ -z "${T2S_DATA_ROOT:-}" && -d .gpudata/fashion-mnist ]]; then
  export T2S_DATA_ROOT="$PWD/.gpudata"
fi
dry=()
if [[ -n "${GPU_CHECK_DRY_RUN:-}" ]]; then
  dry=(--dry-run)
else
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  "$py" - <<'PY'
import sys

import torch

print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
sys.exit(0 if torch.cuda.is_available() else "no CUDA device seen by torch")
PY
fi
# Each part has its own time box, so that one slow part leaves the other its result.
timeout 300 "$py" benchmarks/gpu_check.py "${dry[@]}" --fresh --parts paper \
    --paper-epochs "${PAPER_EPOCHS:-5}" --out "$out" 2>&1 | tee "$out/paper.log" || true
timeout 270 "$py" benchmarks/gpu_check.py "${dry[@]}" --parts small --out "$out" 2>&1 \
    | tee "$out/small.log"
rm -f "$out/gpu_check.sqlite"  # the measurements are in gpu_check.json
