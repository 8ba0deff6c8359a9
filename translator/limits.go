package translator

import (
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// The bounds on one rule (doc.go says why these numbers). A rule beyond one fails alone with
// a diagnostic naming the limit; the other rules of the file and of the batch still load.
const (
	// MaxRuleFileBytes is the longest rule file read (diag.RuleTooLarge). A longer file is
	// not read past this size.
	MaxRuleFileBytes = 4 << 20
	// MaxConditionBytes is the longest condition string (diag.ConditionTooLong).
	MaxConditionBytes = sigma.MaxConditionBytes
	// MaxConditionDepth is the deepest a condition may nest parentheses and `not`
	// (diag.ConditionTooDeep): `not (a and (b or c))` nests 3 deep.
	MaxConditionDepth = sigma.MaxConditionDepth
	// MaxSearches is the most searches one detection may define (diag.DetectionTooLarge).
	MaxSearches = sigma.MaxSearches
)

// ReadRuleFile reads a rule file, refusing one longer than MaxRuleFileBytes without reading
// past the limit. The diagnostic is nil when data is the whole file.
func ReadRuleFile(path string) ([]byte, *diag.Diagnostic) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &diag.Diagnostic{Path: path, Code: diag.ReadError, Message: unwrapPathError(err).Error()}
	}
	defer f.Close()
	var data []byte
	if fi, serr := f.Stat(); serr == nil && fi.Mode().IsRegular() {
		// A regular file says its size: one that is too long is refused unread, and one
		// that fits is read into a buffer of exactly its size (plus one byte, to see a file
		// that grew meanwhile), so reading costs the file and no growth on top.
		if fi.Size() > MaxRuleFileBytes {
			return nil, tooLarge(path)
		}
		data = make([]byte, fi.Size()+1)
		var n int
		n, err = io.ReadFull(f, data)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = nil
		}
		grew := n == len(data)
		data = data[:n]
		if err == nil && grew {
			// It grew while it was read: read the rest under the limit.
			var rest []byte
			rest, err = io.ReadAll(io.LimitReader(f, MaxRuleFileBytes+1-int64(n)))
			data = append(data, rest...)
		}
	} else {
		data, err = io.ReadAll(io.LimitReader(f, MaxRuleFileBytes+1))
	}
	if err != nil {
		return nil, &diag.Diagnostic{Path: path, Code: diag.ReadError, Message: unwrapPathError(err).Error()}
	}
	if d := checkRuleSize(path, data); d != nil {
		return nil, d
	}
	return data, nil
}

// checkRuleSize refuses data longer than MaxRuleFileBytes.
func checkRuleSize(path string, data []byte) *diag.Diagnostic {
	if len(data) <= MaxRuleFileBytes {
		return nil
	}
	return tooLarge(path)
}

func tooLarge(path string) *diag.Diagnostic {
	return &diag.Diagnostic{Path: path, Code: diag.RuleTooLarge,
		Message: fmt.Sprintf("the file is longer than the limit of %d bytes for a rule file (translator.MaxRuleFileBytes)", MaxRuleFileBytes)}
}

// budget counts the detection-tree nodes one rule may still create while it is lowered, so
// that a rule whose values expand without bound (long lists, windash on many dashes) stops
// at ir.MaxNodes instead of after building them all.
type budget struct {
	left     int
	reported bool
}

func newBudget() *budget { return &budget{left: ir.MaxNodes} }

// take charges n nodes; it reports false (and adds the diagnostic the first time) when the
// rule has gone over.
func (b *budget) take(n int, path string, at *yaml.Node, diags *diag.List) bool {
	b.left -= n
	if b.left >= 0 {
		return true
	}
	b.exceeded(path, at, diags)
	return false
}

func (b *budget) over() bool { return b.left < 0 }

func (b *budget) exceeded(path string, at *yaml.Node, diags *diag.List) {
	b.left = -1
	if b.reported {
		return
	}
	b.reported = true
	diags.Add(path, at.Line, diag.DetectionTooLarge,
		"the detection expands to more than the limit of %d nodes (ir.MaxNodes)", ir.MaxNodes)
}

// treeLimitDiag turns a tree beyond ir.MaxDepth or ir.MaxNodes into its diagnostic, at the
// condition's position.
func treeLimitDiag(path string, c *sigma.Condition, e *ir.LimitError) diag.Diagnostic {
	d := diag.Diagnostic{Path: path, Line: c.Line, Col: c.Col, Code: diag.DetectionTooLarge}
	if e.Depth {
		d.Code = diag.DetectionTooDeep
		d.Message = fmt.Sprintf("the condition with its searches lowers to a tree deeper than the limit of %d levels (ir.MaxDepth)", e.Limit)
	} else {
		d.Message = fmt.Sprintf("the condition with its searches lowers to a tree of more than the limit of %d nodes, counting each search once per use (ir.MaxNodes)", e.Limit)
	}
	return d
}
