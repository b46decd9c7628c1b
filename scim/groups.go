package scim

import (
	"net/http"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// groupDoc is a Group resource (RFC 7643 §4.2); members are users.
type groupDoc struct {
	Schemas     []string    `json:"schemas"`
	ID          string      `json:"id,omitempty"`
	ExternalID  string      `json:"externalId,omitempty"`
	DisplayName string      `json:"displayName"`
	Members     *[]memberOf `json:"members,omitempty"`
	Meta        *metaDoc    `json:"meta,omitempty"`
}

type memberOf struct {
	Value   string `json:"value"`
	Ref     string `json:"$ref,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
}

// groupOf renders a group; members are left out when excluded.
func (s *Server) groupOf(r *http.Request, c *call, g *gh.Group, exclude map[string]bool) (*groupDoc, error) {
	doc := &groupDoc{Schemas: []string{groupSchema}, ID: string(g.ID), DisplayName: g.Name, Meta: meta(r, "Groups", string(g.ID), g.Meta)}
	if g.Managed != nil {
		doc.ExternalID = g.Managed.ExternalID
	}
	if exclude["members"] {
		return doc, nil
	}
	ids, err := s.dir.ProvisionedMembers(c.x, g.ID)
	if err != nil {
		return nil, err
	}
	ms := []memberOf{}
	for _, id := range ids {
		m := memberOf{Value: string(id), Ref: location(r, "Users", string(id)), Type: "User"}
		if u, err := s.dir.ProvisionedUser(c.x, id); err == nil {
			m.Display = u.Email
		}
		ms = append(ms, m)
	}
	doc.Members = &ms
	return doc, nil
}

// groupRecord is a group as filters see it.
func (s *Server) groupRecord(c *call, g *gh.Group) record {
	ms := []record{}
	ids, _ := s.dir.ProvisionedMembers(c.x, g.ID)
	for _, id := range ids {
		ms = append(ms, record{"value": string(id), "display": nil, "type": "User"})
	}
	externalID := ""
	if g.Managed != nil {
		externalID = g.Managed.ExternalID
	}
	return record{"id": string(g.ID), "externalid": externalID, "displayname": g.Name, "members": ms,
		"meta": record{"created": g.CreatedAt, "lastmodified": g.UpdatedAt, "resourcetype": "Group"}}
}

func memberIDs(ms *[]memberOf) []gh.UserID {
	out := []gh.UserID{}
	if ms != nil {
		for _, m := range *ms {
			out = append(out, gh.UserID(strings.TrimSpace(m.Value)))
		}
	}
	return out
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	var doc groupDoc
	if err := decode(w, r, &doc); err != nil {
		return err
	}
	g, _, err := s.dir.ProvisionGroup(r.Context(), c.a, c.x, strings.TrimSpace(doc.ExternalID), doc.DisplayName, memberIDs(doc.Members))
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, c, http.StatusCreated, g)
}

func (s *Server) writeGroup(w http.ResponseWriter, r *http.Request, c *call, status int, g *gh.Group) error {
	_, done := s.dir.ReadIn(r.Context(), c.x.Org)
	doc, err := s.groupOf(r, c, g, excluded(r))
	done()
	if err != nil {
		return err
	}
	return writeResource(w, status, doc, g.Revision)
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := s.dir.ProvisionedGroup(c.x, gh.GroupID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, c, http.StatusOK, g)
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	_, done := s.dir.ReadIn(r.Context(), c.x.Org)
	total, docs, err := s.findGroups(r, c, q)
	done() // the answer is sent out of the read gate
	if err != nil {
		return err
	}
	return q.write(w, total, docs)
}

func (s *Server) findGroups(r *http.Request, c *call, q *query) (int, []any, error) {
	if q.filter != nil {
		// Refused on an unknown attribute even when there is no group to test.
		if _, err := match(q.filter, s.groupRecord(c, &gh.Group{})); err != nil {
			return 0, nil, err
		}
	}
	// The callback runs under the index's read lock: it reads the group
	// alone, and the records, which read the index again, are built after
	// (a second read lock waits behind a waiting writer).
	name, byName := equality(q.filter, "displayName")
	name = strings.ToLower(name)
	gs := s.dir.ProvisionedGroups(c.x, func(g *gh.Group) bool {
		return !byName || strings.ToLower(g.Name) == name
	})
	if q.filter != nil && !byName {
		gs = slices.DeleteFunc(gs, func(g *gh.Group) bool {
			ok, _ := match(q.filter, s.groupRecord(c, g))
			return !ok
		})
	}
	var docs []any
	for _, i := range q.page(len(gs)) {
		doc, err := s.groupOf(r, c, gs[i], q.exclude)
		if err != nil {
			return 0, nil, err
		}
		docs = append(docs, doc)
	}
	return len(gs), docs, nil
}

func (s *Server) replaceGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	var doc groupDoc
	if err := decode(w, r, &doc); err != nil {
		return err
	}
	ch := directory.GroupChange{Name: &doc.DisplayName}
	if doc.ExternalID != "" {
		ch.ExternalID = &doc.ExternalID
	}
	// A PUT without members leaves them alone: Okta sends none when it
	// renames a group, and RFC 7644 §3.5.1 lets a server keep what is omitted.
	if doc.Members != nil {
		ids := memberIDs(doc.Members)
		ch.Replace = &ids
	}
	return s.updateGroup(w, r, c, ch)
}

func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request, c *call, ch directory.GroupChange) error {
	g, _, err := s.dir.UpdateManagedGroup(r.Context(), c.a, c.x, gh.GroupID(r.PathValue("id")), ch)
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, c, http.StatusOK, g)
}

func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	ops, err := decodePatch(w, r)
	if err != nil {
		return err
	}
	var ch groupPatch
	for _, op := range ops {
		if err := ch.apply(op); err != nil {
			return err
		}
	}
	return s.updateGroup(w, r, c, ch.change())
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.dir.DeleteManagedGroup(r.Context(), c.a, c.x, gh.GroupID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// groupPatch gathers a PATCH's operations into one change, in order: once
// members are replaced, later adds and removes change the replacement.
type groupPatch struct {
	name, externalID *string
	add, remove      []gh.UserID
	replace          *[]gh.UserID
}

func (p *groupPatch) change() directory.GroupChange {
	return directory.GroupChange{Name: p.name, ExternalID: p.externalID, Add: p.add, Remove: p.remove, Replace: p.replace}
}

func (p *groupPatch) apply(op patchOp) error {
	if op.Path == "" {
		return eachPath(op, p.apply)
	}
	t, err := parseTarget(op.Path)
	if err != nil {
		return err
	}
	switch t.attr {
	case "displayname":
		if op.Op == "remove" {
			return invalidValue("displayName is required")
		}
		var name string
		if err := setString(&name, op.Value, false); err != nil {
			return err
		}
		p.name = &name
	case "externalid":
		var id string
		if err := setString(&id, op.Value, op.Op == "remove"); err != nil {
			return err
		}
		p.externalID = &id
	case "members":
		return p.applyMembers(t, op)
	}
	return nil
}

func (p *groupPatch) applyMembers(t target, op patchOp) error {
	var ids []gh.UserID
	var err error
	switch {
	case t.values != nil: // Okta: members[value eq "id"]
		if op.Op != "remove" {
			return scimErr(http.StatusBadRequest, "invalidPath", "a filtered members path is for remove only")
		}
		ids, err = filteredMembers(t.values)
	case op.Value != nil: // Entra ID: value [{"value": id}], also on remove
		ids, err = valueMembers(op.Value)
	case op.Op == "remove": // all members
		none := []gh.UserID{}
		p.replace, p.add, p.remove = &none, nil, nil
		return nil
	}
	if err != nil {
		return err
	}
	switch op.Op {
	case "replace":
		p.replace, p.add, p.remove = &ids, nil, nil
	case "add":
		if p.replace != nil {
			*p.replace = union(*p.replace, ids)
		} else {
			p.add, p.remove = union(p.add, ids), minus(p.remove, ids)
		}
	case "remove":
		if p.replace != nil {
			*p.replace = minus(*p.replace, ids)
		} else {
			p.remove, p.add = union(p.remove, ids), minus(p.add, ids)
		}
	}
	return nil
}

// valueMembers reads members given as [{"value": id}, …] (or one object).
func valueMembers(v any) ([]gh.UserID, error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var out []gh.UserID
	for _, el := range list {
		obj, ok := el.(map[string]any)
		if !ok {
			return nil, invalidValue("members must be objects with a value")
		}
		var id string
		for k, x := range obj {
			if strings.EqualFold(k, "value") {
				id, _ = x.(string)
			}
		}
		if strings.TrimSpace(id) == "" {
			return nil, invalidValue("a member needs a value, the user's id")
		}
		out = append(out, gh.UserID(strings.TrimSpace(id)))
	}
	return out, nil
}

// filteredMembers reads the ids of `value eq "id"` filters joined by or.
func filteredMembers(e filter.Expression) ([]gh.UserID, error) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		id, ok := e.CompareValue.(string)
		if strings.EqualFold(e.AttributePath.AttributeName, "value") && e.Operator == filter.EQ && ok {
			return []gh.UserID{gh.UserID(id)}, nil
		}
	case *filter.LogicalExpression:
		if e.Operator == filter.OR {
			l, err := filteredMembers(e.Left)
			if err != nil {
				return nil, err
			}
			r, err := filteredMembers(e.Right)
			return append(l, r...), err
		}
	}
	return nil, scimErr(http.StatusBadRequest, "invalidFilter", `a members filter must be value eq "id", joined by or`)
}

func union(a, b []gh.UserID) []gh.UserID {
	out := slices.Clone(a)
	for _, id := range b {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func minus(a, b []gh.UserID) []gh.UserID {
	return slices.DeleteFunc(slices.Clone(a), func(id gh.UserID) bool { return slices.Contains(b, id) })
}
