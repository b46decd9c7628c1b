package directory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// Email domains are claimed by a home and proven by a DNS TXT record; a
// proven domain sends sign-ins of its addresses to its home's providers.
// Claims are managed like providers, by the managers of the home's people.

// DomainName returns the canonical form of a domain (IDNA lookup form,
// lower case) or a field error.
func DomainName(raw string) (string, error) {
	raw = strings.TrimSuffix(strings.TrimSpace(raw), ".")
	if raw == "" || strings.ContainsAny(raw, "@/: ") {
		return "", gh.Invalid("invalid_domain", "domain", "must be a domain name such as example.com")
	}
	email := gh.CanonicalEmail("x@" + raw)
	if msg := gh.CheckEmail(email); msg != "" || !strings.Contains(raw, ".") {
		return "", gh.Invalid("invalid_domain", "domain", "must be a domain name such as example.com")
	}
	return email[strings.IndexByte(email, '@')+1:], nil
}

// ClaimDomain claims a domain for the scope's home and returns the claim,
// with the TXT value to publish. An organization claims a name once.
func (d *Directory) ClaimDomain(ctx context.Context, a *Actor, s Scope, raw string) (*gh.Domain, gh.Revision, error) {
	if err := d.requireProviders(a, s); err != nil {
		return nil, 0, err
	}
	name, err := DomainName(raw)
	if err != nil {
		return nil, 0, err
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	dom := &gh.Domain{ID: gh.DomainID(gh.NewID("dom")), Home: s.Home(), Name: name, Token: "gatehouse-verification=" + hex.EncodeToString(b[:])}
	rev, err := d.write(ctx, a, func(w *writer) error {
		if len(d.idx.Domains(s.Org.ID, func(x *gh.Domain) bool { return x.Name == name })) > 0 {
			return gh.Errorf(gh.KindConflict, "domain_claimed", "the organization claims %s already", name)
		}
		ev := w.event(dom.Org, dom.Workspace, "domain.claim", gh.KindDomain, string(dom.ID))
		dom.Touch(w.rev(), w.now)
		change(ev, gh.KindDomain, string(dom.ID), nil, dom)
		return nil
	})
	return dom, rev, err
}

// GetDomain returns a claim of the scope's home.
func (d *Directory) GetDomain(a *Actor, s Scope, id gh.DomainID) (*gh.Domain, error) {
	dom := d.idx.Domain(id)
	if dom == nil || dom.Org != s.Org.ID || !s.Contains(dom.Home) {
		return nil, gh.NotFound("domain")
	}
	if err := d.requireProviders(a, s); err != nil {
		return nil, err
	}
	return dom, nil
}

// ListDomains lists the claims of the scope's home.
func (d *Directory) ListDomains(a *Actor, s Scope) ([]*gh.Domain, error) {
	if err := d.requireProviders(a, s); err != nil {
		return nil, err
	}
	return d.idx.Domains(s.Org.ID, func(x *gh.Domain) bool { return s.Contains(x.Home) }), nil
}

// VerifyDomain marks a claim proven when txt (the records published at its
// TXT name) holds its token. A domain another organization proved first
// answers domain_taken: the caller has just shown it controls the DNS, so
// the refusal tells it nothing it may not know.
func (d *Directory) VerifyDomain(ctx context.Context, a *Actor, s Scope, id gh.DomainID, txt []string) (*gh.Domain, gh.Revision, error) {
	if _, err := d.GetDomain(a, s, id); err != nil {
		return nil, 0, err
	}
	var out *gh.Domain
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Domain(id)
		if cur == nil {
			return gh.NotFound("domain")
		}
		if !slices.Contains(txt, cur.Token) {
			return gh.Errorf(gh.KindInvalid, "domain_unverified",
				"no TXT record at %s holds %q yet; publish it and try again (DNS changes may take a while)", cur.TXTName(), cur.Token)
		}
		if cur.Verified() {
			out = cur
			return nil
		}
		if other := d.idx.VerifiedDomain(cur.Name); other != nil {
			return gh.Errorf(gh.KindConflict, "domain_taken", "%s is verified by another organization already", cur.Name)
		}
		next := *cur
		next.VerifiedAt = w.now
		ev := w.event(cur.Org, cur.Workspace, "domain.verify", gh.KindDomain, string(id))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindDomain, string(id), cur, &next)
		out = &next
		return nil
	})
	return out, rev, err
}

// ReleaseDomain removes a claim.
func (d *Directory) ReleaseDomain(ctx context.Context, a *Actor, s Scope, id gh.DomainID) (gh.Revision, error) {
	if _, err := d.GetDomain(a, s, id); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Domain(id)
		if cur == nil {
			return gh.NotFound("domain")
		}
		ev := w.event(cur.Org, cur.Workspace, "domain.release", gh.KindDomain, string(id))
		change(ev, gh.KindDomain, string(id), cur, nil)
		return nil
	})
}

// HomeRealm finds where an email signs in: the home that proved its
// domain and that home's enabled providers. ok is false when no home
// proved it.
func (d *Directory) HomeRealm(email string) (gh.Home, []*gh.IdentityProvider, bool) {
	email = gh.CanonicalEmail(email)
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return gh.Home{}, nil, false
	}
	dom := d.idx.VerifiedDomain(email[at+1:])
	if dom == nil {
		return gh.Home{}, nil, false
	}
	return dom.Home, d.ProvidersOf(dom.Home), true
}
