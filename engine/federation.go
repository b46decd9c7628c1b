package engine

import (
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// Provider returns an identity provider by id.
func (x *Index) Provider(id gh.ProviderID) *gh.IdentityProvider {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.providers[id]
}

// Providers lists org's identity providers accepted by keep, by id.
func (x *Index) Providers(org gh.OrgID, keep func(*gh.IdentityProvider) bool) []*gh.IdentityProvider {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return sortedValues(x.providers, func(p *gh.IdentityProvider) bool { return p.Org == org && keep(p) })
}

// Domain returns a domain claim by id.
func (x *Index) Domain(id gh.DomainID) *gh.Domain {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.domains[id]
}

// Domains lists org's domain claims accepted by keep, by id.
func (x *Index) Domains(org gh.OrgID, keep func(*gh.Domain) bool) []*gh.Domain {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return sortedValues(x.domains, func(d *gh.Domain) bool { return d.Org == org && keep(d) })
}

// VerifiedDomain returns the verified claim of a domain name, in any
// organization; nil when nobody proved it.
func (x *Index) VerifiedDomain(name string) *gh.Domain {
	x.mu.RLock()
	defer x.mu.RUnlock()
	name = strings.ToLower(name)
	for _, d := range x.domains {
		if d.Verified() && d.Name == name {
			return d
		}
	}
	return nil
}

// ExternalDirectory returns a connected directory by id.
func (x *Index) ExternalDirectory(id gh.ExternalDirectoryID) *gh.ExternalDirectory {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.extDirs[id]
}

// ExternalDirectories lists org's connected directories accepted by keep, by id.
func (x *Index) ExternalDirectories(org gh.OrgID, keep func(*gh.ExternalDirectory) bool) []*gh.ExternalDirectory {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return sortedValues(x.extDirs, func(d *gh.ExternalDirectory) bool { return d.Org == org && keep(d) })
}
