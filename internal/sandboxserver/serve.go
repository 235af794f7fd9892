package sandboxserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Listen opens addr ("127.0.0.1:8900") for the sandbox. Only loopback
// addresses are accepted: the emulators hand out credentials to anyone who
// asks (/_sandbox/credentials) and must never be reachable from elsewhere.
func Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox address %q: %w", addr, err)
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("sandbox address %q: the host must be a loopback address (127.0.0.1, ::1 or localhost)", addr)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox address %q: %w", addr, err)
	}
	// localhost may resolve to a non-loopback address on odd hosts: check what we got.
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		ln.Close()
		return nil, fmt.Errorf("sandbox address %q: resolved to %s, which is not a loopback address", addr, ip)
	}
	return ln, nil
}

// shutdownGrace bounds how long in-flight requests may take once the
// sandbox is told to stop.
const shutdownGrace = 5 * time.Second

// Serve serves the emulators on ln, and delivers their webhooks to
// Options.WebhookURL, until ctx ends; it then stops taking requests, waits
// for those in flight (at most a few seconds) and returns nil.
func (s *Sandbox) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	dctx, stopDeliveries := context.WithCancel(ctx)
	defer func() { stopDeliveries(); wg.Wait() }()
	if s.opts.WebhookURL != "" {
		for _, e := range s.Emulators() {
			if e.deliver != nil {
				wg.Go(func() { e.deliver(dctx, s.opts.WebhookURL) })
			}
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		err = srv.Shutdown(sctx)
		cancel()
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
