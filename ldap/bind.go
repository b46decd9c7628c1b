package ldap

import (
	"context"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	gh "gatehouse.dev/gatehouse"
)

// Bind checks a person's directory password: it finds the one entry of x's
// people whose email is email (bound as x's BindDN), then binds as that
// entry with password. It answers the entry's stable id, which is the
// Managed.ExternalID of the user a sync made of it.
//
// Errors: KindForbidden (x does not allow password sign-in),
// KindUnauthenticated (no such person, several, or a wrong password: the
// caller cannot tell which), KindUnavailable (the server).
func Bind(ctx context.Context, x *gh.ExternalDirectory, bindPassword, email, password string, opts Options) (string, error) {
	if x.Type != gh.DirectoryLDAP || x.LDAP == nil || !x.LDAP.PasswordSignIn {
		return "", gh.Forbidden("this directory does not check passwords")
	}
	refused := gh.Errorf(gh.KindUnauthenticated, "bad_credentials", "wrong email or password")
	if password == "" || strings.TrimSpace(email) == "" { // an empty password is an unauthenticated bind (RFC 4513 §5.1.2)
		return "", refused
	}
	c, err := opts.conn(ctx, x.LDAP, bindPassword)
	if err != nil {
		return "", err
	}
	defer c.Close()
	a := attributes(x.LDAP.Attributes)
	filter := x.LDAP.UserFilter
	if filter == "" {
		filter = DefaultUserFilter
	}
	filter = "(&" + filter + "(" + a.email[0] + "=" + goldap.EscapeFilter(strings.TrimSpace(email)) + "))"
	es, err := search(c, x.LDAP.BaseDN, filter, a.user())
	if err != nil {
		return "", err
	}
	if len(es) != 1 {
		return "", refused
	}
	p := a.person(es[0])
	if p.id == "" || p.disabled {
		return "", refused
	}
	if err := c.Bind(es[0].DN, password); err != nil {
		if goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
			return "", refused
		}
		return "", gh.Errorf(gh.KindUnavailable, "ldap_bind_failed", "bind as the person failed: %v", err)
	}
	return p.id, nil
}
