package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// me stands for the key's own user in profile and avatar commands.
const me = "me"

// profileCmd is users profile show|set.
func (g *cli) profileCmd(s *scope) *cobra.Command {
	cmd := &cobra.Command{Use: "profile", Short: "A user's profile: phones, manager, skills, certifications, training, language, time zone"}
	cmd.AddCommand(
		g.verb("show USER", "Show a user's profile (by email or id, or me)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			path, err := g.profilePath(ctx, s, args[0])
			if err != nil {
				return err
			}
			if args[0] == me {
				return send(ctx, g, "GET", "/v1/me", nil, func(w io.Writer, m struct{ User gh.User }) { printProfile(w, m.User) })
			}
			return send(ctx, g, "GET", path, nil, printProfile)
		}),
		g.profileSet(s),
	)
	return cmd
}

// profilePath is where a user's profile is read and changed: its admin
// path, or /v1/me/profile for the key's own user.
func (g *cli) profilePath(ctx context.Context, s *scope, ref string) (string, error) {
	if ref == me {
		return "/v1/me/profile", nil
	}
	return g.userPath(ctx, s, ref)
}

// profileSetFlags holds users profile set's flags until they become a patch.
type profileSetFlags struct {
	phones, certs, training, skills, specs []string
	manager, language, timeZone            string
	jobTitle, department                   string
}

func (g *cli) profileSet(s *scope) *cobra.Command {
	var p profileSetFlags
	cmd := g.verb("set USER", "Change a user's profile (by email or id, or me); lists given replace the whole list, an empty value clears it",
		cobra.ExactArgs(1), nil)
	f := cmd.Flags()
	f.StringArrayVar(&p.phones, "phone", nil, "a phone number as TYPE:NUMBER (mobile, work, home or other), repeatable")
	f.StringVar(&p.manager, "manager", "", "the manager's email or id, in the same home")
	f.StringSliceVar(&p.skills, "skills", nil, "skills, separated by commas")
	f.StringSliceVar(&p.specs, "specializations", nil, "specializations, separated by commas")
	f.StringArrayVar(&p.certs, "certification", nil, "NAME;ISSUER;CREDENTIAL_ID;ISSUED;EXPIRES (dates YYYY-MM-DD, parts may be empty), repeatable")
	f.StringArrayVar(&p.training, "training", nil, "COURSE;PROVIDER;COMPLETED (YYYY-MM-DD), repeatable")
	f.StringVar(&p.language, "language", "", "preferred language, a BCP 47 tag such as en-GB")
	f.StringVar(&p.timeZone, "time-zone", "", "time zone, an IANA name such as Europe/Paris")
	f.StringVar(&p.jobTitle, "job-title", "", "job title")
	f.StringVar(&p.department, "department", "", "department")
	cmd.RunE = g.run(func(ctx context.Context, args []string) error {
		patch, err := g.profilePatch(ctx, s, cmd, p)
		if err != nil {
			return err
		}
		path, err := g.profilePath(ctx, s, args[0])
		if err != nil {
			return err
		}
		return send(ctx, g, "PATCH", path, patch, func(w io.Writer, u gh.User) {
			fmt.Fprintf(w, "Updated the profile of %s (%s).\n", u.Email, u.ID)
		})
	})
	return cmd
}

// profilePatch turns the flags that were given into a profile change.
func (g *cli) profilePatch(ctx context.Context, s *scope, cmd *cobra.Command, p profileSetFlags) (directory.SelfProfile, error) {
	var out directory.SelfProfile
	f := cmd.Flags()
	str := func(name string, v string) *string {
		if f.Changed(name) {
			return &v
		}
		return nil
	}
	out.JobTitle, out.Department, out.Language, out.TimeZone = str("job-title", p.jobTitle), str("department", p.department),
		str("language", p.language), str("time-zone", p.timeZone)
	if f.Changed("skills") {
		out.Skills = &p.skills
	}
	if f.Changed("specializations") {
		out.Specializations = &p.specs
	}
	if f.Changed("manager") {
		id := gh.UserID("")
		if p.manager != "" {
			ref, err := g.resolveUser(ctx, *s, p.manager)
			if err != nil {
				return out, err
			}
			id = gh.UserID(ref)
		}
		out.Manager = &id
	}
	var err error
	if f.Changed("phone") {
		var phones []gh.Phone
		phones, err = directory.ParsePhones("phone", p.phones)
		out.Phones = &phones
	}
	if f.Changed("certification") {
		out.Certifications = ptr(directory.ParseCertifications(p.certs))
	}
	if f.Changed("training") {
		out.Training = ptr(directory.ParseTraining(p.training))
	}
	if err == nil && out.ProfilePatch == (directory.ProfilePatch{}) && out.JobTitle == nil && out.Department == nil {
		err = errors.New("nothing to change: give at least one flag (see --help)")
	}
	return out, err
}

func printProfile(w io.Writer, u gh.User) {
	phones, certs, training := directory.ProfileLists(&u)
	fields(w, "Email", u.Email, "Name", u.DisplayName(), "Job title", u.JobTitle, "Department", u.Department,
		"Phones", strings.Join(phones, ", "), "Manager", string(u.Manager), "Skills", strings.Join(u.Skills, ", "),
		"Specializations", strings.Join(u.Specializations, ", "), "Certifications", strings.Join(certs, " | "),
		"Training", strings.Join(training, " | "), "Language", u.Language, "Time zone", u.TimeZone, "Avatar", u.Avatar)
}

// avatarCmd is users avatar set|remove.
func (g *cli) avatarCmd(s *scope) *cobra.Command {
	cmd := &cobra.Command{Use: "avatar", Short: "A user's picture"}
	cmd.AddCommand(
		g.verb("set USER FILE", "Set a user's picture (by email or id, or me) from a PNG, JPEG or GIF file of at most 2 MiB", cobra.ExactArgs(2),
			func(ctx context.Context, args []string) error {
				data, err := readFileOrStdin(args[1])
				if err != nil {
					return err
				}
				return g.sendAvatar(ctx, s, args[0], "PUT", data)
			}),
		g.verb("remove USER", "Remove a user's picture (by email or id, or me)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return g.sendAvatar(ctx, s, args[0], "DELETE", nil)
		}),
	)
	return cmd
}

func (g *cli) sendAvatar(ctx context.Context, s *scope, ref, method string, data []byte) error {
	path := "/v1/me/avatar"
	if ref != me {
		p, err := g.userPath(ctx, s, ref)
		if err != nil {
			return err
		}
		path = p + "/avatar"
	}
	c, err := g.connect()
	if err != nil {
		return err
	}
	var body io.Reader
	ct := ""
	if data != nil {
		body, ct = strings.NewReader(string(data)), http.DetectContentType(data)
	}
	raw, err := c.Send(ctx, method, path, ct, body)
	if err != nil {
		return err
	}
	return show(g, raw, func(w io.Writer, u gh.User) {
		if u.Avatar == "" {
			fmt.Fprintf(w, "%s has no picture now.\n", u.Email)
			return
		}
		fmt.Fprintf(w, "Set the picture of %s (sha256 %s).\n", u.Email, u.Avatar)
	})
}

func ptr[T any](v T) *T { return &v }
