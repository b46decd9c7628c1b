package scim

import (
	"encoding/json"
	"net/http"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// userDoc is a User resource (RFC 7643 §4.1) with the enterprise
// extension's department. Attributes Gatehouse keeps no field for
// (employeeNumber, manager, addresses, …) are accepted and not kept.
type userDoc struct {
	Schemas     []string    `json:"schemas"`
	ID          string      `json:"id,omitempty"`
	ExternalID  string      `json:"externalId,omitempty"`
	UserName    string      `json:"userName"`
	Name        *nameDoc    `json:"name,omitempty"`
	DisplayName string      `json:"displayName,omitempty"`
	Emails      []multi     `json:"emails,omitempty"`
	Phones      []multi     `json:"phoneNumbers,omitempty"`
	Title       string      `json:"title,omitempty"`
	Active      *flexBool   `json:"active,omitempty"`
	Enterprise  *enterprise `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Meta        *metaDoc    `json:"meta,omitempty"`
}

type nameDoc struct {
	Formatted  string `json:"formatted,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

// multi is a value of a multi-valued attribute (emails, phoneNumbers).
type multi struct {
	Value   string   `json:"value"`
	Type    string   `json:"type,omitempty"`
	Primary flexBool `json:"primary,omitempty"`
}

type enterprise struct {
	Department string `json:"department,omitempty"`
}

type metaDoc struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
	Location     string `json:"location"`
	Version      string `json:"version"`
}

// flexBool is a boolean that also reads "True" and "False", as Entra ID
// sends them.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	x, ok := boolOf(v)
	if !ok {
		return scimErr(http.StatusBadRequest, "invalidValue", "a boolean must be true or false, not "+string(data))
	}
	*b = flexBool(x)
	return nil
}

func meta(r *http.Request, kind, id string, m gh.Meta) *metaDoc {
	return &metaDoc{ResourceType: strings.TrimSuffix(kind, "s"), Created: m.CreatedAt.UTC().Format(timeFormat),
		LastModified: m.UpdatedAt.UTC().Format(timeFormat), Location: location(r, kind, id), Version: version(m.Revision)}
}

const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// userOf renders a user as SCIM: userName is its email.
func userOf(r *http.Request, u *gh.User) *userDoc {
	active := flexBool(u.Status != gh.StatusDisabled)
	doc := &userDoc{Schemas: []string{userSchema}, ID: string(u.ID), UserName: u.Email,
		Name:        &nameDoc{Formatted: fullName(u), GivenName: u.GivenName, FamilyName: u.FamilyName},
		DisplayName: fullName(u), Emails: []multi{{Value: u.Email, Type: "work", Primary: true}},
		Title: u.JobTitle, Active: &active, Meta: meta(r, "Users", string(u.ID), u.Meta)}
	if u.Managed != nil {
		doc.ExternalID = u.Managed.ExternalID
	}
	if u.Phone != "" {
		doc.Phones = []multi{{Value: u.Phone, Type: "work", Primary: true}}
	}
	if u.Department != "" {
		doc.Schemas = append(doc.Schemas, enterpriseSchema)
		doc.Enterprise = &enterprise{Department: u.Department}
	}
	return doc
}

func fullName(u *gh.User) string { return strings.TrimSpace(u.GivenName + " " + u.FamilyName) }

// recordOf is a user as filters see it.
func recordOf(u *gh.User) record {
	phones := []record{}
	if u.Phone != "" {
		phones = append(phones, record{"value": u.Phone, "type": "work", "primary": true})
	}
	externalID := ""
	if u.Managed != nil {
		externalID = u.Managed.ExternalID
	}
	return record{
		"id": string(u.ID), "externalid": externalID, "username": u.Email, "displayname": fullName(u),
		"name":         record{"givenname": u.GivenName, "familyname": u.FamilyName, "formatted": fullName(u)},
		"emails":       []record{{"value": u.Email, "type": "work", "primary": true}},
		"phonenumbers": phones, "title": u.JobTitle, "active": u.Status != gh.StatusDisabled,
		"meta":                            record{"created": u.CreatedAt, "lastmodified": u.UpdatedAt, "resourcetype": "User"},
		strings.ToLower(enterpriseSchema): record{"department": u.Department},
	}
}

