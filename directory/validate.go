package directory

import (
	"encoding/json"
	"reflect"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// validChange returns err, the validation of an object's next state, without
// the field errors about fields the change leaves as they are. Rows stored
// under older rules stay editable (an admin can still disable a user whose
// email is a look-alike refused today, or suspend an organization whose name
// holds a bidi control); whatever a change writes is held to today's rules.
func validChange[T any](cur, next *T, err error) error {
	e := gh.AsError(err)
	if err == nil || e.Kind != gh.KindInvalid || len(e.Fields) == 0 {
		return err
	}
	before, after := jsonTree(cur), jsonTree(next)
	f := gh.Fields{}
	for field, msg := range e.Fields {
		old, ok := at(before, field)
		if now, _ := at(after, field); !ok || !reflect.DeepEqual(old, now) {
			f.Add(field, msg)
		}
	}
	return f.Err()
}

// jsonTree is v as generic JSON, where field errors' names point.
func jsonTree(v any) any {
	var out any
	_ = json.Unmarshal(gh.MustJSON(v), &out)
	return out
}

// at follows a field name such as "policy.security_contacts" into a JSON tree.
func at(tree any, field string) (any, bool) {
	for _, key := range strings.Split(field, ".") {
		m, ok := tree.(map[string]any)
		if !ok {
			return nil, false
		}
		if tree, ok = m[key]; !ok {
			return nil, false
		}
	}
	return tree, true
}
