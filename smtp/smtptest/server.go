// Package smtptest runs a real SMTP server in the test process, built on
// github.com/emersion/go-smtp, that records the mail it accepts. Tests point a client at
// URL, read what arrived with Messages or WaitFor, and inject the failures a sender must
// survive: answers with a chosen code (FailNext) and a server that is down (Stop, Restart).
package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/url"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Server is an SMTP server on 127.0.0.1 that keeps every message it accepts, in order.
// Its methods are safe for concurrent use.
type Server struct {
	addr        string // host:port, kept across Stop and Restart
	tlsConfig   *tls.Config
	roots       *x509.CertPool
	startTLS    bool
	implicitTLS bool
	user, pass  string

	mu       sync.Mutex
	srv      *smtp.Server // nil while stopped
	ln       net.Listener
	msgs     []Message
	failLeft int
	failCode int
	changed  chan struct{} // closed and replaced when a message arrives
}

// Option configures a Server at Start.
type Option func(*Server)

// WithStartTLS makes the server offer STARTTLS with a certificate for 127.0.0.1 that only
// RootCAs vouches for.
func WithStartTLS() Option { return func(s *Server) { s.startTLS = true } }

// WithImplicitTLS makes the server speak TLS from the first byte, as smtps:// expects.
func WithImplicitTLS() Option { return func(s *Server) { s.implicitTLS = true } }

// WithAuth makes the server require AUTH PLAIN with these credentials before MAIL, answering
// 530 otherwise. go-smtp offers AUTH only under TLS, so combine it with a TLS option.
func WithAuth(user, pass string) Option { return func(s *Server) { s.user, s.pass = user, pass } }

// Start starts a server on a free port of 127.0.0.1; it stops in t's cleanup.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{changed: make(chan struct{})}
	for _, opt := range opts {
		opt(s)
	}
	if s.startTLS || s.implicitTLS {
		var err error
		if s.tlsConfig, s.roots, err = selfSigned(); err != nil {
			t.Fatalf("smtptest: certificate: %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// URL returns the server's address as a client setting: smtp:// or smtps://, with the
// credentials of WithAuth.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.addr}
	if s.implicitTLS {
		u.Scheme = "smtps"
	}
	if s.user != "" {
		u.User = url.UserPassword(s.user, s.pass)
	}
	return u.String()
}

// Addr returns the host:port the server listens on, the same across Stop and Restart.
func (s *Server) Addr() string { return s.addr }

// RootCAs returns the pool that trusts the server's certificate, or nil without TLS.
func (s *Server) RootCAs() *x509.CertPool { return s.roots }

// Messages returns a copy of the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until at least n messages have arrived and returns them all; after timeout it
// fails the test, saying how many came.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		msgs, changed := append([]Message(nil), s.msgs...), s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("smtptest: %d messages arrived within %v, want %d", len(msgs), timeout, n)
		}
	}
}

// FailNext makes the next n messages fail: their DATA is read and then answered with code
// (451 for a temporary failure, 550 for a permanent one) instead of being recorded.
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failCode = n, code
}

// Stop closes the listener and every open connection, so that clients find the port
// refusing connections. Messages are kept. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// Serve may not have registered ln with srv yet, so that Close would miss it.
		ln.Close()
		srv.Close()
	}
}

// Restart listens again on the address of Start after a Stop; the fault plan and the
// messages received so far are kept. It fails the test if the port was taken meanwhile.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		return
	}
	// Closed sockets may linger in the kernel for a moment; try briefly.
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", s.addr); !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("smtptest: restart on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	// RFC 5321 §4.5.3.1.6: a line is at most 1000 octets with its CRLF, so a client that
	// does not wrap long lines fails here as it would at a strict relay.
	srv.MaxLineLength = 1000
	srv.MaxMessageBytes = 10 << 20
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	// Its log would outlive the test that started it; failures reach the client anyway.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if s.implicitTLS {
		ln = tls.NewListener(ln, s.tlsConfig)
	} else if s.startTLS {
		srv.TLSConfig = s.tlsConfig
	}
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go srv.Serve(ln)
}

// record keeps m and wakes the waiters.
func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

// takeFailure returns the code the current message must be answered with, or 0.
func (s *Server) takeFailure() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failLeft <= 0 {
		return 0
	}
	s.failLeft--
	return s.failCode
}
