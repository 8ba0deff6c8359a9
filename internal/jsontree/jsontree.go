package jsontree

// Map returns a copy of v in which every map and slice is new and every other value is
// leaf's result for it, so the copy shares no map or slice with v.
func Map(v any, leaf func(any) any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Map(e, leaf)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Map(e, leaf)
		}
		return out
	}
	return leaf(v)
}
