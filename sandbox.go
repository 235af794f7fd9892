package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/contactsync/contactsync/internal/sandboxserver"
)

// runSandbox serves every provider emulator on loopback with generated data
// until SIGINT or SIGTERM.
func runSandbox(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return sandboxMain(ctx, args, os.Stdout, os.Stderr)
}

func sandboxMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("contactsync sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr      = fs.String("address", "127.0.0.1:8900", "Loopback address to serve every emulator on.")
		customers = fs.Int("customers", sandboxserver.DefaultCustomers, "Customers or donors generated in every source account.")
		seed      = fs.Uint64("seed", 42, "Seed of the generated data (the same seed gives the same people).")
		manifests = fs.String("manifests", "", "Write the namespace, Secrets and sample objects pointed at the sandbox to this YAML file.")
		namespace = fs.String("namespace", "contactsync-demo", "Namespace of the objects in --manifests.")
		webhooks  = fs.String("webhook-url", "", "Base URL of the operator's webhook receiver (http://127.0.0.1:9292): Flipcause donors and QuickBooks changes are delivered there.")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: contactsync sandbox [flags]\n\nServes the QuickBooks, Magento, Kibo, Flipcause, Mailchimp and Constant Contact emulators on\nloopback with generated data, one account per seed integration, until interrupted.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "contactsync sandbox: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *customers < 0 || *customers > 1_000_000 {
		fmt.Fprintln(stderr, "contactsync sandbox: --customers must be between 0 and 1000000")
		return 2
	}
	ln, err := sandboxserver.Listen(*addr)
	if err != nil {
		fmt.Fprintln(stderr, "contactsync sandbox:", err)
		return 2
	}
	sb, err := sandboxserver.New(sandboxserver.Options{Customers: *customers, Seed: *seed, WebhookURL: *webhooks, Namespace: *namespace})
	if err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "contactsync sandbox:", err)
		return 1
	}
	base := "http://" + ln.Addr().String()
	if *manifests != "" {
		y, err := sb.Manifests(base)
		if err == nil {
			// The file holds the emulators' credentials: readable by its owner only.
			err = os.WriteFile(*manifests, y, 0o600)
		}
		if err != nil {
			ln.Close()
			fmt.Fprintln(stderr, "contactsync sandbox: writing the manifests:", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "ContactSync sandbox serving at %s (%d customers per source, seed %d)\n\n", base, sb.Options().Customers, *seed)
	sb.WriteEndpoints(stdout, base)
	if *manifests != "" {
		fmt.Fprintf(stdout, "\nManifests: %s (kubectl apply -f %s)\n", *manifests, *manifests)
	}
	fmt.Fprintln(stdout, "\nPress Ctrl-C to stop.")
	if err := sb.Serve(ctx, ln); err != nil {
		fmt.Fprintln(stderr, "contactsync sandbox:", err)
		return 1
	}
	fmt.Fprintln(stdout, "contactsync sandbox: stopped")
	return 0
}
