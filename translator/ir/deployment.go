package ir

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The pipeline state keys a Deployment types (pySigma's set_state keys, read by the
// backends; translator/pipeline/doc.go says which target reads which).
const (
	StateIndex         = "index"
	StateSourcetype    = "sourcetype"
	StateSource        = "source"
	StateEventCategory = "event_category"
	StateIPFields      = "ip_fields"
	StateFlattened     = "flattened_fields"
	StateMultiValued   = "multivalued_fields"
)

// Deployment is where and how a rule runs: what a pipeline's set_state says about the
// target's indexes and mapping. It is the typed form of pySigma's pipeline state; keys it
// does not know go to Extra unchanged, for third-party backends and state conditions.
//
// An empty list means the key is not set. Field names are as the query writes them, after
// field mapping.
type Deployment struct {
	// Index lists index or data-stream names or patterns (Splunk index=, ES|QL FROM, hunt).
	Index []string
	// Sourcetype and Source are Splunk's sourcetype= and source= terms (any of them).
	Sourcetype []string
	Source     []string
	// EventCategory is the EQL event category; "" means any.
	EventCategory string
	// IPFields are the fields mapped as ip.
	IPFields []string
	// FlattenedFields are the object paths mapped as flattened.
	FlattenedFields []string
	// MultiValuedFields are the fields, or object paths covering the fields below them,
	// that may hold several values in one event.
	MultiValuedFields []string
	// Mapping is the index mapping the rule's queries run on, when one was given
	// (convert --mapping, hunt); it is not a pipeline state key, and not sent to plugins.
	Mapping *IndexMapping
	// Extra holds the state keys above none of these, as the pipeline set them.
	Extra map[string]any
}

// list returns the typed list field a key names, or nil.
func (d *Deployment) list(key string) *[]string {
	switch key {
	case StateIndex:
		return &d.Index
	case StateSourcetype:
		return &d.Sourcetype
	case StateSource:
		return &d.Source
	case StateIPFields:
		return &d.IPFields
	case StateFlattened:
		return &d.FlattenedFields
	case StateMultiValued:
		return &d.MultiValuedFields
	}
	return nil
}

// Typed reports whether key is a state key a Deployment types, rather than keeps in Extra.
func Typed(key string) bool {
	return key == StateEventCategory || new(Deployment).list(key) != nil
}

// fieldList reports whether key lists field names, which must not be empty.
func fieldList(key string) bool {
	return key == StateIPFields || key == StateFlattened || key == StateMultiValued
}

// IsMultiValued reports whether MultiValuedFields lists field or an object path above it
// (a or a.b for a.b.c).
func (d *Deployment) IsMultiValued(field string) bool {
	return slices.ContainsFunc(d.MultiValuedFields, func(p string) bool {
		return field == p || strings.HasPrefix(field, p+".")
	})
}

// Set sets the state key to v, a value as YAML decodes it (set_state). A known key takes a
// string or a list of strings (event_category a non-empty string), and null unsets it; any
// other key goes to Extra as it is (the caller passes a value it does not share). On error
// d is unchanged.
func (d *Deployment) Set(key string, v any) error {
	if key == StateEventCategory {
		if v == nil {
			d.EventCategory = ""
			return nil
		}
		s, ok := v.(string)
		if !ok || s == "" {
			return fmt.Errorf("state %s: %v is not a non-empty string", key, v)
		}
		d.EventCategory = s
		return nil
	}
	p := d.list(key)
	if p == nil {
		if d.Extra == nil {
			d.Extra = map[string]any{}
		}
		d.Extra[key] = v
		return nil
	}
	var names []string
	switch v := v.(type) {
	case nil:
	case string:
		names = []string{v}
	case []string:
		names = slices.Clone(v)
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("state %s: %v is not a string", key, e)
			}
			names = append(names, s)
		}
	default:
		return fmt.Errorf("state %s: %v is not a string or a list of strings", key, v)
	}
	if v != nil && len(names) == 0 {
		return fmt.Errorf("state %s: the list is empty", key)
	}
	if fieldList(key) && slices.Contains(names, "") {
		return fmt.Errorf("state %s: an empty field name", key)
	}
	*p = names
	return nil
}

// Add adds name to the list a known list key holds, once.
func (d *Deployment) Add(key, name string) {
	p := d.list(key)
	if p == nil {
		panic("ir: Deployment.Add: " + key + " is not a list key")
	}
	if !slices.Contains(*p, name) {
		*p = append(*p, name)
	}
}

// Get returns the value of a state key as set_state would have set it (a list of one name
// reads as the name), for pipeline state conditions; ok is false when it is not set.
func (d *Deployment) Get(key string) (v any, ok bool) {
	if key == StateEventCategory {
		return d.EventCategory, d.EventCategory != ""
	}
	p := d.list(key)
	if p == nil {
		v, ok = d.Extra[key]
		return v, ok
	}
	switch len(*p) {
	case 0:
		return nil, false
	case 1:
		return (*p)[0], true
	}
	out := make([]any, len(*p))
	for i, s := range *p {
		out[i] = s
	}
	return out, true
}

// Map returns every key that is set as a pySigma state map (the plugin protocol's state).
func (d *Deployment) Map() map[string]any {
	out := make(map[string]any, len(d.Extra)+7)
	for k, v := range d.Extra {
		out[k] = v
	}
	for _, k := range []string{StateIndex, StateSourcetype, StateSource, StateEventCategory, StateIPFields, StateFlattened, StateMultiValued} {
		if v, ok := d.Get(k); ok {
			out[k] = v
		}
	}
	return out
}

// Clone returns a copy of d whose lists and Extra map can be changed without touching d (the
// values in Extra are shared).
func (d Deployment) Clone() Deployment {
	c := d
	for _, p := range []*[]string{&c.Index, &c.Sourcetype, &c.Source, &c.IPFields, &c.FlattenedFields, &c.MultiValuedFields} {
		*p = slices.Clone(*p)
	}
	c.Extra = maps.Clone(d.Extra)
	return c
}
