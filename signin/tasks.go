package signin

import (
	"context"
	"strconv"

	gh "gatehouse.dev/gatehouse"
)

// Task is something that awaits the signed-in person.
type Task struct {
	Kind   string `json:"kind"` // change_password, enrol_mfa, read_notifications, org_warning
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
	Link   string `json:"link,omitempty"` // the console page where it is done
}

// Tasks lists what awaits u: a password an admin asked it to change, a
// second factor its policy requires and it lacks, unread notifications and,
// for an Org Admin, the organization's warnings. An invitation waits for
// someone who cannot sign in yet, so it is in the invitation mail instead.
func (s *Service) Tasks(ctx context.Context, u *gh.User) ([]Task, error) {
	cred, err := s.credential(ctx, u)
	if err != nil {
		return nil, err
	}
	tasks := []Task{}
	if cred.MustChange {
		tasks = append(tasks, Task{Kind: "change_password", Title: "Set a new password",
			Detail: "An administrator asked you to choose a new password.", Link: "/account"})
	}
	enrolled := cred.TOTPConfirmed || len(cred.Passkeys) > 0
	if !enrolled && s.policy(u.Org).MFARequired(s.dir.Index().Administers(u.ID)) {
		tasks = append(tasks, Task{Kind: "enrol_mfa", Title: "Set up a second factor",
			Detail: "Your organization requires an authenticator app or a passkey.", Link: "/account"})
	}
	if n, err := s.notes.Unread(ctx, u); err != nil {
		return nil, err
	} else if n > 0 {
		tasks = append(tasks, Task{Kind: "read_notifications", Title: plural(n, "unread notification"), Link: "/notifications"})
	}
	if o := s.dir.Index().Org(u.Org); o != nil && u.IsOrgAdmin() {
		for _, w := range s.dir.OrgWarnings(o) {
			tasks = append(tasks, Task{Kind: "org_warning", Title: w, Link: "/settings"})
		}
	}
	return tasks, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
