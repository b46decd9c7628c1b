package ldap_test

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

const (
	slapdPath = "/usr/sbin/slapd"
	baseDN    = "dc=example,dc=org"
	adminDN   = "cn=admin,dc=example,dc=org"
	adminPW   = "admin-secret"
)

// slapd is a real OpenLDAP server of the test's own, on a loopback port,
// with people under ou=people and groups under ou=groups.
type slapd struct {
	url string
	c   *goldap.Conn // bound as the admin, for the test's changes
}

// startSlapd starts slapd with a fresh mdb database and stops it when the
// test ends.
func startSlapd(t testing.TB) *slapd {
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
`, dir, baseDN, adminDN, adminPW)
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
	if err := c.Bind(adminDN, adminPW); err != nil {
		t.Fatalf("bind as admin: %v", err)
	}
	s := &slapd{url: url, c: c}
	s.add(t, baseDN, map[string][]string{"objectClass": {"dcObject", "organization"}, "o": {"Example"}, "dc": {"example"}})
	for _, ou := range []string{"people", "groups"} {
		s.add(t, "ou="+ou+","+baseDN, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {ou}})
	}
	return s
}

func (s *slapd) add(t testing.TB, dn string, attrs map[string][]string) {
	t.Helper()
	req := goldap.NewAddRequest(dn, nil)
	for k, v := range attrs {
		req.Attribute(k, v)
	}
	if err := s.c.Add(req); err != nil {
		t.Fatalf("add %s: %v", dn, err)
	}
}

func personDN(uid string) string { return "uid=" + uid + ",ou=people," + baseDN }
func groupDN(cn string) string   { return "cn=" + cn + ",ou=groups," + baseDN }

// addPerson adds an inetOrgPerson; mail "" leaves mail out.
func (s *slapd) addPerson(t testing.TB, uid, mail, given, sn string) {
	t.Helper()
	a := map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {uid}, "cn": {given + " " + sn}, "sn": {sn}, "givenName": {given}}
	if mail != "" {
		a["mail"] = []string{mail}
	}
	s.add(t, personDN(uid), a)
}

// addGroupOfNames adds a groupOfNames with member DNs.
func (s *slapd) addGroupOfNames(t testing.TB, cn string, members ...string) {
	t.Helper()
	s.add(t, groupDN(cn), map[string][]string{"objectClass": {"groupOfNames"}, "cn": {cn}, "member": members})
}

// addPosixGroup adds a posixGroup with memberUid values.
func (s *slapd) addPosixGroup(t testing.TB, cn string, gid int, uids ...string) {
	t.Helper()
	s.add(t, groupDN(cn), map[string][]string{"objectClass": {"posixGroup"}, "cn": {cn}, "gidNumber": {fmt.Sprint(gid)}, "memberUid": uids})
}

func (s *slapd) modify(t testing.TB, dn string, fn func(*goldap.ModifyRequest)) {
	t.Helper()
	req := goldap.NewModifyRequest(dn, nil)
	fn(req)
	if err := s.c.Modify(req); err != nil {
		t.Fatalf("modify %s: %v", dn, err)
	}
}

func (s *slapd) delete(t testing.TB, dn string) {
	t.Helper()
	if err := s.c.Del(goldap.NewDelRequest(dn, nil)); err != nil {
		t.Fatalf("delete %s: %v", dn, err)
	}
}

func (s *slapd) rename(t testing.TB, dn, newRDN string) {
	t.Helper()
	if err := s.c.ModifyDN(goldap.NewModifyDNRequest(dn, newRDN, true, "")); err != nil {
		t.Fatalf("rename %s: %v", dn, err)
	}
}
