#!/usr/bin/env bash
# Builds the tools the tests and the demo need into bin/, from the Go module
# proxy only (no release downloads): etcd and kube-apiserver for envtest and
# the local control plane, controller-gen for manifests, helm for the chart.
# A tool already in bin/ is kept. Built binaries are also cached outside the
# checkout (TOOLS_CACHE, default ~/.cache/contactsync-tools/<version>) so a
# fresh clone on the same machine starts in seconds instead of ~10 minutes.
#
# Usage: hack/build-tools.sh [etcd] [kube-apiserver] [controller-gen] [helm]   (default: all)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
mkdir -p "$bin"

ETCD_VERSION=v3.6.16
KUBE_VERSION=v1.37.2
CONTROLLER_GEN_VERSION=v0.23.0
HELM_VERSION=v3.22.0
cache="${TOOLS_CACHE:-$HOME/.cache/contactsync-tools}"

# build NAME VERSION COMMAND...: skip when bin/NAME exists, reuse the cache
# when it has this version, otherwise run COMMAND (which writes bin/NAME).
build() {
  local name=$1 version=$2; shift 2
  if [ -x "$bin/$name" ]; then return; fi
  local cached="$cache/$name-$version"
  if [ -x "$cached" ]; then
    cp "$cached" "$bin/$name"
    return
  fi
  echo ">> building $name $version (first time only; cached afterwards)" >&2
  "$@"
  mkdir -p "$cache"
  cp "$bin/$name" "$cached.tmp" && mv "$cached.tmp" "$cached"
}

build_etcd() {
  (cd "$root/hack/tools/etcd" && go build -o "$bin/etcd" go.etcd.io/etcd/server/v3)
}

build_kube_apiserver() {
  (cd "$root/hack/tools/kube-apiserver" && go build \
    -ldflags "-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" \
    -o "$bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
}

build_controller_gen() {
  GOBIN="$bin" go install "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION"
}

build_helm() {
  GOBIN="$bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(etcd kube-apiserver controller-gen helm)
for t in "${tools[@]}"; do
  case $t in
    etcd) build etcd "$ETCD_VERSION" build_etcd ;;
    kube-apiserver) build kube-apiserver "$KUBE_VERSION" build_kube_apiserver ;;
    controller-gen) build controller-gen "$CONTROLLER_GEN_VERSION" build_controller_gen ;;
    helm) build helm "$HELM_VERSION" build_helm ;;
    *) echo "unknown tool: $t" >&2; exit 2 ;;
  esac
done
