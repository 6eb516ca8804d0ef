#!/usr/bin/env bash
# The one prepared run on a lent GPU machine: unpacks what scripts/device-prepare.sh packed, then runs the kernel
# benchmark on the real GPU (Dawn, Vulkan) and leaves its table in $OUT/bench-gpu.md, then the model benchmark for the
# Qwen2.5-0.5B shape (a LoRA q/k/v/o training step at batch 4 x seq 256 and decode at batch 1, 8, 32, 64: dispatches,
# JavaScript and GPU time per step, tokens/s) in $OUT/bench-model-gpu.md, for docs/benchmarks.md.
# Device tool call: command "bash scripts/device-bench.sh", carry [".device"], timeout_s 540.
# Rehearse it here on a copy without node_modules:
#   BENCH_ADAPTERS=lavapipe BENCH_ARGS=--quick MODEL_DEVICE=null OUT=/tmp/o bash scripts/device-bench.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/device-out}
mkdir -p "$OUT" /tmp/dev/bin
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .device/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
xz -dc .device/node.xz > /tmp/dev/bin/node && chmod +x /tmp/dev/bin/node
export PATH=/tmp/dev/bin:$PATH
xz -dc .device/modules.tar.xz | tar -xf -
# Where the NVIDIA ICD is not registered in the usual place (device README).
[ -e /usr/share/vulkan/icd.d/nvidia_icd.json ] || [ ! -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] ||
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
{ date -u; nvidia-smi --query-gpu=name,clocks.max.sm,memory.total --format=csv 2>&1; node --version; } | tee "$OUT/machine.txt"
timeout "${KERNELS_TIMEOUT:-300}" node node_modules/tsx/dist/cli.mjs --import ./scripts/raw-loader.mjs src/cli/bench-kernels.ts --adapters "${BENCH_ADAPTERS:-gpu}" ${BENCH_ARGS:-} 2>&1 | tee "$OUT/bench-gpu.md"
# Random f16 weights of the 0.5B shape (nothing to download). Rehearsals here pass MODEL_DEVICE=null (counts only).
timeout "${MODEL_TIMEOUT:-200}" node node_modules/tsx/dist/cli.mjs --import ./scripts/raw-loader.mjs src/cli/bench-model.ts --shape qwen2.5-0.5b \
  --device "${MODEL_DEVICE:-gpu}" --batch 4 --seq 256 --lora q,k,v,o --decode 1,8,32,64 ${MODEL_ARGS:-} 2>&1 | tee "$OUT/bench-model-gpu.md"
