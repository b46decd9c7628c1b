package smtp

import "crypto/x509"

// SetRootCAs makes c trust roots alone, as the tests of TLS against smtptest need.
func (c *Client) SetRootCAs(roots *x509.CertPool) { c.tlsConfig.RootCAs = roots }
