// Package e2e holds the headless form of `make demo`: the operator binary
// against a local control plane (envtest) and the sandbox of emulators,
// with the samples applied, until the first syncs have landed contacts in
// the target emulators. It runs with `make test` (KUBEBUILDER_ASSETS set).
package e2e
