package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
)

var vt0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func vaultWrite(t *testing.T, s gatehouse.Store, fn func(gatehouse.VaultTx) error) {
	t.Helper()
	if err := s.VaultUpdate(context.Background(), fn); err != nil {
		t.Fatalf("VaultUpdate: %v", err)
	}
}

func testVaultCredential(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	if _, err := s.Credential(ctx, "usr_none"); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Fatalf("Credential(absent) = %v, want not found", err)
	}
	c := &gatehouse.Credential{User: "usr_a", Org: "org_a", PasswordHash: "$argon2id$x", PasswordSetAt: vt0, MustChange: true,
		History: []string{"h1", "h2"}, FailedAttempts: 3, LockedUntil: vt0.Add(time.Minute), TOTPSecret: "JBSWY3DP",
		TOTPConfirmed: true, TOTPLastStep: 12345, RecoveryHashes: []string{"r1"}, PasswordVersion: 2,
		Passkeys:   []gatehouse.Passkey{{ID: "cred-1", Name: "laptop", CreatedAt: vt0, LastUsedAt: vt0.Add(time.Hour), Key: []byte(`{"k":1}`)}},
		EmailCodes: true, Phone: "sealed-phone", Code: &gatehouse.OneTimeCode{Hash: "ch", Channel: gatehouse.CodeSMSEnrol,
			Phone: "sealed-new", ExpiresAt: vt0.Add(10 * time.Minute), TriesLeft: 5}}
	vaultWrite(t, s, func(v gatehouse.VaultTx) error { return v.PutCredential(c) })
	got, err := s.Credential(ctx, "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, got); d != "" {
		t.Errorf("credential round trip (-want +got):\n%s", d)
	}
	c.FailedAttempts, c.History, c.RecoveryHashes, c.Passkeys, c.Code = 0, nil, nil, nil, nil
	vaultWrite(t, s, func(v gatehouse.VaultTx) error { return v.PutCredential(c) })
	got, _ = s.Credential(ctx, "usr_a")
	if got.FailedAttempts != 0 || len(got.History) != 0 || len(got.RecoveryHashes) != 0 || len(got.Passkeys) != 0 || got.Code != nil {
		t.Errorf("credential update = %+v, want cleared counters and lists", got)
	}
}

func testVaultSessions(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	mk := func(id, user string, at time.Time) *gatehouse.Session {
		return &gatehouse.Session{ID: id, TokenHash: "tok-" + id, CSRFHash: "csrf-" + id, User: gatehouse.UserID(user), Org: "org_a",
			CreatedAt: at, LastSeenAt: at, ExpiresAt: at.Add(time.Hour), IP: "192.0.2.1", UserAgent: "test", Device: "Linux"}
	}
	a, b, c := mk("s1", "usr_a", vt0), mk("s2", "usr_a", vt0.Add(time.Second)), mk("s3", "usr_b", vt0)
	a.MFAPending = true
	vaultWrite(t, s, func(v gatehouse.VaultTx) error {
		return errors.Join(v.PutSession(a), v.PutSession(b), v.PutSession(c))
	})
	got, err := s.SessionByHash(ctx, "tok-s1")
	if err != nil || !cmp.Equal(got, a) {
		t.Fatalf("SessionByHash = %+v, %v; want %+v", got, err, a)
	}
	list, _ := s.Sessions(ctx, "usr_a")
	if len(list) != 2 || list[0].ID != "s2" {
		t.Errorf("Sessions(usr_a) = %v, want s2 then s1", list)
	}
	if err := s.TouchSession(ctx, "s1", vt0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SessionByHash(ctx, "tok-s1"); !got.LastSeenAt.Equal(vt0) {
		t.Errorf("touch within a minute wrote %v, want it skipped", got.LastSeenAt)
	}
	_ = s.TouchSession(ctx, "s1", vt0.Add(2*time.Minute))
	if got, _ := s.SessionByHash(ctx, "tok-s1"); !got.LastSeenAt.Equal(vt0.Add(2 * time.Minute)) {
		t.Errorf("touch after two minutes = %v, want recorded", got.LastSeenAt)
	}
	var n int
	vaultWrite(t, s, func(v gatehouse.VaultTx) (err error) { n, err = v.DeleteSessions("usr_a", "s2"); return })
	if n != 1 {
		t.Errorf("DeleteSessions keeping s2 ended %d, want 1", n)
	}
	if _, err := s.SessionByHash(ctx, "tok-s1"); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("ended session still found: %v", err)
	}
	vaultWrite(t, s, func(v gatehouse.VaultTx) error { return v.DeleteSession("org_other", "s2") })
	if _, err := s.SessionByHash(ctx, "tok-s2"); err != nil {
		t.Errorf("DeleteSession from another organization removed it")
	}
	vaultWrite(t, s, func(v gatehouse.VaultTx) error { return v.ForgetUser("usr_b") })
	if _, err := s.SessionByHash(ctx, "tok-s3"); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("ForgetUser left a session")
	}
}

