package input

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// flattenActivity emits one record per event of the Reports API activity raw: the
// activity's keys, with "events" replaced by that one event, whose "parameters" list
// becomes an object keyed by parameter name. "events" may be an array (the API's shape) or
// one event object (exporters that split activities into one record per event); a
// "parameters" member that is already an object is kept as it is.
func flattenActivity(raw []byte, line, index int, c *collector, emit func(Record) error) error {
	var act map[string]json.RawMessage
	if err := unmarshal(raw, &act); err != nil {
		c.add(line, "activity: %v", err)
		return nil
	}
	evRaw, ok := act["events"]
	if !ok {
		c.add(line, `activity: no "events" array (is this a Reports API activity?)`)
		return nil
	}
	var events []map[string]json.RawMessage
	if isObject(evRaw) {
		var one map[string]json.RawMessage
		if err := unmarshal(evRaw, &one); err != nil {
			c.add(line, "activity: events: %v", err)
			return nil
		}
		events = append(events, one)
	} else if err := unmarshal(evRaw, &events); err != nil {
		c.add(line, "activity: events: expected an array of event objects or one event object, found %s", jsonKind(bytes.TrimSpace(evRaw)))
		return nil
	}
	for i, ev := range events {
		if ev == nil {
			c.add(line, "activity: event %d: expected an object, found null", i+1)
			continue
		}
		out := make(map[string]any, len(act))
		for k, v := range act {
			if k != "events" {
				out[k] = v
			}
		}
		flat := make(map[string]any, len(ev))
		for k, v := range ev {
			flat[k] = v
		}
		if p, ok := ev["parameters"]; ok && !isObject(p) {
			params, err := flattenParameters(p)
			if err != nil {
				c.add(line, "activity: event %d: parameters: %v", i+1, err)
				continue
			}
			flat["parameters"] = params
		}
		out["events"] = flat
		b, err := json.Marshal(out)
		if err != nil {
			c.add(line, "activity: event %d: %v", i+1, err)
			continue
		}
		if err := emit(Record{File: c.file, Line: line, JSON: b, Index: index}); err != nil {
			return err
		}
	}
	return nil
}

// isObject reports whether raw (valid JSON) is an object.
func isObject(raw []byte) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '{'
}

// parameter is one Reports API parameter: a name and exactly one of the value kinds.
type parameter struct {
	Name              string             `json:"name"`
	Value             json.RawMessage    `json:"value"`
	MultiValue        []string           `json:"multiValue"`
	IntValue          *json.Number       `json:"intValue"`
	MultiIntValue     []json.Number      `json:"multiIntValue"`
	BoolValue         *bool              `json:"boolValue"`
	MessageValue      *parameterMessage  `json:"messageValue"`
	MultiMessageValue []parameterMessage `json:"multiMessageValue"`
}

// parameterMessage is a nested group of parameters (messageValue, multiMessageValue).
type parameterMessage struct {
	Parameter json.RawMessage `json:"parameter"`
}

// flattenParameters turns a list of parameters into an object keyed by name: value and
// intValue give a scalar (intValue as a JSON number), multiValue and multiIntValue an array,
// boolValue a boolean, messageValue an object and multiMessageValue an array of objects, each
// flattened the same way. A name that repeats collects its values into an array; a parameter
// with no value is left out.
func flattenParameters(raw json.RawMessage) (map[string]any, error) {
	var list []parameter
	if err := unmarshal(raw, &list); err != nil {
		return nil, err
	}
	values := make(map[string][]any, len(list))
	var order []string
	for _, p := range list {
		if p.Name == "" {
			return nil, fmt.Errorf("a parameter has no name")
		}
		var val any
		switch {
		case p.Value != nil && string(p.Value) != "null":
			// A string as the Reports API sends it; some exports write a number.
			var v any
			if err := unmarshal(p.Value, &v); err != nil {
				return nil, fmt.Errorf("%s: %w", p.Name, err)
			}
			switch v.(type) {
			case string, json.Number:
				val = v
			default:
				return nil, fmt.Errorf("%s: value is neither a string nor a number", p.Name)
			}
		case p.MultiValue != nil:
			val = p.MultiValue
		case p.IntValue != nil:
			val = *p.IntValue
		case p.MultiIntValue != nil:
			val = p.MultiIntValue
		case p.BoolValue != nil:
			val = *p.BoolValue
		case p.MessageValue != nil:
			m, err := flattenParameters(p.MessageValue.Parameter)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.Name, err)
			}
			val = m
		case p.MultiMessageValue != nil:
			ms := make([]any, 0, len(p.MultiMessageValue))
			for _, mv := range p.MultiMessageValue {
				m, err := flattenParameters(mv.Parameter)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", p.Name, err)
				}
				ms = append(ms, m)
			}
			val = ms
		default:
			continue
		}
		if _, seen := values[p.Name]; !seen {
			order = append(order, p.Name)
		}
		values[p.Name] = append(values[p.Name], val)
	}
	out := make(map[string]any, len(order))
	for _, name := range order {
		if vs := values[name]; len(vs) == 1 {
			out[name] = vs[0]
		} else {
			out[name] = vs
		}
	}
	return out, nil
}

// unmarshal decodes JSON keeping numbers as json.Number, so their text survives re-encoding.
func unmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}
