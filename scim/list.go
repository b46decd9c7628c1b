package scim

import (
	"net/http"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Paging limits (RFC 7644 §3.4.2.4); the service provider config says them too.
const (
	defaultCount = 100
	maxCount     = 1000
)

// query is a list request's filter, page and excluded attributes.
type query struct {
	filter     filter.Expression
	startIndex int // 1-based
	count      int
	exclude    map[string]bool
}

func listQuery(r *http.Request) (*query, error) {
	v := r.URL.Query()
	q := &query{startIndex: 1, count: defaultCount, exclude: excluded(r)}
	var err error
	if q.filter, err = compile(v.Get("filter")); err != nil {
		return nil, err
	}
	if s := v.Get("startIndex"); s != "" {
		if q.startIndex, err = strconv.Atoi(s); err != nil {
			return nil, scimErr(http.StatusBadRequest, "invalidValue", "startIndex must be an integer")
		}
		q.startIndex = max(q.startIndex, 1) // §3.4.2.4: less than one is one
	}
	if s := v.Get("count"); s != "" {
		if q.count, err = strconv.Atoi(s); err != nil {
			return nil, scimErr(http.StatusBadRequest, "invalidValue", "count must be an integer")
		}
		q.count = min(max(q.count, 0), maxCount) // §3.4.2.4: negative is zero
	}
	return q, nil
}

// excluded are the attributes excludedAttributes names, lower-cased.
func excluded(r *http.Request) map[string]bool {
	out := map[string]bool{}
	for _, a := range strings.Split(r.URL.Query().Get("excludedAttributes"), ",") {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
			out[strings.TrimPrefix(a, strings.ToLower(groupSchema)+":")] = true
		}
	}
	return out
}

// page returns the indexes of the page's results among n.
func (q *query) page(n int) []int {
	var out []int
	for i := q.startIndex - 1; i < n && len(out) < q.count; i++ {
		out = append(out, i)
	}
	return out
}

// write answers a ListResponse; its numbers are present even for no results.
func (q *query) write(w http.ResponseWriter, total int, docs []any) error {
	if docs == nil {
		docs = []any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{listSchema}, "totalResults": total,
		"itemsPerPage": len(docs), "startIndex": q.startIndex, "Resources": docs})
	return nil
}
