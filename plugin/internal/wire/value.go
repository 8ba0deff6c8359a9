package wire

import (
	"errors"
	"fmt"
	"math"
	"time"

	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
)

// maxValueDepth bounds the nesting of Custom and State values, so a hostile peer cannot
// exhaust the stack.
const maxValueDepth = 100

func valueMapToProto(m map[string]any) (map[string]*pb.Value, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]*pb.Value, len(m))
	for k, v := range m {
		pv, err := ValueToProto(v)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", k, err)
		}
		out[k] = pv
	}
	return out, nil
}

func valueMapFromProto(m map[string]*pb.Value) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		gv, err := valueFromProto(v, 0)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", k, err)
		}
		out[k] = gv
	}
	return out, nil
}

// ValueToProto encodes a YAML-shaped Go value: nil, string, bool, the integer and float
// types, time.Time, []byte, []any, []string, map[string]any and map[any]any (whose keys are
// printed with %v, as a YAML mapping with non-string keys has no other JSON-like form).
func ValueToProto(v any) (*pb.Value, error) {
	return valueToProto(v, 0)
}

func valueToProto(v any, depth int) (*pb.Value, error) {
	if depth > maxValueDepth {
		return nil, errors.New("value nested too deeply")
	}
	switch x := v.(type) {
	case nil:
		return &pb.Value{Kind: &pb.Value_NullValue{NullValue: true}}, nil
	case string:
		return &pb.Value{Kind: &pb.Value_StringValue{StringValue: x}}, nil
	case bool:
		return &pb.Value{Kind: &pb.Value_BoolValue{BoolValue: x}}, nil
	case int:
		return intValue(int64(x)), nil
	case int8:
		return intValue(int64(x)), nil
	case int16:
		return intValue(int64(x)), nil
	case int32:
		return intValue(int64(x)), nil
	case int64:
		return intValue(x), nil
	case uint:
		return uintValue(uint64(x)), nil
	case uint8:
		return uintValue(uint64(x)), nil
	case uint16:
		return uintValue(uint64(x)), nil
	case uint32:
		return uintValue(uint64(x)), nil
	case uint64:
		return uintValue(x), nil
	case float32:
		return &pb.Value{Kind: &pb.Value_DoubleValue{DoubleValue: float64(x)}}, nil
	case float64:
		return &pb.Value{Kind: &pb.Value_DoubleValue{DoubleValue: x}}, nil
	case time.Time:
		return &pb.Value{Kind: &pb.Value_TimestampValue{TimestampValue: x.Format(time.RFC3339Nano)}}, nil
	case []byte:
		return &pb.Value{Kind: &pb.Value_BytesValue{BytesValue: x}}, nil
	case []string:
		l := &pb.ValueList{Values: make([]*pb.Value, len(x))}
		for i, s := range x {
			l.Values[i] = &pb.Value{Kind: &pb.Value_StringValue{StringValue: s}}
		}
		return &pb.Value{Kind: &pb.Value_ListValue{ListValue: l}}, nil
	case []any:
		l := &pb.ValueList{Values: make([]*pb.Value, len(x))}
		for i, e := range x {
			pe, err := valueToProto(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l.Values[i] = pe
		}
		return &pb.Value{Kind: &pb.Value_ListValue{ListValue: l}}, nil
	case map[string]any:
		m := &pb.ValueMap{Values: make(map[string]*pb.Value, len(x))}
		for k, e := range x {
			pe, err := valueToProto(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", k, err)
			}
			m.Values[k] = pe
		}
		return &pb.Value{Kind: &pb.Value_MapValue{MapValue: m}}, nil
	case map[any]any:
		m := &pb.ValueMap{Values: make(map[string]*pb.Value, len(x))}
		for k, e := range x {
			key := fmt.Sprint(k)
			pe, err := valueToProto(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", key, err)
			}
			m.Values[key] = pe
		}
		return &pb.Value{Kind: &pb.Value_MapValue{MapValue: m}}, nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

func intValue(i int64) *pb.Value { return &pb.Value{Kind: &pb.Value_IntValue{IntValue: i}} }
func uintValue(u uint64) *pb.Value {
	return &pb.Value{Kind: &pb.Value_UintValue{UintValue: u}}
}

// ValueFromProto decodes a value: integers become int (uint64 when they do not fit),
// lists []any, maps map[string]any, timestamps time.Time.
func ValueFromProto(m *pb.Value) (any, error) {
	return valueFromProto(m, 0)
}

func valueFromProto(m *pb.Value, depth int) (any, error) {
	if depth > maxValueDepth {
		return nil, errors.New("value nested too deeply")
	}
	switch k := m.GetKind().(type) {
	case *pb.Value_NullValue:
		return nil, nil
	case *pb.Value_StringValue:
		return k.StringValue, nil
	case *pb.Value_BoolValue:
		return k.BoolValue, nil
	case *pb.Value_IntValue:
		if k.IntValue < math.MinInt || k.IntValue > math.MaxInt {
			return k.IntValue, nil
		}
		return int(k.IntValue), nil
	case *pb.Value_UintValue:
		return k.UintValue, nil
	case *pb.Value_DoubleValue:
		return k.DoubleValue, nil
	case *pb.Value_TimestampValue:
		t, err := time.Parse(time.RFC3339Nano, k.TimestampValue)
		if err != nil {
			return nil, fmt.Errorf("timestamp: %w", err)
		}
		return t, nil
	case *pb.Value_BytesValue:
		return k.BytesValue, nil
	case *pb.Value_ListValue:
		vs := k.ListValue.GetValues()
		out := make([]any, len(vs))
		for i, e := range vs {
			ge, err := valueFromProto(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = ge
		}
		return out, nil
	case *pb.Value_MapValue:
		vs := k.MapValue.GetValues()
		out := make(map[string]any, len(vs))
		for key, e := range vs {
			ge, err := valueFromProto(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", key, err)
			}
			out[key] = ge
		}
		return out, nil
	case nil:
		return nil, errors.New("value with no kind set")
	}
	return nil, fmt.Errorf("unknown value kind %T", m.GetKind())
}
