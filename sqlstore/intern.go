package sqlstore

import "reflect"

// interner makes equal strings decoded from different rows share one copy.
// A snapshot repeats the same organization, workspace, group, role and user
// ids across hundreds of thousands of rows; decoded separately, each copy is
// its own heap object that every garbage collection marks again for as long
// as the index lives. Sharing them halves the objects of a large directory,
// and with them the collector's work beside the check path.
type interner map[string]string

func (in interner) str(s string) string {
	if t, ok := in[s]; ok {
		return t
	}
	in[s] = s
	return s
}

// walk interns every string reachable from v through structs, slices and
// pointers (decoded objects hold no cycles). Maps are left as they are.
func (in interner) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.Len() > 0 && v.CanSet() {
			v.SetString(in.str(v.String()))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			in.walk(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				in.walk(f)
			}
		}
	case reflect.Slice:
		switch v.Type().Elem().Kind() {
		case reflect.String, reflect.Struct, reflect.Pointer:
			for i := range v.Len() {
				in.walk(v.Index(i))
			}
		}
	}
}
