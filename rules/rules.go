// Package rules compiles and evaluates group membership rules: boolean
// expressions, in the expr language, over the attributes of a user that an
// administrator sets — never ones the user edits about itself, so a rule
// cannot be satisfied by a person's own say-so.
//
//	department == "SOC" && certified("GCIH")
//	job_title in ["Analyst", "Senior Analyst"] || email_domain == "partner.example"
//
// A rule reads department, job_title, email_domain, status ("active",
// "invited", "disabled"), service_account (bool) and certified(name): true
// while the user holds a certification of that name (case ignored) that has
// not expired. Only certified depends on time; Until says when its answer
// can next change, so a membership ends when a certification expires even
// if nothing is written then.
package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	gh "gatehouse.dev/gatehouse"
)

// MaxLength bounds a rule's source; MaxNodes its syntax tree.
const (
	MaxLength = 1000
	maxNodes  = 200
)

// Rule is a compiled membership rule.
type Rule struct {
	Source string
	prog   *vm.Program
}

// env is what a rule sees of a user.
type env struct {
	Department     string            `expr:"department"`
	JobTitle       string            `expr:"job_title"`
	EmailDomain    string            `expr:"email_domain"`
	Status         string            `expr:"status"`
	ServiceAccount bool              `expr:"service_account"`
	Certified      func(string) bool `expr:"certified"`
}

// Compile checks and compiles src; the error says what is wrong and where,
// for a person to read.
func Compile(src string) (*Rule, error) {
	src = strings.TrimSpace(src)
	switch {
	case src == "":
		return nil, fmt.Errorf("is empty")
	case len(src) > MaxLength:
		return nil, fmt.Errorf("is longer than %d characters", MaxLength)
	}
	prog, err := expr.Compile(src, expr.Env(env{}), expr.AsBool(), expr.MaxNodes(maxNodes),
		expr.DisableBuiltin("now"), expr.DisableBuiltin("date"))
	if err != nil {
		return nil, fmt.Errorf("%s", strings.TrimSpace(err.Error()))
	}
	return &Rule{Source: src, prog: prog}, nil
}

// Match reports whether u satisfies the rule at time now. A rule that fails
// to run (which type checking makes rare) matches nobody.
func (r *Rule) Match(u *gh.User, now time.Time) bool {
	out, err := expr.Run(r.prog, envOf(u, now))
	return err == nil && out == true
}

func envOf(u *gh.User, now time.Time) env {
	day := now.UTC().Format(gh.DateLayout)
	return env{
		Department:     u.Department,
		JobTitle:       u.JobTitle,
		EmailDomain:    domainOf(u.Email),
		Status:         string(u.Status),
		ServiceAccount: u.IsService(),
		Certified: func(name string) bool {
			return slices.ContainsFunc(u.Certifications, func(c gh.Certification) bool {
				return strings.EqualFold(c.Name, name) && (c.Expires == "" || string(c.Expires) >= day)
			})
		},
	}
}

func domainOf(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return strings.ToLower(d)
}

// Key is what a rule can see of u, as one string: users with the same key
// satisfy the same rules at the same time, so a rule runs once per key.
func Key(u *gh.User) string {
	var b strings.Builder
	b.WriteString(u.Department)
	b.WriteByte(0)
	b.WriteString(u.JobTitle)
	b.WriteByte(0)
	b.WriteString(domainOf(u.Email))
	b.WriteByte(0)
	b.WriteString(string(u.Status))
	b.WriteByte(0)
	b.WriteString(string(u.Kind))
	for _, c := range u.Certifications {
		b.WriteByte(0)
		b.WriteString(strings.ToLower(c.Name))
		b.WriteByte(1)
		b.WriteString(string(c.Expires))
	}
	return b.String()
}

// Until is the first instant after now at which a rule's answer about u may
// change by time alone: the end of the day its next certification expires
// (a certification holds through its expiry date, UTC). Zero when none will.
func Until(u *gh.User, now time.Time) time.Time {
	var next time.Time
	day := now.UTC().Format(gh.DateLayout)
	for _, c := range u.Certifications {
		if c.Expires == "" || string(c.Expires) < day {
			continue
		}
		t, err := time.Parse(gh.DateLayout, string(c.Expires))
		if err != nil {
			continue
		}
		end := t.AddDate(0, 0, 1) // the first instant it no longer holds
		if next.IsZero() || end.Before(next) {
			next = end
		}
	}
	return next
}
