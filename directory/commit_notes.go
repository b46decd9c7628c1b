package directory

import (
	"time"

	gh "gatehouse.dev/gatehouse"
)

// The notification rows a write keeps count as vault rows written, like
// mail: a write refused after writing them sends its group back. (Notices
// asked for with Change.Notice are written only once the group's writes
// have run, so they never do.)

func (v *vaultRecorder) PutNotifications(ns []*gh.Notification) error {
	v.wrote = true
	return v.VaultTx.PutNotifications(ns)
}
func (v *vaultRecorder) PutNotePref(org gh.OrgID, u gh.UserID, p gh.NotePref) error {
	v.wrote = true
	return v.VaultTx.PutNotePref(org, u, p)
}
func (v *vaultRecorder) MarkNotesRead(u gh.UserID, ids []string, at time.Time) (int, error) {
	v.wrote = true
	return v.VaultTx.MarkNotesRead(u, ids, at)
}
func (v *vaultRecorder) PutAnnouncement(a *gh.Announcement) error {
	v.wrote = true
	return v.VaultTx.PutAnnouncement(a)
}
func (v *vaultRecorder) DeleteAnnouncement(org gh.OrgID, id string) error {
	v.wrote = true
	return v.VaultTx.DeleteAnnouncement(org, id)
}
func (v *vaultRecorder) SeeDevice(org gh.OrgID, u gh.UserID, device string, at time.Time) (bool, bool, error) {
	v.wrote = true
	return v.VaultTx.SeeDevice(org, u, device, at)
}
