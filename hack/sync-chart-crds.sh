#!/usr/bin/env bash
# Copies the generated CRDs (config/crd/bases, from `make manifests`) into the Helm chart,
# where templates/crds.yaml renders them behind crds.install and adds the
# helm.sh/resource-policy: keep annotation. Run it after every `make manifests`;
# test/chart fails while the copies differ.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/config/crd/bases"
dst="$root/charts/contactsync/files/crds"

shopt -s nullglob
crds=("$src"/*.yaml)
if [ ${#crds[@]} -eq 0 ]; then
  echo "no CRDs in $src: run make manifests first" >&2
  exit 1
fi

mkdir -p "$dst"
rm -f "$dst"/*.yaml
cp "${crds[@]}" "$dst"/
echo "copied ${#crds[@]} CRDs into ${dst#"$root"/}"
