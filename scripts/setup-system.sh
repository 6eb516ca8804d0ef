#!/usr/bin/env bash
# Installs the system packages the tests need on Debian 12, and does nothing when they are present.
#
# Why each one:
#  - chromium: the end-to-end tests drive Debian's Chromium (Playwright never downloads a browser here);
#    it also ships the SwiftShader Vulkan driver (/usr/lib/chromium/vk_swiftshader_icd.json), a CPU
#    WebGPU adapter for Node's Dawn.
#  - mesa-vulkan-drivers from bookworm-backports: lavapipe, the faster CPU Vulkan driver. Debian 12's own
#    Mesa 22.3 is refused by Dawn, so the backport (Mesa 25) is required.
# On a machine that is not Debian (a laptop with Chrome and a GPU) it explains what it skipped and exits 0.
set -euo pipefail

need_chromium=0; need_lavapipe=0
[ -x /usr/bin/chromium ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] || need_chromium=1
[ -f /usr/share/vulkan/icd.d/lvp_icd.json ] || need_lavapipe=1

if [ "$need_chromium$need_lavapipe" = "00" ]; then
  echo "setup-system: chromium and lavapipe already present, nothing to do"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: no apt-get here; install Chromium/Chrome and a Vulkan driver yourself (tests use what they find)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-system: missing packages (chromium=$need_chromium lavapipe=$need_lavapipe) but not root; run: sudo bash scripts/setup-system.sh" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ "$need_lavapipe" = 1 ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "setup-system: adding bookworm-backports (Mesa 25 for lavapipe)"
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
echo "setup-system: apt-get update"
apt-get update -qq
if [ "$need_chromium" = 1 ]; then
  echo "setup-system: installing chromium"
  apt-get install -y -qq chromium >/dev/null
fi
if [ "$need_lavapipe" = 1 ]; then
  echo "setup-system: installing mesa-vulkan-drivers from bookworm-backports"
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
fi
echo "setup-system: done"
