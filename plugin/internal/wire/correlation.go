package wire

import (
	"fmt"
	"math"
	"time"

	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// CorrelationToProto converts a resolved correlation for LoadRequest.correlations.
func CorrelationToProto(c *ir.Correlation) *pb.Correlation {
	m := &pb.Correlation{
		Path: c.Path, Line: int32(c.Line), Doc: int32(c.Doc), Id: c.ID, Name: c.Name, Title: c.Title,
		Level: c.Level, Status: c.Status, Description: c.Description, Tags: c.Tags,
		Type: string(c.Type), GroupBy: c.GroupBy, TimespanNanos: int64(c.Timespan),
		Field: c.Field, Percentile: c.Percentile, Generate: c.Generate, FalsePositives: c.FalsePositives,
		Condition: &pb.CorrelationRange{HasMin: c.Condition.HasMin, MinInclusive: c.Condition.MinIncl, Min: c.Condition.Min,
			HasMax: c.Condition.HasMax, MaxInclusive: c.Condition.MaxIncl, Max: c.Condition.Max},
	}
	for _, r := range c.Refs {
		m.Refs = append(m.Refs, &pb.CorrelationRef{Name: r.Name, Rule: int32(r.Rule), Correlation: int32(r.Correlation)})
	}
	if len(c.Aliases) > 0 {
		m.Aliases = map[string]*pb.AliasFields{}
		for a, f := range c.Aliases {
			m.Aliases[a] = &pb.AliasFields{Fields: f}
		}
	}
	return m
}

// CorrelationFromProto converts and checks a correlation from a LoadRequest with rules
// rules and correlations correlations: an unknown type, a timespan outside (0,
// translator.MaxTimespan], a reference out of range or to itself, or a non-finite bound is
// an error naming the correlation. A reference with rule and correlation both -1 names a
// rule the host could not load: it never matches.
func CorrelationFromProto(m *pb.Correlation, self, rules, correlations int) (*ir.Correlation, error) {
	name := ruleName(m.GetId(), m.GetPath())
	c := &ir.Correlation{
		Path: m.GetPath(), Line: int(m.GetLine()), Doc: int(m.GetDoc()), ID: m.GetId(), Name: m.GetName(),
		Title: m.GetTitle(), Level: m.GetLevel(), Status: m.GetStatus(), Description: m.GetDescription(),
		Tags: m.GetTags(), Type: ir.CorrelationType(m.GetType()), GroupBy: m.GetGroupBy(),
		Timespan: time.Duration(m.GetTimespanNanos()), Field: m.GetField(), Percentile: m.GetPercentile(),
		Generate: m.GetGenerate(), FalsePositives: m.GetFalsePositives(),
	}
	if !c.Type.Valid() {
		return nil, fmt.Errorf("correlation %s: unknown type %q", name, m.GetType())
	}
	if c.Timespan <= 0 || c.Timespan > translator.MaxTimespan {
		return nil, fmt.Errorf("correlation %s: timespan %v outside (0, %v]", name, c.Timespan, translator.MaxTimespan)
	}
	if len(m.GetRefs()) == 0 || len(m.GetRefs()) > translator.MaxCorrelationRules {
		return nil, fmt.Errorf("correlation %s: %d rules named (1 to %d)", name, len(m.GetRefs()), translator.MaxCorrelationRules)
	}
	for _, r := range m.GetRefs() {
		ref := ir.CorrelationRef{Name: r.GetName(), Rule: int(r.GetRule()), Correlation: int(r.GetCorrelation())}
		okRule := ref.Rule >= 0 && ref.Rule < rules && ref.Correlation == -1
		okCorr := ref.Correlation >= 0 && ref.Correlation < correlations && ref.Correlation != self && ref.Rule == -1
		unloaded := ref.Rule == -1 && ref.Correlation == -1 // a rule the host could not load
		if !okRule && !okCorr && !unloaded {
			return nil, fmt.Errorf("correlation %s: reference %q (rule %d, correlation %d) is out of range", name, ref.Name, ref.Rule, ref.Correlation)
		}
		c.Refs = append(c.Refs, ref)
	}
	if len(m.GetAliases()) > 0 {
		c.Aliases = map[string]map[string]string{}
		for a, f := range m.GetAliases() {
			c.Aliases[a] = f.GetFields()
		}
	}
	r := m.GetCondition()
	for _, x := range []float64{r.GetMin(), r.GetMax(), c.Percentile} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("correlation %s: a bound is not a finite number", name)
		}
	}
	c.Condition = ir.Range{HasMin: r.GetHasMin(), MinIncl: r.GetMinInclusive(), Min: r.GetMin(),
		HasMax: r.GetHasMax(), MaxIncl: r.GetMaxInclusive(), Max: r.GetMax()}
	return c, nil
}