func testVaultTokens(t *testing.T, h Harness) {
	s := h.Open(t)
	put := func(hash string, kind gatehouse.TokenKind, exp time.Time) {
		vaultWrite(t, s, func(v gatehouse.VaultTx) error {
			return v.PutToken(&gatehouse.OneTimeToken{Hash: hash, Kind: kind, User: "usr_a", Org: "org_a", ExpiresAt: exp})
		})
	}
	put("inv", gatehouse.TokenInvitation, vt0.Add(time.Hour))
	put("old", gatehouse.TokenReset, vt0.Add(-time.Second))
	use := func(hash string, kind gatehouse.TokenKind) error {
		return s.VaultUpdate(context.Background(), func(v gatehouse.VaultTx) error {
			_, err := v.UseToken(hash, kind, vt0)
			return err
		})
	}
	cases := []struct {
		name, hash string
		kind       gatehouse.TokenKind
		ok         bool
	}{
		{"wrong kind", "inv", gatehouse.TokenReset, false},
		{"first use", "inv", gatehouse.TokenInvitation, true},
		{"replay", "inv", gatehouse.TokenInvitation, false},
		{"expired", "old", gatehouse.TokenReset, false},
		{"unknown", "nope", gatehouse.TokenReset, false},
	}
	for _, c := range cases {
		if err := use(c.hash, c.kind); (err == nil) != c.ok {
			t.Errorf("%s: UseToken = %v, want ok=%v", c.name, err, c.ok)
		}
	}
	// Racing uses of one link: exactly one wins.
	put("race", gatehouse.TokenReset, vt0.Add(time.Hour))
	var wg sync.WaitGroup
	wins := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); wins <- use("race", gatehouse.TokenReset) == nil }()
	}
	wg.Wait()
	close(wins)
	n := 0
	for w := range wins {
		if w {
			n++
		}
	}
	if n != 1 {
		t.Errorf("8 racing uses of one token: %d succeeded, want 1", n)
	}
}

