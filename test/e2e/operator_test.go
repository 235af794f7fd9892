package e2e_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// operator is the contactsync binary running as a local process.
type operator struct {
	cmd *exec.Cmd
	log string
	// done is closed when the process has exited; err is then its exit error.
	done chan struct{}
	err  error
}

// buildOperator compiles the operator as `make build` does.
func buildOperator(t *testing.T, root, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "contactsync")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the operator: %v\n%s", err, out)
	}
	return bin
}

// startOperator runs the binary against kubeconfig, with its log in dir.
func startOperator(t *testing.T, bin, dir, kubeconfig, webhookAddr string) *operator {
	t.Helper()
	op := &operator{log: filepath.Join(dir, "operator.log"), done: make(chan struct{})}
	logf, err := os.Create(op.log)
	if err != nil {
		t.Fatal(err)
	}
	op.cmd = exec.Command(bin, "--metrics-bind-address", "0", "--health-probe-bind-address", freeAddr(t),
		"--webhook-bind-address", webhookAddr, "--leader-elect=false")
	op.cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	op.cmd.Stdout, op.cmd.Stderr = logf, logf
	if err := op.cmd.Start(); err != nil {
		t.Fatalf("start the operator: %v", err)
	}
	go func() {
		op.err = op.cmd.Wait()
		logf.Close()
		close(op.done)
	}()
	t.Cleanup(func() {
		// Only if the test stopped early: the test itself checks the clean stop.
		if gone, _ := op.exited(); !gone {
			_ = op.cmd.Process.Kill()
			<-op.done
		}
		if t.Failed() {
			t.Logf("the end of the operator log:\n%s", op.tail(60))
		}
	})
	return op
}

// stop sends SIGTERM and returns how the operator exited.
func (op *operator) stop(timeout time.Duration) error {
	if err := op.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-op.done:
		return op.err
	case <-time.After(timeout):
		return errors.New("the operator did not exit within " + timeout.String() + " of SIGTERM")
	}
}

// exited reports whether the operator died early, with its error.
func (op *operator) exited() (bool, error) {
	select {
	case <-op.done:
		return true, op.err
	default:
		return false, nil
	}
}

func (op *operator) tail(lines int) string {
	b, _ := os.ReadFile(op.log)
	all := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return string(bytes.Join(all, []byte("\n")))
}

// freeAddr is a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// repoRoot is the directory of go.mod above the test's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/contactsync/contactsync\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod of github.com/contactsync/contactsync above the test directory")
		}
		dir = parent
	}
}
