package signin

import (
	"context"
	"encoding/base64"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
)

// Enrolment is a TOTP secret to put in an authenticator app; shown once.
type Enrolment struct {
	Secret gh.Secret `json:"-"`
	URI    gh.Secret `json:"-"`
	QRPNG  string    `json:"-"` // base64 PNG of URI
}

// BeginTOTP makes a new, unconfirmed TOTP secret for the signed-in user. A
// confirmed factor is replaced only after an admin resets it, so a stolen
// session cannot swap a user's second factor.
func (s *Service) BeginTOTP(ctx context.Context, a *directory.Actor) (*Enrolment, error) {
	u := a.User
	secret, uri, png, err := auth.NewTOTP(s.issuer(u), u.Email)
	if err != nil {
		return nil, err
	}
	_, err = s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		if cred.TOTPConfirmed {
			return gh.Errorf(gh.KindConflict, "mfa_enrolled", "a second factor is set up already; an admin can reset it")
		}
		cred.TOTPSecret, cred.TOTPLastStep = secret, 0
		ch.Record(u.Org, u.Workspace, "mfa.enrol_start", userTarget(u))
		return s.putCred(ch.Vault(), cred)
	})
	if err != nil {
		return nil, err
	}
	return &Enrolment{Secret: gh.Secret(secret), URI: gh.Secret(uri), QRPNG: base64.StdEncoding.EncodeToString(png)}, nil
}

// issuer names the service and the user's organization in authenticator apps.
func (s *Service) issuer(u *gh.User) string {
	if o := s.dir.Index().Org(u.Org); o != nil {
		return s.cfg.Issuer + " (" + o.Name + ")"
	}
	return s.cfg.Issuer
}

// PendingTOTP returns the signed-in user's enrolment that was begun and not
// yet confirmed, its URI and QR code drawn again, so that a page can show it
// after a redirect. Errors: KindNotFound when none is pending.
func (s *Service) PendingTOTP(ctx context.Context, a *directory.Actor) (*Enrolment, error) {
	cred, err := s.credential(ctx, a.User)
	if err != nil {
		return nil, err
	}
	if cred.TOTPSecret == "" || cred.TOTPConfirmed {
		return nil, gh.Errorf(gh.KindNotFound, "no_pending_enrolment", "no authenticator app is being set up")
	}
	uri, png, err := auth.TOTPImage(s.issuer(a.User), a.User.Email, cred.TOTPSecret)
	if err != nil {
		return nil, err
	}
	return &Enrolment{Secret: gh.Secret(cred.TOTPSecret), URI: gh.Secret(uri), QRPNG: base64.StdEncoding.EncodeToString(png)}, nil
}

// ConfirmTOTP turns the pending secret on with a first code and returns ten
// recovery codes, shown once.
func (s *Service) ConfirmTOTP(ctx context.Context, a *directory.Actor, sess *gh.Session, code string, c Client) ([]gh.Secret, error) {
	u := a.User
	if err := s.allow(ctx, c, "mfa/"+string(u.ID)); err != nil {
		return nil, err
	}
	codes, hashes := auth.NewRecoveryCodes()
	_, err := s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		if cred.TOTPSecret == "" || cred.TOTPConfirmed {
			return gh.Errorf(gh.KindConflict, "no_pending_enrolment", "start an enrolment first (POST /v1/me/mfa/totp)")
		}
		step, ok := auth.CheckTOTP(cred.TOTPSecret, code, ch.Now(), cred.TOTPLastStep)
		if !ok {
			return gh.Invalid("wrong_code", "code", "is not the code your app shows now")
		}
		cred.TOTPConfirmed, cred.TOTPLastStep, cred.RecoveryHashes = true, step, hashes
		if sess != nil {
			// The session as it is now, so that the activity this request recorded stays.
			cur, err := s.store.SessionByHash(ctx, sess.TokenHash)
			if err != nil {
				return err
			}
			cur.StepUpAt, cur.LastSeenAt = ch.Now(), ch.Now()
			if err := ch.Vault().PutSession(cur); err != nil {
				return err
			}
		}
		ch.Record(u.Org, u.Workspace, "mfa.enrol", userTarget(u))
		return s.putCred(ch.Vault(), cred)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// NewRecoveryCodes replaces the signed-in user's recovery codes (a sensitive action).
func (s *Service) NewRecoveryCodes(ctx context.Context, a *directory.Actor) ([]gh.Secret, error) {
	if err := stale(a, "new recovery codes"); err != nil {
		return nil, err
	}
	u := a.User
	codes, hashes := auth.NewRecoveryCodes()
	_, err := s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		if !cred.TOTPConfirmed {
			return gh.Errorf(gh.KindConflict, "mfa_not_enrolled", "set up a second factor first")
		}
		cred.RecoveryHashes = hashes
		ch.Record(u.Org, u.Workspace, "mfa.recovery_codes.renew", userTarget(u))
		return s.putCred(ch.Vault(), cred)
	})
	return codes, err
}

// ResetMFA removes a user's second factor, as an admin who may manage the
// user; the user's sessions end and it enrols again at its next sign-in.
func (s *Service) ResetMFA(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.UserID) (gh.Revision, error) {
	u, err := s.dir.ManagedUser(a, sc, id)
	if err != nil {
		return 0, err
	}
	if err := stale(a, "removing someone's second factor"); err != nil {
		return 0, err
	}
	return s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		// Passkeys go too: the device they are on may be the one that was lost.
		cred.TOTPSecret, cred.TOTPConfirmed, cred.TOTPLastStep, cred.RecoveryHashes, cred.Passkeys = "", false, 0, nil, nil
		cred.EmailCodes, cred.Phone, cred.Code = false, "", nil
		if _, err := ch.Vault().DeleteSessions(u.ID, ""); err != nil {
			return err
		}
		ch.Record(u.Org, u.Workspace, "mfa.reset", userTarget(u))
		return s.putCred(ch.Vault(), cred)
	})
}

// MFAStatus tells whether a user has a second factor and how many recovery codes remain.
func (s *Service) MFAStatus(ctx context.Context, u *gh.User) (enrolled bool, recoveryLeft int, err error) {
	cred, err := s.credential(ctx, u)
	if err != nil {
		return false, 0, err
	}
	return cred.TOTPConfirmed, len(cred.RecoveryHashes), nil
}
