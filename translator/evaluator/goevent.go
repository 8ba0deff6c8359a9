package evaluator

import (
	"encoding/json"
	"strconv"
)

// decodeGo fills ev from an already-decoded event, walking it like decodeJSON walks text.
func decodeGo(ev *eventState, root *pathNode, event map[string]any) {
	walkValue(ev, root, event, 0)
}

// walkValue records v at trie node n and reports whether it holds a non-null scalar.
// Values of Go types that JSON does not produce are read by their natural text form;
// anything else (structs, channels, …) counts as absent.
func walkValue(ev *eventState, n *pathNode, v any, depth int) bool {
	if depth > maxDepth {
		return false
	}
	collect := n != nil && n.slot >= 0
	scalar := func(kind valueKind, text string) bool {
		if kind == kindString {
			text = validUTF8(text)
		}
		slot := int32(-1)
		if collect {
			slot = n.slot
		} else if kind != kindString || !ev.wantKW {
			return true
		}
		idx := ev.add(slot, kind, text)
		if kind == kindString && ev.wantKW {
			ev.keywords = append(ev.keywords, idx)
		}
		return true
	}
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return scalar(kindString, v)
	case bool:
		return scalar(kindBool, strconv.FormatBool(v))
	case float64:
		return scalar(kindNumber, formatFloat(v))
	case float32:
		return scalar(kindNumber, formatFloat(float64(v)))
	case json.Number:
		if isDecimalNumber(string(v)) {
			return scalar(kindNumber, string(v))
		}
		return scalar(kindString, string(v))
	case int:
		return scalar(kindNumber, strconv.FormatInt(int64(v), 10))
	case int8:
		return scalar(kindNumber, strconv.FormatInt(int64(v), 10))
	case int16:
		return scalar(kindNumber, strconv.FormatInt(int64(v), 10))
	case int32:
		return scalar(kindNumber, strconv.FormatInt(int64(v), 10))
	case int64:
		return scalar(kindNumber, strconv.FormatInt(v, 10))
	case uint:
		return scalar(kindNumber, strconv.FormatUint(uint64(v), 10))
	case uint8:
		return scalar(kindNumber, strconv.FormatUint(uint64(v), 10))
	case uint16:
		return scalar(kindNumber, strconv.FormatUint(uint64(v), 10))
	case uint32:
		return scalar(kindNumber, strconv.FormatUint(uint64(v), 10))
	case uint64:
		return scalar(kindNumber, strconv.FormatUint(v, 10))
	case map[string]any:
		nonNull := false
		for k, x := range v {
			var child *pathNode
			if n != nil {
				child = n.next.get(k)
			}
			if walkValue(ev, child, x, depth+1) {
				nonNull = true
			}
		}
		if collect && nonNull {
			ev.add(n.slot, kindObject, "")
		}
		return nonNull
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = x
		}
		return walkValue(ev, n, m, depth)
	case []any:
		nonNull := false
		for _, x := range v {
			if walkValue(ev, n, x, depth+1) {
				nonNull = true
			}
		}
		return nonNull
	case []string:
		nonNull := false
		for _, x := range v {
			if walkValue(ev, n, x, depth+1) {
				nonNull = true
			}
		}
		return nonNull
	}
	return false
}
