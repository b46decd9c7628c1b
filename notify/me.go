package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// Network is the part of an address a device is known by: the /24 of an
// IPv4 address, the /48 of an IPv6 one, so that a home router's new lease
// is not a new device but another office or country is.
func Network(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p.String()
}

// SignedIn records the device of a sign-in, in its transaction: the kind of
// browser and system (the label the sessions list shows) on a network. A
// device never seen for the person tells them, and tells the administrators
// when the person administers people; the first device of all is news to
// nobody.
func (s *Service) SignedIn(ch *directory.Change, u *gh.User, ip, device string) error {
	sum := sha256.Sum256([]byte(device + "|" + Network(ip)))
	isNew, hadOthers, err := ch.Vault().SeeDevice(u.Org, u.ID, hex.EncodeToString(sum[:16]), ch.Now())
	if err != nil || !isNew || !hadOthers {
		return err
	}
	when := ch.Now().UTC().Format("2006-01-02 15:04 MST")
	body := fmt.Sprintf("Someone signed in to your account from %s on network %s at %s. If it was not you, change your password "+
		"and end your other sessions.", device, Network(ip), when)
	if err := s.Tell(ch, u, gh.NoteSignIn, "New sign-in from "+device, body); err != nil {
		return err
	}
	if !s.dir.Index().Administers(u.ID) {
		return nil
	}
	return s.TellAdmins(ch, u.Org, "admin_new_device", "Unusual activity: "+u.Email+" signed in from a new device",
		fmt.Sprintf("%s, who administers people, signed in from %s on network %s at %s, never seen for them before.", u.Email, device, Network(ip), when))
}

// Inbox is what the signed-in person reads: notifications, newest first,
// with the unread count, and the announcements shown to them now.
type Inbox struct {
	Items         []*gh.Notification `json:"items"`
	Unread        int                `json:"unread"`
	Announcements []*gh.Announcement `json:"announcements"`
}

// Inbox reads u's notifications (the newest limit) and live announcements.
func (s *Service) Inbox(ctx context.Context, u *gh.User, limit int) (*Inbox, error) {
	items, unread, err := s.store.Notifications(ctx, u.ID, limit)
	if err != nil {
		return nil, err
	}
	anns, err := s.dir.AnnouncementsFor(ctx, u)
	if err != nil {
		return nil, err
	}
	return &Inbox{Items: items, Unread: unread, Announcements: anns}, nil
}

// Unread counts u's unread notifications, for the console's header.
func (s *Service) Unread(ctx context.Context, u *gh.User) (int, error) {
	_, n, err := s.store.Notifications(ctx, u.ID, 1)
	return n, err
}

// MarkRead marks u's notifications read: those named, or all when ids is
// empty. Ids of someone else's notifications change nothing. KindInvalid
// for more than 1,000 ids.
func (s *Service) MarkRead(ctx context.Context, u *gh.User, ids []string) (int, error) {
	if len(ids) > 1000 {
		f := gh.Fields{}
		f.Add("ids", "names more than 1000 notifications")
		return 0, f.Err()
	}
	var n int
	err := s.store.VaultUpdate(ctx, func(v gh.VaultTx) (err error) {
		n, err = v.MarkNotesRead(u.ID, ids, s.dir.Now())
		return err
	})
	return n, err
}

// Prefs returns u's choice for every category, the defaults where none was made.
func (s *Service) Prefs(ctx context.Context, u *gh.User) ([]gh.NotePref, error) {
	chosen, err := s.store.NotePrefs(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]gh.NotePref, 0, len(gh.NoteCategories))
	for _, c := range gh.NoteCategories {
		i := slices.IndexFunc(chosen, func(p gh.NotePref) bool { return p.Category == c })
		if i >= 0 {
			out = append(out, chosen[i])
		} else {
			out = append(out, gh.DefaultNotePref(c))
		}
	}
	return out, nil
}

// SetPrefs records u's choices for the categories named, all or none:
// KindInvalid, naming the entry, for an unknown category.
func (s *Service) SetPrefs(ctx context.Context, u *gh.User, prefs []gh.NotePref) ([]gh.NotePref, error) {
	f := gh.Fields{}
	for i, p := range prefs {
		if p.Validate() != nil {
			f.Add(fmt.Sprintf("preferences[%d].category", i), "is not one of account, sign_in, announcement, security")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	err := s.store.VaultUpdate(ctx, func(v gh.VaultTx) error {
		for _, p := range prefs {
			if err := v.PutNotePref(u.Org, u.ID, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Prefs(ctx, u)
}

// Announced mails a live announcement, in its publication's transaction, to
// those of its audience who chose announcements by email; the console and
// the API show it to all of them for its window. One that starts later is
// not mailed.
func (s *Service) Announced(ch *directory.Change, ann *gh.Announcement) error {
	if !ann.Live(ch.Now()) {
		return nil
	}
	body := ann.Body + "\n\n(Shown until " + ann.EndsAt.UTC().Format("2006-01-02 15:04 MST") + ".)"
	for _, u := range s.dir.Audience(ann) {
		if s.pref(ch, u.ID, gh.NoteAnnouncement).Email {
			if err := s.queue(ch, u.Org, u.Email, MailKind, "[Gatehouse] "+ann.Title, body); err != nil {
				return err
			}
		}
	}
	return nil
}
