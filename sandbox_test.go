package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSandboxFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--nope"}, "flag provided but not defined"},
		{"extra argument", []string{"serve"}, `unexpected argument "serve"`},
		{"non-loopback address", []string{"--address", "0.0.0.0:8900"}, "loopback"},
		{"negative customers", []string{"--customers", "-1"}, "--customers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := sandboxMain(context.Background(), tc.args, &out, &errOut); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("stderr %q does not say %q", errOut.String(), tc.want)
			}
		})
	}
}

// The command writes the manifests (owner-only: they hold credentials),
// prints the endpoints, serves until its context ends and exits 0.
func TestSandboxServesUntilStopped(t *testing.T) {
	file := filepath.Join(t.TempDir(), "demo.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- sandboxMain(ctx, []string{"--address", "127.0.0.1:0", "--customers", "5", "--manifests", file}, &out, &errOut)
	}()
	deadline := time.Now().Add(20 * time.Second)
	var fi os.FileInfo
	for time.Now().Before(deadline) {
		var err error
		if fi, err = os.Stat(file); err == nil && fi.Size() > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; stderr: %s", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the sandbox did not stop")
	}
	if fi == nil {
		t.Fatal("no manifests written")
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("manifests mode %v, want 0600", fi.Mode().Perm())
	}
	y, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "kind: ContactSync") || !strings.Contains(string(y), "endpoint: http://127.0.0.1:") {
		t.Errorf("manifests lack ContactSyncs or sandbox endpoints:\n%s", y)
	}
	for _, want := range []string{"/quickbooks/harbor-bikes", "/mailchimp/lakeside-dental", "stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
