package http

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// maxCSV bounds an import file.
const maxCSV = 5 << 20

// CSVImportResult is the answer to a user import.
type CSVImportResult = directory.ImportResult

// csvColumns maps the header names a file may use to the row fields.
var csvColumns = map[string]string{
	"email": "email", "e-mail": "email",
	"first_name": "given", "first name": "given", "given_name": "given", "firstname": "given",
	"last_name": "family", "last name": "family", "family_name": "family", "lastname": "family",
	"role": "role", "group": "group", "workspace": "workspace",
	"job_title": "job_title", "department": "department", "phone": "phone", "phones": "phones",
	"manager": "manager", "manager_email": "manager", "skills": "skills", "specializations": "specializations",
	"language": "language", "time_zone": "time_zone",
}

// parseUserCSV reads a header row and the user rows. Line numbers count the header as line 1.
func parseUserCSV(body []byte) ([]directory.ImportRow, error) {
	body = bytes.TrimPrefix(body, []byte("\ufeff")) // spreadsheet exports often start with a BOM
	r := csv.NewReader(bytes.NewReader(body))
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, gh.Errorf(gh.KindInvalid, "csv_empty", "the file is empty; the first line must name the columns (email, first_name, last_name, role, group)")
	}
	if err != nil {
		return nil, csvError(err)
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		name, ok := csvColumns[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			return nil, gh.Invalid("csv_header", "header", "column "+quote(h)+" is unknown; use email, first_name, last_name, role, group, workspace, "+
				"job_title, department, phone, phones, manager, skills, specializations, language, time_zone")
		}
		if seen[name] {
			return nil, gh.Invalid("csv_header", "header", "column "+quote(h)+" appears twice")
		}
		seen[name], cols[i] = true, name
	}
	if !seen["email"] || !seen["given"] {
		return nil, gh.Invalid("csv_header", "header", "the columns email and first_name are required")
	}
	var rows []directory.ImportRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := r.FieldPos(0)
		row := directory.ImportRow{Line: line}
		for i, v := range rec {
			v = strings.TrimSpace(v)
			switch cols[i] {
			case "email":
				row.Email = v
			case "given":
				row.GivenName = v
			case "family":
				row.FamilyName = v
			case "role":
				row.Role = v
			case "group":
				row.Group = v
			case "workspace":
				row.Workspace = v
			default:
				*profileCell(&row.ImportProfile, cols[i]) = v
			}
		}
		if len(rows) >= directory.MaxImportRows {
			return nil, gh.Errorf(gh.KindInvalid, "csv_too_long", "at most %d users per import; split the file", directory.MaxImportRows)
		}
		rows = append(rows, row)
	}
}

// profileCell is the field of p that a profile column fills.
func profileCell(p *directory.ImportProfile, col string) *string {
	return map[string]*string{"job_title": &p.JobTitle, "department": &p.Department, "phone": &p.Phone, "phones": &p.Phones,
		"manager": &p.Manager, "skills": &p.Skills, "specializations": &p.Specializations, "language": &p.Language,
		"time_zone": &p.TimeZone}[col]
}

func quote(s string) string { return `"` + s + `"` }

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return gh.Invalid("csv_malformed", "line "+strconv.Itoa(pe.Line), pe.Err.Error())
	}
	return gh.Errorf(gh.KindInvalid, "csv_malformed", "the file is not valid CSV: %v", err)
}

// readUserCSV reads a text/csv body of users and its ?mode= (all or valid).
func readUserCSV(w http.ResponseWriter, r *http.Request) ([]directory.ImportRow, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/csv" {
		return nil, gh.Errorf(gh.KindUnsupported, "unsupported_media_type", "send the file as text/csv")
	}
	if mode := r.URL.Query().Get("mode"); mode != "" && mode != "all" && mode != "valid" {
		return nil, gh.Invalid("invalid_query", "mode", `must be "all" (import nothing unless every row is good) or "valid" (import the good rows)`)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCSV))
	if err != nil {
		return nil, bodyError(err)
	}
	return parseUserCSV(body)
}

