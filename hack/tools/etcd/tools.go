//go:build tools

// Package tools pins etcd so that hack/build-tools.sh can build it from the
// Go module proxy, in a module of its own.
package tools

import _ "go.etcd.io/etcd/server/v3"
