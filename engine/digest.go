package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"

	gh "gatehouse.dev/gatehouse"
)

// Digest returns a hash of everything the index holds and its revision. Two
// nodes at the same revision must have the same digest, however each got
// there (a snapshot at start, the feed, or both); tests and operators compare them.
func (x *Index) Digest() string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode(x.rev)
	put := func(keys []string, get func(string) any) {
		sort.Strings(keys)
		for _, k := range keys {
			_ = enc.Encode(get(k))
		}
	}
	put(keysOf(x.orgs), func(k string) any { return x.orgs[gh.OrgID(k)].org })
	put(keysOf(x.workspaces), func(k string) any { return x.workspaces[gh.WorkspaceID(k)] })
	put(keysOf(x.users), func(k string) any { return x.users[gh.UserID(k)].u })
	put(keysOf(x.groups), func(k string) any { return x.groups[gh.GroupID(k)] })
	var members []string
	byKey := map[string]*gh.Membership{}
	for _, ms := range x.members {
		for _, m := range ms {
			members = append(members, m.Key())
			byKey[m.Key()] = m
		}
	}
	put(members, func(k string) any { return byKey[k] })
	var custom []string
	for id, r := range x.roles {
		if !r.Builtin {
			custom = append(custom, string(id))
		}
	}
	put(custom, func(k string) any { return x.roles[gh.RoleID(k)] })
	put(keysOf(x.assignments), func(k string) any { return x.assignments[gh.AssignmentID(k)] })
	put(keysOf(x.templates), func(k string) any { return x.templates[gh.TemplateID(k)] })
	put(keysOf(x.providers), func(k string) any { return x.providers[gh.ProviderID(k)] })
	put(keysOf(x.domains), func(k string) any { return x.domains[gh.DomainID(k)] })
	put(keysOf(x.extDirs), func(k string) any { return x.extDirs[gh.ExternalDirectoryID(k)] })
	put(keysOf(x.keys), func(k string) any { return x.keys[gh.KeyID(k)] })
	put(keysOf(x.custom), func(k string) any { return x.custom[gh.Capability(k)] })
	put(keysOf(x.exclusions), func(k string) any { return x.exclusions[gh.ExclusionID(k)] })
	return hex.EncodeToString(h.Sum(nil))
}

func keysOf[K ~string, V any](m map[K]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	return out
}
