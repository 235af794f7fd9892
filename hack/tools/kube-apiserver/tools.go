//go:build tools

// Package tools pins kube-apiserver so that hack/build-tools.sh can build it
// from the Go module proxy; it is its own module to keep its large dependency
// graph out of the operator's go.mod.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
