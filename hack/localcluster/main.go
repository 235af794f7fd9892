// Command localcluster runs a local Kubernetes control plane (etcd and
// kube-apiserver from bin/, through controller-runtime's envtest) with the
// ContactSync CRDs installed, for `make demo`:
//
//	go run ./hack/localcluster --kubeconfig /tmp/demo/kubeconfig
//
// It writes an admin kubeconfig, prints "ready", and stops the control
// plane on SIGINT or SIGTERM. There are no nodes: the operator runs as a
// local process against it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

func main() {
	os.Exit(run())
}

func run() int {
	// controller-runtime registers its own --kubeconfig on the global flag set.
	fs := flag.NewFlagSet("localcluster", flag.ExitOnError)
	var (
		kubeconfig = fs.String("kubeconfig", "", "Write the admin kubeconfig to this file (required).")
		binDir     = fs.String("bin", "bin", "Directory holding the etcd and kube-apiserver binaries (hack/build-tools.sh builds them).")
		crdDir     = fs.String("crds", filepath.Join("config", "crd", "bases"), "Directory of the CRDs to install.")
	)
	_ = fs.Parse(os.Args[1:])
	if *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "localcluster: --kubeconfig is required")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	env := &envtest.Environment{
		BinaryAssetsDirectory: *binDir,
		CRDDirectoryPaths:     []string{*crdDir},
		ErrorIfCRDPathMissing: true,
	}
	if _, err := env.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "localcluster: starting the control plane (binaries from %s; run hack/build-tools.sh): %v\n", *binDir, err)
		return 1
	}
	code := serve(ctx, env, *kubeconfig)
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster: stopping the control plane:", err)
		code = 1
	}
	if code == 0 {
		fmt.Println("stopped")
	}
	return code
}

// serve writes the kubeconfig and waits for ctx; the caller stops env.
func serve(ctx context.Context, env *envtest.Environment, kubeconfig string) int {
	user, err := env.AddUser(envtest.User{Name: "demo", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "localcluster: adding the admin user:", err)
		return 1
	}
	cfg, err := user.KubeConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "localcluster: rendering the kubeconfig:", err)
		return 1
	}
	if err := writeAtomically(kubeconfig, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster: writing the kubeconfig:", err)
		return 1
	}
	defer os.Remove(kubeconfig)
	fmt.Printf("ready: kube-apiserver at %s, kubeconfig %s\n", env.Config.Host, kubeconfig)
	<-ctx.Done()
	return 0
}

// writeAtomically writes data (a credential: owner-only) so that a reader
// waiting for the file never sees it half written.
func writeAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kubeconfig-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