// input is what a User resource asks of the directory. userName is the
// email; a userName that is no email gives way to the primary email.
func (doc *userDoc) input() (directory.ProvisionInput, error) {
	in := directory.ProvisionInput{ExternalID: strings.TrimSpace(doc.ExternalID), Email: strings.TrimSpace(doc.UserName),
		JobTitle: doc.Title, Active: doc.Active == nil || bool(*doc.Active)}
	if !strings.Contains(in.Email, "@") {
		if e := primary(doc.Emails); e != "" {
			in.Email = e
		}
	}
	if in.Email == "" {
		return in, scimErr(http.StatusBadRequest, "invalidValue", "userName (an email address) is required")
	}
	if doc.Name != nil {
		in.GivenName, in.FamilyName = doc.Name.GivenName, doc.Name.FamilyName
	}
	// Gatehouse requires a given name; a directory may send none.
	if strings.TrimSpace(in.GivenName) == "" {
		in.GivenName = doc.DisplayName
	}
	if strings.TrimSpace(in.GivenName) == "" {
		in.GivenName, _, _ = strings.Cut(in.Email, "@")
	}
	in.Phone = primary(doc.Phones)
	if doc.Enterprise != nil {
		in.Department = doc.Enterprise.Department
	}
	return in, nil
}

// primary is the primary value of a multi-valued attribute, else the first.
func primary(ms []multi) string {
	for _, m := range ms {
		if m.Primary {
			return strings.TrimSpace(m.Value)
		}
	}
	if len(ms) > 0 {
		return strings.TrimSpace(ms[0].Value)
	}
	return ""
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, c *call) error {
	var doc userDoc
	if err := decode(w, r, &doc); err != nil {
		return err
	}
	in, err := doc.input()
	if err != nil {
		return err
	}
	u, _, err := s.dir.ProvisionUser(r.Context(), c.a, c.x, in)
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusCreated, userOf(r, u), u.Revision)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c *call) error {
	_, done := s.dir.ReadIn(r.Context(), c.x.Org)
	u, err := s.dir.ProvisionedUser(c.x, gh.UserID(r.PathValue("id")))
	var doc *userDoc
	if err == nil {
		doc = userOf(r, u)
	}
	done()
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, doc, u.Revision)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	_, done := s.dir.ReadIn(r.Context(), c.x.Org)
	var ferr error
	keep := func(u *gh.User) bool {
		if q.filter == nil { // every user, as a directory pages through them
			return true
		}
		ok, err := match(q.filter, recordOf(u))
		if err != nil && ferr == nil {
			ferr = err
		}
		return ok
	}
	var us []*gh.User
	if email, ok := equality(q.filter, "userName"); ok && isASCII(email) {
		// userName is the email, which the index keeps lower-cased: for
		// ASCII that is the filter's own comparison.
		if u := s.dir.ProvisionedUserByEmail(c.x, email); u != nil && keep(u) {
			us = []*gh.User{u}
		}
	} else {
		us = s.dir.ProvisionedUsers(c.x, keep)
	}
	if ferr == nil && q.filter != nil {
		// A filter on an attribute users lack is refused even when no user is there to test it on.
		_, ferr = match(q.filter, recordOf(&gh.User{}))
	}
	var docs []any
	for _, u := range q.page(len(us)) {
		docs = append(docs, userOf(r, us[u]))
	}
	done()
	if ferr != nil {
		return ferr
	}
	return q.write(w, len(us), docs)
}

func (s *Server) replaceUser(w http.ResponseWriter, r *http.Request, c *call) error {
	var doc userDoc
	if err := decode(w, r, &doc); err != nil {
		return err
	}
	in, err := doc.input()
	if err != nil {
		return err
	}
	return s.updateUser(w, r, c, in)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, c *call, in directory.ProvisionInput) error {
	if cur, err := s.dir.ProvisionedUser(c.x, gh.UserID(r.PathValue("id"))); err == nil && !in.Active && cur.Status != gh.StatusDisabled {
		if err := s.dir.AllowRemoval(r.Context(), c.x); err != nil {
			return err
		}
	}
	u, _, err := s.dir.UpdateManagedUser(r.Context(), c.a, c.x, gh.UserID(r.PathValue("id")), in)
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, userOf(r, u), u.Revision)
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, c *call) error {
	ops, err := decodePatch(w, r)
	if err != nil {
		return err
	}
	u, err := s.dir.ProvisionedUser(c.x, gh.UserID(r.PathValue("id")))
	if err != nil {
		return err
	}
	doc := userOf(r, u)
	for _, op := range ops {
		if err := doc.apply(op); err != nil {
			return err
		}
	}
	in, err := doc.input()
	if err != nil {
		return err
	}
	return s.updateUser(w, r, c, in)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.dir.ProvisionedUser(c.x, gh.UserID(r.PathValue("id"))); err == nil {
		if err := s.dir.AllowRemoval(r.Context(), c.x); err != nil {
			return err
		}
	}
	if _, err := s.dir.DeleteManagedUser(r.Context(), c.a, c.x, gh.UserID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// writeResource answers one resource with its version as ETag.
func writeResource(w http.ResponseWriter, status int, doc any, rev gh.Revision) error {
	w.Header().Set("ETag", version(rev))
	writeJSON(w, status, doc)
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