func (s *Server) registerCSV() {
	s.both("POST", "/users/import", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		rows, err := readUserCSV(w, r)
		if err != nil {
			return err
		}
		res, err := s.dir.ImportUsers(r.Context(), a, sc, rows, r.URL.Query().Get("mode") == "valid")
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	})
	s.both("GET", "/users/export", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		list, err := s.dir.ListUsers(a, sc, directory.UserFilter{}, directory.Page{Limit: 1 << 30})
		if err != nil {
			return err
		}
		rows := [][]string{append([]string{"id", "email", "first_name", "last_name", "status", "org_role", "job_title", "department", "phone", "groups"}, profileColumns...)}
		for _, u := range list.Items {
			rows = append(rows, append([]string{string(u.ID), u.Email, u.GivenName, u.FamilyName, string(u.Status), string(u.OrgRole),
				u.JobTitle, u.Department, u.Phone, strings.Join(s.dir.GroupNames(u.ID), "; ")}, s.profileCells(u)...))
		}
		return writeCSV(w, "users.csv", rows)
	})
	s.both("GET", "/users/import/sample", s.inScope(s.importSample))
	s.handle("GET", "/v1/orgs/{org}/access/export", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		o, err := s.dir.Org(a, r.PathValue("org"))
		if err != nil {
			return err
		}
		var ws *gh.Workspace
		if ref := r.URL.Query().Get("workspace"); ref != "" {
			if ws, err = s.dir.Workspace(a, o, ref); err != nil {
				return err
			}
		}
		matrix, err := s.dir.AccessMatrix(a, o, ws)
		if err != nil {
			return err
		}
		rows := [][]string{{"workspace", "workspace_id", "user_email", "user_id", "role", "role_id", "assigned_to", "via"}}
		for _, m := range matrix {
			var via []string
			for _, g := range m.Path.Via {
				via = append(via, g.Name)
			}
			rows = append(rows, []string{m.Workspace.Name, string(m.Workspace.ID), m.User.Email, string(m.User.User),
				m.Path.RoleName, string(m.Path.Role), string(m.Path.Principal.Type) + ":" + m.Path.Name, strings.Join(via, " > ")})
		}
		return writeCSV(w, "access.csv", rows)
	})
}

// profileColumns are the export's columns after groups, which an import
// reads back alike.
var profileColumns = []string{"phones", "manager", "skills", "specializations", "language", "time_zone"}

func (s *Server) profileCells(u *gh.User) []string {
	manager := ""
	if m := s.dir.Index().User(u.Manager); m != nil {
		manager = m.Email
	}
	return []string{directory.JoinPhones(u.Phones), manager, strings.Join(u.Skills, directory.ListSep+" "),
		strings.Join(u.Specializations, directory.ListSep+" "), u.Language, u.TimeZone}
}

// importSample is a file the import of this scope takes as it is: the role
// column holds a role usable here, the group column one of its groups.
func (s *Server) importSample(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	groups, err := s.dir.ListGroups(a, sc, "", directory.Page{Limit: 1})
	if err != nil {
		return err
	}
	group := ""
	if len(groups.Items) > 0 {
		group = groups.Items[0].Name
	}
	role, domain := string(gh.OrgRoleMember), "@partner.example"
	if sc.Workspace != nil {
		role, domain = "Incident Analyst", "@customer.example"
	}
	return writeCSV(w, "people.csv", [][]string{{"email", "first_name", "last_name", "role", "group"},
		{"ana.alves" + domain, "Ana", "Alves", role, group}, {"ben.brook" + domain, "Ben", "Brook", "", ""}})
}

// writeCSV sends rows as a CSV attachment, every cell through csvCell.
func writeCSV(w http.ResponseWriter, name string, rows [][]string) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	cw := csv.NewWriter(w)
	for _, row := range rows {
		for i, c := range row {
			row[i] = csvCell(c)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// formulaStart holds the characters that make a spreadsheet read a cell as a
// formula: the ASCII signs, tab and carriage return (OWASP CSV injection), and
// the fullwidth signs, which Excel and LibreOffice fold to ASCII when typed.
const formulaStart = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"

// csvCell returns c prefixed with a quote when a spreadsheet would run it as
// a formula (CSV injection). Invisible format characters in front (a
// byte-order mark, zero-width spaces, bidi marks) are looked through: a
// spreadsheet may drop them on import and then see the sign.
func csvCell(c string) string {
	first := strings.TrimLeftFunc(c, func(r rune) bool { return unicode.Is(unicode.Cf, r) })
	if r, _ := utf8.DecodeRuneInString(first); first != "" && strings.ContainsRune(formulaStart, r) {
		return "'" + c
	}
	return c
}
