package http

import (
	"net/http"
	"strconv"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// Activity reports: JSON by default, CSV with ?format=csv.

func (s *Server) registerReports() {
	s.both("GET", "/reports/users/{id}", s.report("user-report.csv", func(r *http.Request, a *directory.Actor, sc directory.Scope, p directory.Period) (csvReport, error) {
		return s.dir.UserReport(r.Context(), a, sc, r.PathValue("id"), p)
	}))
	s.both("GET", "/reports/inactive", s.report("inactive-users.csv", s.inactiveReport))
	s.handle("GET", "/v1/orgs/{org}/workspaces/{ws}/reports/workspace", s.report("workspace-report.csv",
		func(r *http.Request, a *directory.Actor, sc directory.Scope, p directory.Period) (csvReport, error) {
			return s.dir.WorkspaceReport(r.Context(), a, sc, p)
		}))
}

// csvReport is a report that also reads as CSV rows.
type csvReport interface{ Rows() [][]string }

// report serves a report of the request's scope: JSON, or CSV with ?format=csv.
func (s *Server) report(file string, run func(*http.Request, *directory.Actor, directory.Scope, directory.Period) (csvReport, error)) handler {
	return func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		p, csv, err := reportQuery(r)
		if err != nil {
			return err
		}
		rep, err := run(r, a, sc, p)
		if err != nil {
			return err
		}
		if csv {
			return writeCSV(w, file, rep.Rows())
		}
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
}

// inactiveList is the answer of the inactive-accounts report.
type inactiveList directory.List[directory.InactiveUser]

func (l inactiveList) Rows() [][]string { return directory.InactiveRows(l.Items) }

func (s *Server) inactiveReport(r *http.Request, a *directory.Actor, sc directory.Scope, _ directory.Period) (csvReport, error) {
	days := 0
	if v := r.URL.Query().Get("days"); v != "" {
		var err error
		if days, err = strconv.Atoi(v); err != nil {
			return nil, gh.Invalid("invalid_query", "days", "must be a number of days from 1 to 3650")
		}
	}
	list, err := s.dir.InactiveReport(r.Context(), a, sc, days)
	if err != nil {
		return nil, err
	}
	return inactiveList{Items: list}, nil
}

// ParseReportTime reads a report bound: an RFC 3339 time, or a date (its
// midnight, UTC). Errors: KindInvalid naming field.
func ParseReportTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, gh.Invalid("invalid_query", field, "must be a date (2026-01-31) or an RFC 3339 time (2026-01-31T12:00:00Z)")
}

// reportQuery reads ?since=, ?until= and ?format=.
func reportQuery(r *http.Request) (directory.Period, bool, error) {
	q := r.URL.Query()
	var p directory.Period
	var err error
	if p.Since, err = ParseReportTime("since", q.Get("since")); err != nil {
		return p, false, err
	}
	if p.Until, err = ParseReportTime("until", q.Get("until")); err != nil {
		return p, false, err
	}
	switch q.Get("format") {
	case "", "json":
		return p, false, nil
	case "csv":
		return p, true, nil
	}
	return p, false, gh.Invalid("invalid_query", "format", `must be "json" or "csv"`)
}
