package saml

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"
)

const (
	maxMetadataSize = 1 << 20 // 1 MiB: far above any real IdP's metadata
	fetchTimeout    = 15 * time.Second
)

// NewKeyPair makes the SP's RSA 2048 key and a self-signed certificate valid
// for ten years, both PEM. SAML peers pin the certificate from our metadata,
// so its issuer and lifetime carry no trust; a long life spares rotations.
func NewKeyPair(commonName string) (keyPEM, certPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("saml key pair: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, fmt.Errorf("saml key pair: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		// Backdated a day: a peer whose clock runs behind ours must not
		// find the certificate not yet valid.
		NotBefore: now.Add(-24 * time.Hour),
		NotAfter:  now.AddDate(10, 0, 0),
		KeyUsage:  x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("saml key pair: %w", err)
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return keyPEM, certPEM, nil
}

// FetchMetadata GETs an IdP's metadata. It gives up after 15 seconds (or
// the context's deadline) and refuses non-200 answers and bodies over
// 1 MiB, with an error that names the URL. A nil client means
// http.DefaultClient.
func FetchMetadata(ctx context.Context, url string, client *http.Client) ([]byte, error) {
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch saml metadata %q: %w", url, err)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch saml metadata %q: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch saml metadata %q: status %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("fetch saml metadata %q: %w", url, err)
	}
	if len(body) > maxMetadataSize {
		return nil, fmt.Errorf("fetch saml metadata %q: %w", url, errTooLarge)
	}
	return body, nil
}

var errTooLarge = errors.New("larger than 1 MiB")
