package ldap

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	gh "gatehouse.dev/gatehouse"
)

// PageSize is how many entries one page of a search holds (RFC 2696).
const PageSize = 500

// Default filters: OpenLDAP's inetOrgPerson and Active Directory's people,
// and every usual kind of group.
const (
	DefaultUserFilter   = "(objectClass=inetOrgPerson)"
	ADUserFilter        = "(&(objectClass=user)(objectCategory=person))"
	DefaultGroupFilter  = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)(objectClass=group))"
	userAccountControl  = "useraccountcontrol"
	accountDisabledFlag = 0x2 // AD's ACCOUNTDISABLE bit of userAccountControl
)

// person is a user entry as read, or why it cannot be used (skip).
type person struct {
	dn, id, uid string
	email       string
	given, sn   string
	department  string
	title       string
	disabled    bool
	skip        string
}

// group is a group entry as read; members are normalised DNs, uids
// posixGroup memberUid values.
type group struct {
	dn, id, name string
	members      []string
	uids         []string
}

// conn opens and binds a connection to x's server: ldap:// or ldaps://,
// upgraded with StartTLS when x asks. A refused bind is KindUnauthenticated.
func (o *Options) conn(ctx context.Context, l *gh.LDAPSettings, password string) (*goldap.Conn, error) {
	c, err := o.dial(ctx, l.URL)
	if err != nil {
		return nil, gh.Errorf(gh.KindUnavailable, "ldap_unreachable", "cannot reach the directory at %s: %v", l.URL, err)
	}
	if l.StartTLS {
		if err := c.StartTLS(o.tlsConfig(l.URL)); err != nil {
			c.Close()
			return nil, gh.Errorf(gh.KindUnavailable, "ldap_starttls", "StartTLS with the directory failed: %v", err)
		}
	}
	if err := c.Bind(l.BindDN, password); err != nil {
		c.Close()
		if goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
			return nil, gh.Errorf(gh.KindUnauthenticated, "ldap_bind_refused", "the directory refused the bind DN %q or its password", l.BindDN)
		}
		return nil, gh.Errorf(gh.KindUnavailable, "ldap_bind_failed", "bind as %q failed: %v", l.BindDN, err)
	}
	return c, nil
}

func (o *Options) dial(ctx context.Context, url string) (*goldap.Conn, error) {
	if o.Dial != nil {
		return o.Dial(ctx, url)
	}
	return goldap.DialURL(url, goldap.DialWithTLSConfig(o.tlsConfig(url)))
}

func (o *Options) tlsConfig(url string) *tls.Config {
	if o.TLS != nil {
		return o.TLS.Clone()
	}
	host := strings.TrimPrefix(strings.TrimPrefix(url, "ldaps://"), "ldap://")
	if i := strings.IndexAny(host, ":/"); i >= 0 {
		host = host[:i]
	}
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}

// attrs is the attribute names read, defaults filled in.
type attrs struct{ ids, email, given, sn, department, title, disabled []string }

func attributes(a gh.LDAPAttributes) attrs {
	or := func(v string, def ...string) []string {
		if v != "" {
			return []string{v}
		}
		return def
	}
	return attrs{
		ids:        or(a.ID, "entryUUID", "objectGUID"),
		email:      or(a.Email, "mail"),
		given:      or(a.GivenName, "givenName"),
		sn:         or(a.FamilyName, "sn"),
		department: or(a.Department, "department", "ou"),
		title:      or(a.JobTitle, "title"),
		disabled:   or(a.Disabled, "userAccountControl"),
	}
}

func (a attrs) user() []string {
	out := []string{"uid", "sAMAccountName"}
	for _, l := range [][]string{a.ids, a.email, a.given, a.sn, a.department, a.title, a.disabled} {
		out = append(out, l...)
	}
	return out
}

func (a attrs) group() []string {
	return append([]string{"cn", "member", "uniqueMember", "memberUid"}, a.ids...)
}

// search reads every entry under base matching filter, a page at a time.
func search(c *goldap.Conn, base, filter string, attrs []string) ([]*goldap.Entry, error) {
	req := goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil)
	res, err := c.SearchWithPaging(req, PageSize)
	if err != nil {
		if goldap.IsErrorWithCode(err, goldap.LDAPResultFilterError) {
			return nil, gh.Errorf(gh.KindInvalid, "ldap_filter", "the filter %q is not valid: %v", filter, err)
		}
		return nil, gh.Errorf(gh.KindUnavailable, "ldap_search", "search under %q with %q: %v", base, filter, err)
	}
	return res.Entries, nil
}

