package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	"gatehouse.dev/gatehouse/sso"
)

// Client calls a Gatehouse server's REST API with one API key. It is safe for
// concurrent use. The admin CLI is built on it; the platform's other services
// use Check, Explain, the lookups and Guard.
type Client struct {
	BaseURL string       // such as "http://127.0.0.1:8080", without /v1
	Key     string       // the API key sent as a bearer token
	HTTP    *http.Client // the transport; NewClient gives one with a timeout
	// CLI marks requests as made by the admin CLI, so the audit log records
	// via "cli" instead of "api".
	CLI bool
}

// NewClient returns a client for the server at baseURL acting with key. A nil
// hc means a default client with a 30-second timeout.
func NewClient(baseURL, key string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Key: key, HTTP: hc}
}

// APIError is an error answer of the server (its problem+json body). Errors
// that never reached the server, such as a refused connection, are returned
// as they are, not as *APIError.
type APIError struct {
	Status    int               // HTTP status
	Code      string            // stable code clients may match on: "email_taken"
	Detail    string            // what went wrong, safe to show to a person
	Fields    map[string]string // per-field messages of invalid input
	RequestID string            // identifies the request in the server's logs
	// Operations are the failed operations of a refused batch.
	Operations []OpProblem
}

// Error says what went wrong and which fields to correct, in one line.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Detail)
	if b.Len() == 0 {
		b.WriteString(http.StatusText(e.Status))
	}
	for _, name := range e.FieldNames() {
		fmt.Fprintf(&b, "; %s %s", name, e.Fields[name])
	}
	fmt.Fprintf(&b, " (%d %s", e.Status, e.Code)
	if e.RequestID != "" {
		fmt.Fprintf(&b, ", request %s", e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// FieldNames returns the names of the invalid fields in order.
func (e *APIError) FieldNames() []string {
	names := make([]string, 0, len(e.Fields))
	for name := range e.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Do sends in (when not nil) as JSON to method path (which starts with /v1 and
// may carry a query) and decodes the answer into out (when not nil). With out
// of type *json.RawMessage the body is kept as the server sent it. An error
// answer is returned as *APIError.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	contentType := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	raw, err := c.Send(ctx, method, path, contentType, body)
	if err != nil || out == nil {
		return err
	}
	if rm, ok := out.(*json.RawMessage); ok {
		*rm = append((*rm)[:0], raw...)
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode the answer of %s %s: %w", method, path, err)
	}
	return nil
}

// Send sends a body of any media type (a CSV file, say) and returns the
// answer's bytes as they came; an error status becomes an *APIError.
func (c *Client) Send(ctx context.Context, method, path, contentType string, body io.Reader) ([]byte, error) {
	return c.send(ctx, method, path, contentType, body, nil)
}

// Batch applies ops to organization org all or nothing (POST
// /v1/orgs/{org}/batch), or with dryRun checks them and changes nothing. A
// non-empty key is the batch's Idempotency-Key: sent again with the same ops,
// the batch is answered as the first time and applied once. A refused batch
// is an *APIError whose Operations name each failed operation.
func (c *Client) Batch(ctx context.Context, org, key string, ops []directory.BatchOp, dryRun bool) (*BatchAnswer, error) {
	b, err := json.Marshal(batchInput{Operations: ops, DryRun: dryRun})
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	var h http.Header
	if key != "" {
		h = http.Header{"Idempotency-Key": {key}}
	}
	raw, err := c.send(ctx, "POST", "/v1/orgs/"+url.PathEscape(org)+"/batch", "application/json", bytes.NewReader(b), h)
	if err != nil {
		return nil, err
	}
	var out BatchAnswer
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decode the answer of the batch: %w", err)
	}
	return &out, nil
}

// WhatIf asks who would lose and gain which capability where if ops were
// applied to organization org (POST /v1/orgs/{org}/whatif); nothing is
// changed. Operations the caller may not make are refused as a batch's dry
// run refuses them: an *APIError whose Operations name each one.
func (c *Client) WhatIf(ctx context.Context, org string, ops []directory.BatchOp) (*directory.Impact, error) {
	var out directory.Impact
	if err := c.Do(ctx, "POST", "/v1/orgs/"+url.PathEscape(org)+"/whatif", batchInput{Operations: ops}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) send(ctx context.Context, method, path, contentType string, body io.Reader, h http.Header) ([]byte, error) {
	raw, _, err := c.exchange(ctx, method, path, contentType, body, h)
	return raw, err
}

// exchange is send that also returns the answer's headers (its ETag, say).
func (c *Client) exchange(ctx context.Context, method, path, contentType string, body io.Reader, h http.Header) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json, text/csv")
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.CLI {
		req.Header.Set("Gatehouse-Client", "cli")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read the answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return nil, nil, decodeProblem(resp, raw)
	}
	return raw, resp.Header, nil
}

// decodeProblem turns an error answer into *APIError. Answers that are not
// problem+json (a proxy's error page) keep their status and a short excerpt.
func decodeProblem(resp *http.Response, raw []byte) *APIError {
	e := &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var p Problem
	if (mt == "application/problem+json" || mt == "application/json") && json.Unmarshal(raw, &p) == nil && p.Code != "" {
		e.Code, e.Detail, e.Fields, e.Operations = p.Code, p.Detail, p.Fields, p.Operations
		if p.RequestID != "" {
			e.RequestID = p.RequestID
		}
		return e
	}
	e.Code = "http_" + strconv.Itoa(resp.StatusCode)
	e.Detail = "the server answered " + resp.Status
	if s := strings.TrimSpace(string(raw)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		e.Detail += ": " + s
	}
	return e
}

// Consistency is what a reader asks of the index's freshness: pass a revision
// a write returned as AtLeastRevision to be sure to see that write.
type Consistency = directory.Consistency

// CheckRequest is one access question. User is an id, or an email within Org;
// Workspace an id or a slug. An organization capability is asked without a
// workspace. Level defaults to full. The lookups read the same fields: Lookup
// Workspaces ignores Workspace and LookupUsers ignores User.
type CheckRequest struct {
	Org         string        `json:"org,omitempty"`
	User        string        `json:"user,omitempty"`
	Workspace   string        `json:"workspace,omitempty"`
	Capability  gh.Capability `json:"capability"`
	Level       gh.Level      `json:"level,omitempty"`
	Consistency *Consistency  `json:"consistency,omitempty"`
}

// Check asks whether a user may use a capability. A denial is an answer
// (Allowed false), not an error; unknown users and workspaces are *APIError 404.
func (c *Client) Check(ctx context.Context, q CheckRequest) (engine.Decision, error) {
	var d engine.Decision
	err := c.Do(ctx, "POST", "/v1/check", q, &d)
	return d, err
}

// CheckResult is one answer of a batch: a decision, or the error of that question alone.
type CheckResult struct {
	engine.Decision
	Err error // *APIError when this question was refused
}

// CheckBatch asks up to 1000 questions at once and returns the answers in
// order with the revision they reflect. The server waits once for the whole
// batch, so the strictest Consistency among the questions applies to all of them.
func (c *Client) CheckBatch(ctx context.Context, qs []CheckRequest) ([]CheckResult, gh.Revision, error) {
	var in struct {
		Checks      []CheckRequest `json:"checks"`
		Consistency *Consistency   `json:"consistency,omitempty"`
	}
	in.Checks = make([]CheckRequest, len(qs))
	for i, q := range qs {
		if q.Consistency != nil {
			if in.Consistency == nil {
				in.Consistency = &Consistency{}
			}
			in.Consistency.AtLeastRevision = max(in.Consistency.AtLeastRevision, q.Consistency.AtLeastRevision)
			in.Consistency.FullyConsistent = in.Consistency.FullyConsistent || q.Consistency.FullyConsistent
		}
		q.Consistency = nil
		in.Checks[i] = q
	}
	var out struct {
		Results []struct {
			engine.Decision
			Error *Problem `json:"error"`
		} `json:"results"`
		Revision gh.Revision `json:"revision"`
	}
	if err := c.Do(ctx, "POST", "/v1/check/batch", in, &out); err != nil {
		return nil, 0, err
	}
	res := make([]CheckResult, len(out.Results))
	for i, r := range out.Results {
		res[i].Decision = r.Decision
		if p := r.Error; p != nil {
			res[i].Err = &APIError{Status: p.Status, Code: p.Code, Detail: p.Detail, Fields: p.Fields}
		}
	}
	return res, out.Revision, nil
}

// Explain answers like Check and says why, step by step, with the fix when denied.
func (c *Client) Explain(ctx context.Context, q CheckRequest) (*engine.Explanation, error) {
	var e engine.Explanation
	if err := c.Do(ctx, "POST", "/v1/explain", q, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// LookupPage asks for one page of a lookup: the answers after Cursor (the
// Next of the previous page; "" for the first), at most Limit of them (100
// when 0, at most 1000), each with its paths when Paths is set.
type LookupPage struct {
	Cursor string
	Limit  int
	Paths  bool
}

// LookupWorkspacesPage lists one page of the workspaces where q.User holds
// q.Capability at q.Level or above, in id order.
func (c *Client) LookupWorkspacesPage(ctx context.Context, q CheckRequest, p LookupPage) (LookupList[engine.WorkspaceAccess], error) {
	return lookupPage[engine.WorkspaceAccess](ctx, c, "/v1/lookup/workspaces", q, p)
}

// LookupUsersPage lists one page of the users holding q.Capability at
// q.Level or above in q.Workspace, in id order.
func (c *Client) LookupUsersPage(ctx context.Context, q CheckRequest, p LookupPage) (LookupList[engine.UserAccess], error) {
	return lookupPage[engine.UserAccess](ctx, c, "/v1/lookup/users", q, p)
}

// LookupWorkspaces lists every workspace where q.User holds q.Capability at
// q.Level or above, each with its paths, reading page after page; the
// revision is the last page's. LookupWorkspacesPage answers one page, faster.
func (c *Client) LookupWorkspaces(ctx context.Context, q CheckRequest) ([]engine.WorkspaceAccess, gh.Revision, error) {
	return lookupAll[engine.WorkspaceAccess](ctx, c, "/v1/lookup/workspaces", q)
}

// LookupUsers lists every user holding q.Capability at q.Level or above in
// q.Workspace, each with its paths, as LookupWorkspaces does.
func (c *Client) LookupUsers(ctx context.Context, q CheckRequest) ([]engine.UserAccess, gh.Revision, error) {
	return lookupAll[engine.UserAccess](ctx, c, "/v1/lookup/users", q)
}

func lookupPage[T any](ctx context.Context, c *Client, path string, q CheckRequest, p LookupPage) (LookupList[T], error) {
	v := q.Query()
	if p.Cursor != "" {
		v.Set("cursor", p.Cursor)
	}
	if p.Limit > 0 {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Paths {
		v.Set("paths", "true")
	}
	var out LookupList[T]
	err := c.Do(ctx, "GET", path+"?"+v.Encode(), nil, &out)
	return out, err
}

func lookupAll[T any](ctx context.Context, c *Client, path string, q CheckRequest) ([]T, gh.Revision, error) {
	p := LookupPage{Limit: directory.MaxLimit, Paths: true}
	items := []T{}
	for {
		page, err := lookupPage[T](ctx, c, path, q, p)
		if err != nil {
			return nil, 0, err
		}
		items = append(items, page.Items...)
		if page.Next == "" {
			return items, page.Revision, nil
		}
		p.Cursor = page.Next
	}
}

// Query encodes the question as the query string of the lookup endpoints.
func (q CheckRequest) Query() url.Values {
	v := url.Values{"capability": {string(q.Capability)}}
	for name, val := range map[string]string{"org": q.Org, "user": q.User, "workspace": q.Workspace} {
		if val != "" {
			v.Set(name, val)
		}
	}
	if q.Level != gh.LevelNone {
		v.Set("level", q.Level.String())
	}
	if c := q.Consistency; c != nil {
		if c.AtLeastRevision > 0 {
			v.Set("at_least_revision", strconv.FormatInt(int64(c.AtLeastRevision), 10))
		}
		if c.FullyConsistent {
			v.Set("fully_consistent", "true")
		}
	}
	return v
}

// Guard returns middleware that lets a request through only when Gatehouse
// allows user (an id, or an email of the client key's organization) the
// capability at full level in workspace (an id or slug), both named by the
// user function. A denial, or a question Gatehouse refuses (unknown user or
// workspace), answers 403; Gatehouse unreachable or failing answers 503, so an
// outage never opens the door.
func Guard(c *Client, capability gh.Capability, user func(*http.Request) (userRef, workspaceRef string)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, ws := user(r)
			if u == "" {
				guardRefuse(w, http.StatusForbidden, capability)
				return
			}
			d, err := c.Check(r.Context(), CheckRequest{User: u, Workspace: ws, Capability: capability})
			switch {
			case err != nil:
				guardRefuse(w, guardStatus(err), capability)
			case !d.Allowed:
				guardRefuse(w, http.StatusForbidden, capability)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// guardStatus maps a check error to the status Guard answers: the question
// being refused (unknown user or workspace) is a denial; our own key being
// refused, or the server failing or out of reach, is an outage.
func guardStatus(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		switch e.Status {
		case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound:
			return http.StatusForbidden
		}
	}
	return http.StatusServiceUnavailable
}

func guardRefuse(w http.ResponseWriter, status int, c gh.Capability) {
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status,
		Code: "forbidden", Detail: "this needs " + string(c) + " in this workspace"}
	if status == http.StatusServiceUnavailable {
		p.Code, p.Detail = "access_check_unavailable", "access cannot be checked right now; retry"
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = encodeJSON(w, p)
}

// HomePath is the API path of organization org, or of its workspace ws when
// ws is not empty: the base of the identity provider and domain paths.
func HomePath(org, ws string) string {
	p := "/v1/orgs/" + url.PathEscape(org)
	if ws != "" {
		p += "/workspaces/" + url.PathEscape(ws)
	}
	return p
}

// doJSON sends in as JSON with the extra headers h and decodes the answer
// into out, returning the revision its ETag names (0 without one).
func (c *Client) doJSON(ctx context.Context, method, path string, h http.Header, in, out any) (gh.Revision, error) {
	var body io.Reader
	contentType := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("encode request: %w", err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	raw, hdr, err := c.exchange(ctx, method, path, contentType, body, h)
	if err != nil {
		return 0, err
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return 0, fmt.Errorf("decode the answer of %s %s: %w", method, path, err)
		}
	}
	etag := strings.Trim(strings.TrimPrefix(hdr.Get("ETag"), "W/"), `"`)
	n, _ := strconv.ParseInt(etag, 10, 64)
	return gh.Revision(n), nil
}

// ifMatchHeader asks the server to change the object only at revision rev.
func ifMatchHeader(rev gh.Revision) http.Header {
	if rev <= 0 {
		return nil
	}
	return http.Header{"If-Match": {`"` + strconv.FormatInt(int64(rev), 10) + `"`}}
}

// IdentityProviders lists the identity providers of organization org, or of
// its workspace ws when ws is not empty.
func (c *Client) IdentityProviders(ctx context.Context, org, ws string) ([]*sso.ProviderView, error) {
	var out directory.List[*sso.ProviderView]
	if err := c.Do(ctx, "GET", HomePath(org, ws)+"/identity-providers", nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// IdentityProvider reads one identity provider and the revision to pass to
// ReplaceIdentityProvider.
func (c *Client) IdentityProvider(ctx context.Context, org, ws, id string) (*sso.ProviderView, gh.Revision, error) {
	var out sso.ProviderView
	rev, err := c.doJSON(ctx, "GET", HomePath(org, ws)+"/identity-providers/"+url.PathEscape(id), nil, nil, &out)
	if err != nil {
		return nil, 0, err
	}
	return &out, rev, nil
}

// CreateIdentityProvider adds an identity provider once the server has
// proven its settings (OIDC discovery answers, SAML metadata parses).
func (c *Client) CreateIdentityProvider(ctx context.Context, org, ws string, in sso.ProviderInput) (*sso.ProviderView, error) {
	var out sso.ProviderView
	if err := c.Do(ctx, "POST", HomePath(org, ws)+"/identity-providers", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReplaceIdentityProvider replaces a provider's settings with in, the whole
// of them (an empty client secret keeps the sealed one). A non-zero ifMatch
// is the revision read: a provider changed since is refused (409) rather
// than overwritten.
func (c *Client) ReplaceIdentityProvider(ctx context.Context, org, ws, id string, in sso.ProviderInput, ifMatch gh.Revision) (*sso.ProviderView, error) {
	var out sso.ProviderView
	if _, err := c.doJSON(ctx, "PUT", HomePath(org, ws)+"/identity-providers/"+url.PathEscape(id), ifMatchHeader(ifMatch), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteIdentityProvider removes a provider; its users keep their accounts.
func (c *Client) DeleteIdentityProvider(ctx context.Context, org, ws, id string) (gh.Revision, error) {
	var out struct {
		Revision gh.Revision `json:"revision"`
	}
	err := c.Do(ctx, "DELETE", HomePath(org, ws)+"/identity-providers/"+url.PathEscape(id), nil, &out)
	return out.Revision, err
}

// TestIdentityProvider runs the mapping test bench: what a pasted provider
// answer would do, with nothing changed. A refused answer is a result
// (Accepted false, with the check that failed), not an error.
func (c *Client) TestIdentityProvider(ctx context.Context, org, ws, id string, in sso.BenchInput) (*sso.BenchResult, error) {
	var out sso.BenchResult
	if err := c.Do(ctx, "POST", HomePath(org, ws)+"/identity-providers/"+url.PathEscape(id)+"/test", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// IdentityProviderAttempts lists the last sign-ins through a provider,
// newest first: login.sso for those let in, login.sso_failure.CHECK with a
// detail for those refused. A limit of 0 means the server's default (50).
func (c *Client) IdentityProviderAttempts(ctx context.Context, org, ws, id string, limit int) ([]*gh.Event, error) {
	path := HomePath(org, ws) + "/identity-providers/" + url.PathEscape(id) + "/attempts"
	if limit > 0 {
		path += "?limit=" + strconv.Itoa(limit)
	}
	var out directory.List[*gh.Event]
	if err := c.Do(ctx, "GET", path, nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// Domains lists the email domains organization org (or its workspace ws) claims.
func (c *Client) Domains(ctx context.Context, org, ws string) ([]*gh.Domain, error) {
	var out directory.List[*gh.Domain]
	if err := c.Do(ctx, "GET", HomePath(org, ws)+"/domains", nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// ClaimDomain claims an email domain; publish its Token in a TXT record at
// its TXTName, then call VerifyDomain.
func (c *Client) ClaimDomain(ctx context.Context, org, ws, domain string) (*gh.Domain, error) {
	var out gh.Domain
	if err := c.Do(ctx, "POST", HomePath(org, ws)+"/domains", map[string]string{"domain": domain}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// VerifyDomain has the server look for the claim's TXT record. A record not
// published yet is an *APIError with code domain_unverified.
func (c *Client) VerifyDomain(ctx context.Context, org, ws, id string) (*gh.Domain, error) {
	var out gh.Domain
	if err := c.Do(ctx, "POST", HomePath(org, ws)+"/domains/"+url.PathEscape(id)+"/verify", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReleaseDomain gives a claim up.
func (c *Client) ReleaseDomain(ctx context.Context, org, ws, id string) (gh.Revision, error) {
	var out struct {
		Revision gh.Revision `json:"revision"`
	}
	err := c.Do(ctx, "DELETE", HomePath(org, ws)+"/domains/"+url.PathEscape(id), nil, &out)
	return out.Revision, err
}

// SetWorkspaceSignIn sets a workspace's password rule: whether its users may
// sign in with a password, and who still may when sign-in is SSO only.
func (c *Client) SetWorkspaceSignIn(ctx context.Context, org, ws string, rule gh.SignInRule) (*gh.Workspace, error) {
	var out gh.Workspace
	if err := c.Do(ctx, "PUT", HomePath(org, ws)+"/sign-in", rule, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetOrgSignIn sets the password rule of the organization's own users in
// its security policy, leaving the policy's other settings as they are.
func (c *Client) SetOrgSignIn(ctx context.Context, org string, rule gh.SignInRule) error {
	if rule.BreakGlass == nil {
		rule.BreakGlass = []gh.UserID{}
	}
	patch := map[string]any{"policy": map[string]any{"password_sign_in": rule.Password, "break_glass": rule.BreakGlass}}
	return c.Do(ctx, "PATCH", HomePath(org, ""), patch, nil)
}
