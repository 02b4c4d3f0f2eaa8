#!/usr/bin/env bash
# The live pipeline on a CUDA machine, in under ten minutes: one `paper`-recipe evaluation timed
# (5 of its 100 epochs, the rest extrapolated) and the `small` recipe on 4 configurations x 2
# seeds (benchmarks/gpu_check.py). Results go to $OUT (the device tool's folder) or to
# benchmarks/results/gpu. Fashion-MNIST tasks join the digits ones where T2S_DATA_ROOT (or
# Debian's /usr/share/datasets) holds fashion-mnist/.
#
#   bash benchmarks/gpu_check.sh                 # on a GPU machine, from the repo root
#   PAPER_EPOCHS=100 bash benchmarks/gpu_check.sh   # the full paper recipe (~no time box)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-benchmarks/results/gpu}"
mkdir -p "$out"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python - <<'PY'
import torch, sys
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
sys.exit(0 if torch.cuda.is_available() else "no CUDA device seen by torch")
PY
# Each part has its own time box, so that one slow part leaves the other its result.
timeout 300 python benchmarks/gpu_check.py --fresh --parts paper \
    --paper-epochs "${PAPER_EPOCHS:-5}" --out "$out" 2>&1 | tee "$out/paper.log" || true
timeout 270 python benchmarks/gpu_check.py --parts small --out "$out" 2>&1 | tee "$out/small.log"
rm -f "$out/gpu_check.sqlite"  # the measurements are in gpu_check.json