func testVaultOutbox(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	for i, id := range []string{"m1", "m2", "m3"} {
		m := &gatehouse.Mail{ID: id, Org: "org_a", To: "a@x.example", Subject: "s", Body: "secret link", Kind: "invitation",
			Status: gatehouse.MailPending, NextAttempt: vt0.Add(time.Duration(i) * time.Minute), CreatedAt: vt0.Add(time.Duration(i) * time.Second)}
		vaultWrite(t, s, func(v gatehouse.VaultTx) error { return v.EnqueueMail(m) })
	}
	got, err := s.ClaimMail(ctx, vt0.Add(90*time.Second), vt0.Add(10*time.Minute), 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("ClaimMail at +90s = %d messages, %v; want the 2 due", len(got), err)
	}
	if again, _ := s.ClaimMail(ctx, vt0.Add(90*time.Second), vt0.Add(10*time.Minute), 10); len(again) != 0 {
		t.Errorf("a second claim took %d leased messages, want 0", len(again))
	}
	got[0].Status, got[0].Attempts, got[0].SentAt = gatehouse.MailSent, 1, vt0.Add(time.Minute)
	got[1].Attempts, got[1].NextAttempt, got[1].LastError = 1, vt0.Add(5*time.Minute), "451 try later"
	for _, m := range got {
		if err := s.FinishMail(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	later, _ := s.ClaimMail(ctx, vt0.Add(6*time.Minute), vt0.Add(20*time.Minute), 10)
	ids := map[string]bool{}
	for _, m := range later {
		ids[m.ID] = true
	}
	if len(later) != 2 || !ids[got[1].ID] || !ids["m3"] || ids[got[0].ID] {
		t.Errorf("claim at +6m = %v, want the retried message and m3, not the sent one", ids)
	}
	list, _ := s.ListMail(ctx, "org_a", 10)
	if len(list) != 3 || list[0].ID != "m3" || list[0].Body != "" {
		t.Errorf("ListMail = %d, first %+v; want 3 newest first, without bodies", len(list), list[0])
	}
}

// testVaultInUpdate checks that vault writes share the directory transaction:
// they commit with its events and vanish with its rollback.
func testVaultInUpdate(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx gatehouse.Tx) error {
		if err := tx.Vault().PutCredential(&gatehouse.Credential{User: "usr_r", Org: "org_a"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	if _, err := s.Credential(ctx, "usr_r"); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("a rolled-back Update left its vault write: %v", err)
	}
	err = s.Update(ctx, func(tx gatehouse.Tx) error {
		return tx.Vault().PutCredential(&gatehouse.Credential{User: "usr_c", Org: "org_a"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credential(ctx, "usr_c"); err != nil {
		t.Errorf("a committed Update lost its vault write: %v", err)
	}
}

// testVaultTokenBuckets checks the shared rate-limit buckets: a burst, then a
// refusal until time refills a token, keys apart, concurrent takers never
// getting more than the burst, and the sweep forgetting only full buckets.
func testVaultTokenBuckets(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	take := func(key string, at time.Time) bool {
		t.Helper()
		ok, err := s.TakeToken(ctx, key, at, 0.5, 3) // a token every 2 s, 3 at once
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	var got []bool
	for range 4 {
		got = append(got, take("ip:198.51.100.7", vt0))
	}
	if fmt.Sprint(got) != "[true true true false]" {
		t.Fatalf("4 takes at once = %v, want the burst of 3 then a refusal", got)
	}
	if !take("ip:203.0.113.9", vt0) {
		t.Errorf("another key shares the first one's bucket")
	}
	if take("ip:198.51.100.7", vt0.Add(time.Second)) {
		t.Errorf("a token after 1 s at one per 2 s")
	}
	if !take("ip:198.51.100.7", vt0.Add(2100*time.Millisecond)) || take("ip:198.51.100.7", vt0.Add(2200*time.Millisecond)) {
		t.Errorf("after 2.1 s: want exactly one token back")
	}
	if take("ip:198.51.100.7", vt0.Add(-time.Hour)) {
		t.Errorf("a taker whose clock is an hour behind got a token")
	}

	// Eight concurrent takers on a fresh key: exactly the burst succeeds.
	var wg sync.WaitGroup
	var won atomic.Int32
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := s.TakeToken(ctx, "acct:acme/ana", vt0, 0.5, 3); err == nil && ok {
				won.Add(1)
			} else if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 3 {
		t.Errorf("%d of 8 concurrent takers got a token, want 3", won.Load())
	}

	// At +7 s every bucket has refilled (3 tokens at one per 2 s) and may go.
	if err := s.SweepTokens(ctx, vt0.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	if take("acct:acme/ana", vt0.Add(3*time.Second)) && take("acct:acme/ana", vt0.Add(3*time.Second)) {
		t.Errorf("a sweep before the bucket was full forgot what it had taken")
	}
	if err := s.SweepTokens(ctx, vt0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if !take("acct:acme/ana", vt0.Add(time.Minute)) {
			t.Errorf("take %d after the sweep of full buckets refused", i+1)
		}
	}
}

// testVaultCeremonies checks that a WebAuthn challenge is answered once, by
// its kind, before it expires.
func testVaultCeremonies(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	put := func(id string, exp time.Time) {
		vaultWrite(t, s, func(v gatehouse.VaultTx) error {
			return v.PutCeremony(&gatehouse.Ceremony{ID: id, Kind: gatehouse.CeremonyLogin, Data: []byte(`{"challenge":"abc"}`), ExpiresAt: exp}, vt0)
		})
	}
	take := func(id, kind string, now time.Time) (*gatehouse.Ceremony, error) {
		var c *gatehouse.Ceremony
		err := s.VaultUpdate(ctx, func(v gatehouse.VaultTx) error {
			var err error
			c, err = v.TakeCeremony(id, kind, now)
			return err
		})
		return c, err
	}
	put("c1", vt0.Add(5*time.Minute))
	put("c2", vt0.Add(5*time.Minute))
	if _, err := take("c1", gatehouse.CeremonyRegister, vt0); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("taking a sign-in ceremony as a registration = %v, want not found", err)
	}
	c, err := take("c1", gatehouse.CeremonyLogin, vt0.Add(time.Minute))
	if err != nil || string(c.Data) != `{"challenge":"abc"}` || !c.ExpiresAt.Equal(vt0.Add(5*time.Minute)) {
		t.Fatalf("take = %+v, %v", c, err)
	}
	if _, err := take("c1", gatehouse.CeremonyLogin, vt0.Add(time.Minute)); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("a ceremony taken twice: %v, want not found", err)
	}
	if _, err := take("c2", gatehouse.CeremonyLogin, vt0.Add(6*time.Minute)); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("an expired ceremony was taken: %v", err)
	}
}

// testVaultKeptAnswers checks that an answer kept under an idempotency key is
// read back per organization until it expires, is kept once, and goes with
// the transaction that kept it.
func testVaultKeptAnswers(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	keep := func(org gatehouse.OrgID, key string, exp time.Time, now time.Time) error {
		return s.VaultUpdate(ctx, func(v gatehouse.VaultTx) error {
			return v.KeepAnswer(&gatehouse.KeptAnswer{Org: org, Key: key, Request: "req-" + key, Status: 200,
				Body: []byte(`{"revision":7}`), CreatedAt: now, ExpiresAt: exp}, now)
		})
	}
	if err := keep("org_a", "k1", vt0.Add(24*time.Hour), vt0); err != nil {
		t.Fatal(err)
	}
	got, err := s.KeptAnswer(ctx, "org_a", "k1", vt0.Add(time.Hour))
	want := &gatehouse.KeptAnswer{Org: "org_a", Key: "k1", Request: "req-k1", Status: 200, Body: []byte(`{"revision":7}`),
		CreatedAt: vt0, ExpiresAt: vt0.Add(24 * time.Hour)}
	if err != nil || !cmp.Equal(got, want) {
		t.Fatalf("KeptAnswer = %+v, %v; want %+v", got, err, want)
	}
	if _, err := s.KeptAnswer(ctx, "org_b", "k1", vt0); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("another organization read the key: %v, want not found", err)
	}
	if err := keep("org_a", "k1", vt0.Add(24*time.Hour), vt0.Add(time.Minute)); gatehouse.KindOf(err) != gatehouse.KindConflict {
		t.Errorf("keeping a key twice = %v, want a conflict", err)
	}
	if err := keep("org_b", "k1", vt0.Add(24*time.Hour), vt0); err != nil {
		t.Errorf("the same key in another organization: %v", err)
	}
	// Inside a transaction the answer is read the same way; a rolled back
	// transaction keeps nothing.
	err = s.VaultUpdate(ctx, func(v gatehouse.VaultTx) error {
		if k, err := v.KeptAnswer("org_a", "k1", vt0); err != nil || k.Request != "req-k1" {
			t.Errorf("KeptAnswer in a transaction = %+v, %v", k, err)
		}
		if err := v.KeepAnswer(&gatehouse.KeptAnswer{Org: "org_a", Key: "k2", Request: "r", Status: 400, Body: []byte("{}"),
			CreatedAt: vt0, ExpiresAt: vt0.Add(time.Hour)}, vt0); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("VaultUpdate returned no error")
	}
	if _, err := s.KeptAnswer(ctx, "org_a", "k2", vt0); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("a rolled back answer was kept: %v", err)
	}
	// Expired: not read, and swept by the next keep, which frees the key.
	if _, err := s.KeptAnswer(ctx, "org_a", "k1", vt0.Add(24*time.Hour)); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("an expired answer was read: %v", err)
	}
	later := vt0.Add(25 * time.Hour)
	if err := keep("org_a", "k1", later.Add(24*time.Hour), later); err != nil {
		t.Errorf("keeping an expired key again: %v", err)
	}
	if got, _ := s.KeptAnswer(ctx, "org_a", "k1", later); got == nil || !got.CreatedAt.Equal(later) {
		t.Errorf("the key after expiry = %+v, want the new answer", got)
	}
	if _, err := s.KeptAnswer(ctx, "org_b", "k1", vt0); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("an expired answer of another organization was not swept: %v", err)
	}
}
