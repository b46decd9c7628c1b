package directory

import (
	"context"
	"strconv"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// Identity providers are managed by whoever manages the people of their
// home: Org Admins for the organization's, holders of workspace.users.add
// for a workspace's. A provider is addressed in its home's scope only, so a
// provider of another home answers as if it did not exist.

// requireProviders checks the right to see and change the scope's providers.
func (d *Directory) requireProviders(a *Actor, s Scope) error {
	if err := d.requireRead(a, s); err != nil {
		return err
	}
	return d.requireManage(a, s, gh.CapUsersAdd, "manage identity providers")
}

// MayManageProviders reports whether a may manage the scope's providers
// and domains; services check it before they call out to a provider.
func (d *Directory) MayManageProviders(a *Actor, s Scope) error { return d.requireProviders(a, s) }

// GetProvider returns a provider of the scope's home.
func (d *Directory) GetProvider(a *Actor, s Scope, id gh.ProviderID) (*gh.IdentityProvider, error) {
	p := d.idx.Provider(id)
	if p == nil || p.Org != s.Org.ID || !s.Contains(p.Home) {
		return nil, gh.NotFound("identity provider")
	}
	if err := d.requireProviders(a, s); err != nil {
		return nil, err
	}
	return p, nil
}

// ListProviders lists the providers of the scope's home, by id.
func (d *Directory) ListProviders(a *Actor, s Scope) ([]*gh.IdentityProvider, error) {
	if err := d.requireProviders(a, s); err != nil {
		return nil, err
	}
	return d.idx.Providers(s.Org.ID, func(p *gh.IdentityProvider) bool { return s.Contains(p.Home) }), nil
}

// ProvidersOf lists the enabled providers of a home, for the sign-in page;
// it needs no actor, as a home's sign-in choices are public to whoever
// names the home.
func (d *Directory) ProvidersOf(h gh.Home) []*gh.IdentityProvider {
	return d.idx.Providers(h.Org, func(p *gh.IdentityProvider) bool { return p.Home == h && !p.Disabled })
}

// Provider returns any provider by id, for the sign-in endpoints, which
// act for nobody yet: nil when it does not exist.
func (d *Directory) Provider(id gh.ProviderID) *gh.IdentityProvider { return d.idx.Provider(id) }

// CreateProvider adds p (prepared by its protocol package) to the scope's
// home, with its sealed secrets.
func (d *Directory) CreateProvider(ctx context.Context, a *Actor, s Scope, p *gh.IdentityProvider, sealed string) (gh.Revision, error) {
	if err := d.requireProviders(a, s); err != nil {
		return 0, err
	}
	p.Home, p.Name = s.Home(), gh.CleanName(p.Name)
	if err := p.Validate(); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		if d.providerNamed(p.Home, p.Name) != nil {
			return nameTaken("identity provider here")
		}
		ev := w.event(p.Org, p.Workspace, "idp.create", gh.KindProvider, string(p.ID))
		p.Touch(w.rev(), w.now)
		change(ev, gh.KindProvider, string(p.ID), nil, p)
		return w.vault.PutProviderSecret(p.Org, p.ID, sealed)
	})
}

// ReplaceProvider replaces a provider's settings; an empty sealed keeps its secrets.
func (d *Directory) ReplaceProvider(ctx context.Context, a *Actor, s Scope, p *gh.IdentityProvider, sealed string, ifMatch gh.Revision) (gh.Revision, error) {
	if _, err := d.GetProvider(a, s, p.ID); err != nil {
		return 0, err
	}
	p.Home, p.Name = s.Home(), gh.CleanName(p.Name)
	if err := p.Validate(); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Provider(p.ID)
		if cur == nil {
			return gh.NotFound("identity provider")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		if other := d.providerNamed(p.Home, p.Name); other != nil && other.ID != p.ID {
			return nameTaken("identity provider here")
		}
		if p.Disabled && !cur.Disabled {
			if err := d.keepsSSOUsable(cur); err != nil {
				return err
			}
		}
		p.Meta = cur.Meta
		ev := w.event(p.Org, p.Workspace, "idp.update", gh.KindProvider, string(p.ID))
		p.Touch(w.rev(), w.now)
		change(ev, gh.KindProvider, string(p.ID), cur, p)
		if sealed == "" {
			return nil
		}
		return w.vault.PutProviderSecret(p.Org, p.ID, sealed)
	})
}

