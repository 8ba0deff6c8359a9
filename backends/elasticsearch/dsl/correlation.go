package dsl

import (
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// CorrelationTypes: none. A Query DSL search counts in aggregations, whose time buckets
// (date_histogram) are fixed: a burst that straddles a bucket boundary is missed, and
// nothing in a search request slides a window over the events of a group. The esql and
// eql targets render the correlations that can be expressed exactly.
func (Backend) CorrelationTypes() []ir.CorrelationType { return nil }

// ConvertCorrelation refuses every correlation (see CorrelationTypes).
func (Backend) ConvertCorrelation(c *ir.Correlation, _ []*ir.Rule) ([]backends.Query, diag.List) {
	return nil, diag.List{backends.CorrDiag(c, Target, diag.UnsupportedCorrelation,
		"Query DSL aggregations count in fixed time buckets, which miss a burst that straddles a boundary; use esql (counting types) or eql (temporal_ordered)")}
}
