// Package chart holds the tests of the Helm chart (charts/contactsync), the kustomize
// configuration (config/) and the samples: helm lint, golden renders, assertions on the
// rendered objects, drift checks against the generated CRDs, and an install into a local
// control plane (envtest). The tests run bin/helm, or the helm named by $HELM.
package chart
