#!/usr/bin/env bash
# Packs what `scripts/device-bench.sh` needs on a lent GPU machine, which has no Node, no npm and no Vulkan loader:
# .device/node.xz (this machine's node), .device/modules.tar.xz (the node_modules the kernel benchmark loads, Linux
# x64 binaries only) and .device/gl/*.deb (the Vulkan loader). .device/ is git-excluded; the device tool carries it.
# Run here after `npm ci`:  bash scripts/device-prepare.sh        (then see docs/benchmarks.md, "On a real GPU")
set -euo pipefail
cd "$(dirname "$0")/.."
# Keep .device/ out of git: in the main checkout through .git/info/exclude; a linked worktree shares that file with
# every other checkout, so there we only warn (add files by name there, not with `git add -A`).
if [ "$(git rev-parse --git-dir)" = "$(git rev-parse --git-common-dir)" ]; then
  grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
else
  echo "note: linked worktree: .device/ is not git-excluded here; do not 'git add -A'" >&2
fi
rm -rf .device && mkdir -p .device/gl /tmp/amd64/partial
xz -T0 -6 -c "$(command -v node)" > .device/node.xz
# The benchmark's imports: tsx (runs the TypeScript) with esbuild, Dawn, and the tfjs peer with its dependencies.
modules=(tsx esbuild @esbuild/linux-x64 get-tsconfig resolve-pkg-maps webgpu/index.js webgpu/package.json webgpu/dist/linux-x64
  @tensorflow/tfjs-core @tensorflow/tfjs-backend-webgpu @tensorflow/tfjs-backend-cpu long seedrandom node-fetch whatwg-url tr46
  webidl-conversions)
present=()
for m in "${modules[@]}"; do [ -e "node_modules/$m" ] && present+=("node_modules/$m"); done
tar -cf - "${present[@]}" | xz -T0 -6 > .device/modules.tar.xz
# The Vulkan loader, as the device README says (downloaded for amd64 whatever this machine is).
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update -qq
(cd .device/gl && apt-get $o download libvulkan1 >/dev/null)
du -sh .device/* .device/gl/*
