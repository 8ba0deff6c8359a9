package wire

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

func TestCorrelationRoundTrip(t *testing.T) {
	c := &ir.Correlation{
		Path: "rules/aws/mr_x.yml", Line: 1, ID: "2f9c4d7e-1a3b-4c5d-9e8f-7a6b5c4d3e21", Name: "x", Title: "X", Level: "high",
		Tags: []string{"attack.t1648"}, Type: ir.TemporalOrdered,
		Refs:     []ir.CorrelationRef{{Name: "a", Rule: 0, Correlation: -1}, {Name: "b", Rule: 1, Correlation: -1}},
		GroupBy:  []string{"fn", "acct"},
		Aliases:  map[string]map[string]string{"fn": {"a": "responseElements.functionName", "b": "requestParameters.functionName"}},
		Timespan: 10 * time.Minute, Condition: ir.Range{HasMin: true, MinIncl: true, Min: 2, HasMax: true, Max: 9.5},
	}
	b, err := proto.Marshal(CorrelationToProto(c))
	if err != nil {
		t.Fatal(err)
	}
	var m pb.Correlation
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	got, err := CorrelationFromProto(&m, 0, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip:\n got  %+v\n want %+v", got, c)
	}
}

func TestHostileCorrelationFromProto(t *testing.T) {
	good := func() *pb.Correlation {
		return &pb.Correlation{Id: "c", Type: "event_count", TimespanNanos: int64(time.Minute),
			Refs: []*pb.CorrelationRef{{Name: "a", Rule: 0, Correlation: -1}}, Condition: &pb.CorrelationRange{HasMin: true, Min: 1}}
	}
	if _, err := CorrelationFromProto(good(), 0, 1, 1); err != nil {
		t.Fatal(err)
	}
	// A rule the host could not load: -1/-1, which never matches.
	unloaded := good()
	unloaded.Refs = append(unloaded.Refs, &pb.CorrelationRef{Name: "b", Rule: -1, Correlation: -1})
	if c, err := CorrelationFromProto(unloaded, 0, 1, 1); err != nil || c.Refs[1].Rule != -1 || c.Refs[1].Correlation != -1 {
		t.Errorf("a reference to an unloaded rule: %+v, %v", c, err)
	}
	for name, mutate := range map[string]func(*pb.Correlation){
		"type":        func(m *pb.Correlation) { m.Type = "event_cnt" },
		"zero span":   func(m *pb.Correlation) { m.TimespanNanos = 0 },
		"huge span":   func(m *pb.Correlation) { m.TimespanNanos = int64(400 * 24 * time.Hour) },
		"rule range":  func(m *pb.Correlation) { m.Refs[0].Rule = 5 },
		"both":        func(m *pb.Correlation) { m.Refs[0].Correlation = 0 },
		"self":        func(m *pb.Correlation) { m.Refs[0] = &pb.CorrelationRef{Name: "c", Rule: -1, Correlation: 0} },
		"no refs":     func(m *pb.Correlation) { m.Refs = nil },
		"nan bound":   func(m *pb.Correlation) { m.Condition.Min = nan() },
		"many refs":   func(m *pb.Correlation) { m.Refs = make([]*pb.CorrelationRef, 100) },
		"negative":    func(m *pb.Correlation) { m.Refs[0].Rule = -7 },
		"nil content": func(m *pb.Correlation) { m.Refs = []*pb.CorrelationRef{nil} },
	} {
		m := good()
		mutate(m)
		if _, err := CorrelationFromProto(m, 0, 1, 1); err == nil || !strings.Contains(err.Error(), "correlation") {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
}

func nan() float64 { var z float64; return z / z }
