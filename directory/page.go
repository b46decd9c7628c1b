package directory

import "sort"

// Page selects a slice of a list ordered by id: items after the cursor After
// (the id of the last item of the previous page), at most Limit of them.
type Page struct {
	After string
	Limit int
}

// List is one page of results; Next is the cursor of the following page ("" at the end).
type List[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next_cursor,omitempty"`
}

// DefaultLimit and MaxLimit bound a page.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// limit is the page's size: the default when none was asked for, never over MaxLimit.
func (p Page) limit() int {
	if p.Limit <= 0 {
		return DefaultLimit
	}
	return min(p.Limit, MaxLimit)
}

// paged wraps a page already cut from an ordered source.
func paged[T any](items []T, more bool, id func(T) string) List[T] {
	out := List[T]{Items: items}
	if out.Items == nil {
		out.Items = []T{}
	}
	if more && len(items) > 0 {
		out.Next = id(items[len(items)-1])
	}
	return out
}

func paginate[T any](items []T, id func(T) string, p Page) List[T] {
	start := 0
	if p.After != "" {
		start = sort.Search(len(items), func(i int) bool { return id(items[i]) > p.After })
	}
	end := min(start+p.limit(), len(items))
	return paged(items[start:end], end < len(items), id)
}
