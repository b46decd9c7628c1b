package ldap

import (
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// flatten answers, for each group, the users in it directly or through
// the groups nested in it, however deep, sorted: Gatehouse groups hold
// users only. Members are DNs (groupOfNames member, groupOfUniqueNames
// uniqueMember) or uids (posixGroup memberUid); members that are neither a
// synced user nor a group are left out. Cycles are harmless: a group is
// walked once per group it is in.
func flatten(groups []*group, people []*person, users map[string]gh.UserID) [][]gh.UserID {
	byDN := make(map[string]int, len(groups))
	for i, g := range groups {
		byDN[g.dn] = i
	}
	byUID := map[string]gh.UserID{}
	for _, p := range people {
		if id, ok := users[p.dn]; ok && p.uid != "" {
			byUID[strings.ToLower(p.uid)] = id
		}
	}
	out := make([][]gh.UserID, len(groups))
	for i := range groups {
		set := map[gh.UserID]bool{}
		visited := map[int]bool{i: true}
		for queue := []int{i}; len(queue) > 0; queue = queue[1:] {
			g := groups[queue[0]]
			for _, m := range g.members {
				if u, ok := users[m]; ok {
					set[u] = true
				} else if j, ok := byDN[m]; ok && !visited[j] {
					visited[j] = true
					queue = append(queue, j)
				}
			}
			for _, uid := range g.uids {
				if u, ok := byUID[strings.ToLower(uid)]; ok {
					set[u] = true
				}
			}
		}
		ids := make([]gh.UserID, 0, len(set))
		for u := range set {
			ids = append(ids, u)
		}
		slices.Sort(ids)
		out[i] = ids
	}
	return out
}
