package http

import (
	"errors"
	"io"
	"mime"
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// registerProfiles adds the self-service profile and the avatars of users.
// Admins change the rest of a user's profile through PATCH /users/{id}.
func (s *Server) registerProfiles() {
	s.handle("PATCH", "/v1/me/profile", s.mine(s.updateMyProfile))
	s.handle("GET", "/v1/me/avatar", s.mine(s.myScope(s.getAvatar)))
	s.handle("PUT", "/v1/me/avatar", s.mine(s.myScope(s.putAvatar)))
	s.handle("DELETE", "/v1/me/avatar", s.mine(s.myScope(s.deleteAvatar)))
	s.both("GET", "/users/{id}/avatar", s.inScope(s.getAvatar))
	s.both("PUT", "/users/{id}/avatar", s.inScope(s.putAvatar))
	s.both("DELETE", "/users/{id}/avatar", s.inScope(s.deleteAvatar))
}

// myScope runs a user handler on the actor's own home and id.
func (s *Server) myScope(h scopeHandler) handler {
	return func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.dir.HomeScope(a)
		if err != nil {
			return err
		}
		r.SetPathValue("id", string(a.User.ID))
		return h(w, r, a, sc)
	}
}

func (s *Server) updateMyProfile(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	sc, err := s.dir.HomeScope(a)
	if err != nil {
		return err
	}
	var in directory.SelfProfile
	m, err := decodePatch(w, r, &in)
	if err != nil {
		return err
	}
	u, rev, err := s.dir.UpdateUser(r.Context(), a, sc, a.User.ID, in.Patch(), m)
	if err != nil {
		return err
	}
	writeObject(w, http.StatusOK, rev, u)
	return nil
}

// avatarCSP forbids the picture everything but being shown: opened on its
// own, it can run nothing and load nothing.
const avatarCSP = "default-src 'none'; sandbox"

// getAvatar sends a user's picture, revalidated on every use (no-cache)
// because who may see it can change.
func (s *Server) getAvatar(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	av, err := s.dir.Avatar(r.Context(), a, sc, gh.UserID(r.PathValue("id")))
	if err != nil {
		return err
	}
	ServeAvatar(w, r, av)
	return nil
}

// ServeAvatar sends a picture as the API and the console do: always PNG,
// never sniffed, running nothing, revalidated by its hash.
func ServeAvatar(w http.ResponseWriter, r *http.Request, av *gh.Avatar) {
	tag := `"` + av.Hash + `"`
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", avatarCSP)
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "image/png")
	_, _ = w.Write(av.PNG)
}

// putAvatar takes the picture as the raw body, typed image/png, image/jpeg
// or image/gif, at most directory.MaxAvatarBytes.
func (s *Server) putAvatar(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "image/png" && mt != "image/jpeg" && mt != "image/gif") {
		return gh.Errorf(gh.KindUnsupported, "unsupported_media_type", "send the picture as image/png, image/jpeg or image/gif")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, directory.MaxAvatarBytes))
	if _, big := errors.AsType[*http.MaxBytesError](err); big {
		return gh.Invalid("avatar_too_large", "avatar", "is larger than 2 MiB")
	}
	if err != nil {
		return gh.Errorf(gh.KindInvalid, "bad_body", "the picture could not be read")
	}
	u, rev, err := s.dir.SetAvatar(r.Context(), a, sc, gh.UserID(r.PathValue("id")), raw, mt)
	if err != nil {
		return err
	}
	writeObject(w, http.StatusOK, rev, u)
	return nil
}

func (s *Server) deleteAvatar(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	u, rev, err := s.dir.RemoveAvatar(r.Context(), a, sc, gh.UserID(r.PathValue("id")))
	if err != nil {
		return err
	}
	writeObject(w, http.StatusOK, rev, u)
	return nil
}
