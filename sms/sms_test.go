package sms

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// TestGatewayFailuresAreErrors: a refusal or a gateway slower than the
// timeout is an unavailable error for the user, never a success.
func TestGatewayFailuresAreErrors(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no credit", http.StatusPaymentRequired)
	}))
	t.Cleanup(func() { close(release); slow.Close(); refusing.Close() })
	for name, url := range map[string]string{"slow": slow.URL, "refusing": refusing.URL, "absent": "http://127.0.0.1:1/"} {
		t.Run(name, func(t *testing.T) {
			c := &Client{URL: url, Secret: "s", Timeout: 200 * time.Millisecond}
			start := time.Now()
			err := c.Text(context.Background(), "+447700900123", "123456 is your code", "otp_1")
			if e := gh.AsError(err); err == nil || e.Kind != gh.KindUnavailable || e.Code != "sms_failed" {
				t.Fatalf("Text = %v, want an unavailable sms_failed error", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Text took %s, want it cut at the timeout", d)
			}
		})
	}
}
