#!/usr/bin/env bash
# Installs Debian's Bazel 4.2.3 (bazel-bootstrap) and the rules_java that
# WORKSPACE points at (bazel-rules-java), only if they are missing. Idempotent;
# writes nothing outside the repository except what apt-get does.
set -euo pipefail

packages=(bazel-bootstrap bazel-rules-java)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || {
      echo "bazel_setup.sh: need root (or sudo) to install: ${missing[*]}" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  echo "bazel_setup.sh: installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# What WORKSPACE relies on.
for f in /usr/share/bazel/rules/java/WORKSPACE /usr/share/bazel/platforms/WORKSPACE; do
  [[ -e $f ]] || { echo "bazel_setup.sh: missing $f" >&2; exit 1; }
done
command -v bazel >/dev/null || { echo "bazel_setup.sh: no bazel on PATH" >&2; exit 1; }
echo "bazel_setup.sh: $(bazel --version) from $(dpkg-query -W -f='${Package} ${Version}' bazel-bootstrap)"