// DeleteProvider removes a provider, its secrets and every group's
// reference to it. Its users stay, with their passwords and factors.
func (d *Directory) DeleteProvider(ctx context.Context, a *Actor, s Scope, id gh.ProviderID, ifMatch gh.Revision) (gh.Revision, error) {
	if _, err := d.GetProvider(a, s, id); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Provider(id)
		if cur == nil {
			return gh.NotFound("identity provider")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		if err := d.keepsSSOUsable(cur); err != nil {
			return err
		}
		ev := w.event(cur.Org, cur.Workspace, "idp.delete", gh.KindProvider, string(id))
		change(ev, gh.KindProvider, string(id), cur, nil)
		for _, g := range d.idx.GroupsIn(cur.Home, func(g *gh.Group) bool { return hasExternalOf(g, id) }) {
			next := *g
			next.External = withoutProvider(g.External, id)
			next.Touch(w.rev(), w.now)
			change(ev, gh.KindGroup, string(g.ID), g, &next)
		}
		return w.vault.DeleteProviderSecret(id)
	})
}

func (d *Directory) providerNamed(h gh.Home, name string) *gh.IdentityProvider {
	ps := d.idx.Providers(h.Org, func(p *gh.IdentityProvider) bool {
		return p.Home == h && strings.EqualFold(p.Name, name)
	})
	if len(ps) > 0 {
		return ps[0]
	}
	return nil
}

func hasExternalOf(g *gh.Group, id gh.ProviderID) bool {
	for _, e := range g.External {
		if e.Provider == id {
			return true
		}
	}
	return false
}

func withoutProvider(es []gh.ExternalGroup, id gh.ProviderID) []gh.ExternalGroup {
	var out []gh.ExternalGroup
	for _, e := range es {
		if e.Provider != id {
			out = append(out, e)
		}
	}
	return out
}

// sourceOf reports whether id names an identity provider or a connected
// directory of home h: the only sources a group of h may follow.
func (d *Directory) sourceOf(h gh.Home, id gh.ProviderID) bool {
	if p := d.idx.Provider(id); p != nil {
		return p.Home == h
	}
	x := d.idx.ExternalDirectory(gh.ExternalDirectoryID(id))
	return x != nil && x.Home == h
}

// checkExternal validates a group's external references: each names a
// provider of the group's own home, so a customer's provider can never
// steer a partner group, nor one customer's provider another's.
func (d *Directory) checkExternal(h gh.Home, es []gh.ExternalGroup) ([]gh.ExternalGroup, error) {
	f := gh.Fields{}
	out := make([]gh.ExternalGroup, 0, len(es))
	seen := map[string]bool{}
	for i, e := range es {
		field := "external[" + strconv.Itoa(i) + "]"
		if !d.sourceOf(h, e.Provider) {
			f.Add(field+".provider_id", "is not an identity provider or connected directory of the group's home")
			continue
		}
		v := strings.TrimSpace(e.Value)
		if v == "" || len(v) > 1000 || strings.ContainsAny(v, "\x00\r\n") {
			f.Add(field+".value", "must be a group name, id or distinguished name of at most 1000 characters")
			continue
		}
		key := string(e.Provider) + "\x00" + strings.ToLower(v)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, gh.ExternalGroup{Provider: e.Provider, Value: v})
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if len(out) > 50 {
		return nil, gh.Invalid("invalid_external", "external", "a group carries at most 50 external references")
	}
	return out, nil
}
