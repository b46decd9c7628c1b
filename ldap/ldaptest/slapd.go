// Package ldaptest starts a real OpenLDAP server for tests: a fresh
// database of its own on a loopback port, with helpers to change its entries.
package ldaptest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

const slapdPath = "/usr/sbin/slapd"

// The server's suffix and its administrator, who may read and change everything.
const (
	BaseDN        = "dc=example,dc=org"
	AdminDN       = "cn=admin,dc=example,dc=org"
	AdminPassword = "admin-secret"
)

// Server is a real OpenLDAP server of the test's own, on a loopback port,
// with people under ou=people and groups under ou=groups.
type Server struct {
	URL  string       // ldap://127.0.0.1:port
	Conn *goldap.Conn // bound as the admin, for the test's changes
}

// Start starts slapd with a fresh mdb database and stops it when the test
// ends; it skips the test when slapd is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(slapdPath); err != nil {
		t.Skipf("LDAP tests need OpenLDAP's %s (Debian: apt-get install slapd ldap-utils): %v", slapdPath, err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %[1]s/slapd.pid
sizelimit unlimited
database mdb
maxsize 1073741824
dbnosync
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
index objectClass,entryUUID,mail,uid eq
`, dir, BaseDN, AdminDN, AdminPassword)
	path := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	url := "ldap://" + addr
	// -d keeps slapd in the foreground, so the test owns the process.
	cmd := exec.Command(slapdPath, "-f", path, "-h", url+"/", "-d", "0")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start slapd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	var c *goldap.Conn
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err = goldap.DialURL(url); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slapd did not answer at %s: %v\n%s", url, err, out.String())
		}
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Bind(AdminDN, AdminPassword); err != nil {
		t.Fatalf("bind as admin: %v", err)
	}
	s := &Server{URL: url, Conn: c}
	s.Add(t, BaseDN, map[string][]string{"objectClass": {"dcObject", "organization"}, "o": {"Example"}, "dc": {"example"}})
	for _, ou := range []string{"people", "groups"} {
		s.Add(t, "ou="+ou+","+BaseDN, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {ou}})
	}
	return s
}

// Add adds an entry with attrs.
func (s *Server) Add(t testing.TB, dn string, attrs map[string][]string) {
	t.Helper()
	req := goldap.NewAddRequest(dn, nil)
	for k, v := range attrs {
		req.Attribute(k, v)
	}
	if err := s.Conn.Add(req); err != nil {
		t.Fatalf("add %s: %v", dn, err)
	}
}

// PersonDN is the DN of the person uid.
func PersonDN(uid string) string { return "uid=" + uid + ",ou=people," + BaseDN }

// GroupDN is the DN of the group cn.
func GroupDN(cn string) string { return "cn=" + cn + ",ou=groups," + BaseDN }

// AddPerson adds an inetOrgPerson; mail "" leaves mail out.
func (s *Server) AddPerson(t testing.TB, uid, mail, given, sn string) {
	t.Helper()
	a := map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {uid}, "cn": {given + " " + sn}, "sn": {sn}, "givenName": {given}}
	if mail != "" {
		a["mail"] = []string{mail}
	}
	s.Add(t, PersonDN(uid), a)
}

// AddGroupOfNames adds a groupOfNames with member DNs.
func (s *Server) AddGroupOfNames(t testing.TB, cn string, members ...string) {
	t.Helper()
	s.Add(t, GroupDN(cn), map[string][]string{"objectClass": {"groupOfNames"}, "cn": {cn}, "member": members})
}

// AddPosixGroup adds a posixGroup with memberUid values.
func (s *Server) AddPosixGroup(t testing.TB, cn string, gid int, uids ...string) {
	t.Helper()
	s.Add(t, GroupDN(cn), map[string][]string{"objectClass": {"posixGroup"}, "cn": {cn}, "gidNumber": {fmt.Sprint(gid)}, "memberUid": uids})
}

// Modify changes the entry dn as fn says.
func (s *Server) Modify(t testing.TB, dn string, fn func(*goldap.ModifyRequest)) {
	t.Helper()
	req := goldap.NewModifyRequest(dn, nil)
	fn(req)
	if err := s.Conn.Modify(req); err != nil {
		t.Fatalf("modify %s: %v", dn, err)
	}
}

// Delete deletes the entry dn.
func (s *Server) Delete(t testing.TB, dn string) {
	t.Helper()
	if err := s.Conn.Del(goldap.NewDelRequest(dn, nil)); err != nil {
		t.Fatalf("delete %s: %v", dn, err)
	}
}

// Rename gives the entry dn a new RDN.
func (s *Server) Rename(t testing.TB, dn, newRDN string) {
	t.Helper()
	if err := s.Conn.ModifyDN(goldap.NewModifyDNRequest(dn, newRDN, true, "")); err != nil {
		t.Fatalf("rename %s: %v", dn, err)
	}
}

// SetPassword sets the userPassword of the entry dn, which a bind as dn checks.
func (s *Server) SetPassword(t testing.TB, dn, password string) {
	t.Helper()
	s.Modify(t, dn, func(m *goldap.ModifyRequest) { m.Replace("userPassword", []string{password}) })
}