// readPeople reads the user entries of l.
func readPeople(c *goldap.Conn, l *gh.LDAPSettings, a attrs) ([]*person, error) {
	filter := l.UserFilter
	if filter == "" {
		filter = DefaultUserFilter
	}
	es, err := search(c, l.BaseDN, filter, a.user())
	if err != nil {
		return nil, err
	}
	out := make([]*person, 0, len(es))
	for _, e := range es {
		out = append(out, a.person(e))
	}
	return out, nil
}

func (a attrs) person(e *goldap.Entry) *person {
	p := &person{
		dn:         normDN(e.DN),
		id:         entryID(e, a.ids),
		uid:        first(e, []string{"uid", "sAMAccountName"}),
		email:      strings.TrimSpace(first(e, a.email)),
		given:      first(e, a.given),
		sn:         first(e, a.sn),
		department: first(e, a.department),
		title:      first(e, a.title),
		disabled:   disabled(e, a.disabled),
	}
	switch {
	case p.id == "":
		p.skip = "no " + strings.Join(a.ids, " or ")
	case p.email == "":
		p.skip = "no email (" + strings.Join(a.email, " or ") + ")"
	default:
		if why := gh.CheckEmail(p.email); why != "" {
			p.skip = fmt.Sprintf("invalid email %q: %s", p.email, why)
		}
	}
	return p
}

// readGroups reads the group entries of l.
func readGroups(c *goldap.Conn, l *gh.LDAPSettings, a attrs) ([]*group, error) {
	filter := l.GroupFilter
	if filter == "" {
		filter = DefaultGroupFilter
	}
	es, err := search(c, l.BaseDN, filter, a.group())
	if err != nil {
		return nil, err
	}
	out := make([]*group, 0, len(es))
	for _, e := range es {
		g := &group{dn: normDN(e.DN), id: entryID(e, a.ids), name: e.GetAttributeValue("cn"), uids: e.GetAttributeValues("memberUid")}
		if g.id == "" {
			g.id = g.dn // no stable id: the DN stands in, and a rename is a new group
		}
		for _, m := range append(e.GetAttributeValues("member"), e.GetAttributeValues("uniqueMember")...) {
			if i := strings.LastIndex(m, "#'"); i > 0 { // nameAndOptionalUID (RFC 4517 §3.3.21)
				m = m[:i]
			}
			g.members = append(g.members, normDN(m))
		}
		out = append(out, g)
	}
	return out, nil
}

// entryID is the entry's stable id: entryUUID as is, objectGUID (binary)
// as the GUID's usual text form.
func entryID(e *goldap.Entry, names []string) string {
	for _, n := range names {
		if strings.EqualFold(n, "objectGUID") {
			if b := e.GetRawAttributeValue(n); len(b) == 16 {
				return guid(b)
			}
			continue
		}
		if v := e.GetAttributeValue(n); v != "" {
			return strings.ToLower(v)
		}
	}
	return ""
}

// guid formats AD's objectGUID, whose first three fields are little-endian.
func guid(b []byte) string {
	return fmt.Sprintf("%08x-%04x-%04x-%s-%s", binary.LittleEndian.Uint32(b[0:4]), binary.LittleEndian.Uint16(b[4:6]),
		binary.LittleEndian.Uint16(b[6:8]), hex.EncodeToString(b[8:10]), hex.EncodeToString(b[10:]))
}

func first(e *goldap.Entry, names []string) string {
	for _, n := range names {
		if v := e.GetAttributeValue(n); v != "" {
			return v
		}
	}
	return ""
}

// disabled reads AD's userAccountControl bit, or any other attribute as a
// boolean.
func disabled(e *goldap.Entry, names []string) bool {
	for _, n := range names {
		v := strings.TrimSpace(e.GetAttributeValue(n))
		if v == "" {
			continue
		}
		if strings.EqualFold(n, userAccountControl) {
			flags, err := strconv.ParseInt(v, 10, 64)
			return err == nil && flags&accountDisabledFlag != 0
		}
		switch strings.ToLower(v) {
		case "true", "1", "yes", "disabled":
			return true
		}
		return false
	}
	return false
}

// normDN is dn in one spelling: attribute types and values in lower case,
// no spaces around separators, so that member values match entry DNs.
func normDN(dn string) string {
	p, err := goldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(dn))
	}
	rdns := make([]string, len(p.RDNs))
	for i, r := range p.RDNs {
		as := make([]string, len(r.Attributes))
		for j, a := range r.Attributes {
			as[j] = strings.ToLower(a.Type) + "=" + strings.ToLower(a.Value)
		}
		rdns[i] = strings.Join(as, "+")
	}
	return strings.Join(rdns, ",")
}
