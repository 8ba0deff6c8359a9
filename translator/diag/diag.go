package diag

import (
	"fmt"
	"sort"
)

// Severity says whether a diagnostic fails the rule.
type Severity uint8

const (
	// Error fails the rule (for the target it concerns).
	Error Severity = iota
	// Warning is reported but does not fail the rule.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText writes the severity as "error" or "warning" (JSON output).
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "error" or "warning".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("severity %q is neither error nor warning", b)
	}
	return nil
}

// Code names the cause of a diagnostic. The codes below are stable; a plugin may report a
// code of its own, whose class is Unknown.
type Code string

// Class is what a code says about the rule: whether it is wrong, beyond a limit, or valid
// but not expressible on a target.
type Class uint8

const (
	// Unknown is the class of a code not in the table (a plugin's own code).
	Unknown Class = iota
	// Input: the file could not be read or is not YAML.
	Input
	// InvalidRule: the rule is wrong (structure, condition, modifier or value).
	InvalidRule
	// NotSupported: a valid Sigma construct sigmabridge does not handle (correlation and
	// filter documents, Sigma 1 aggregations).
	NotSupported
	// Limit: the rule is beyond a documented bound; the message names it.
	Limit
	// Pipeline: a processing pipeline is wrong, or says the rule is not supported.
	Pipeline
	// Target: the rule is valid but the target cannot express it exactly.
	Target
	// Deployment: the deployment has not given a value the rule needs (a placeholder).
	Deployment
	// Advice: a warning about how a query matches; never an error.
	Advice
)

var classNames = [...]string{"unknown", "input", "invalid-rule", "not-supported", "limit", "pipeline", "target", "deployment", "advice"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", c)
}

// Stable diagnostic codes. A code names a cause; the message gives the detail. They are
// untyped constants, so lint can use them as check names; a Diagnostic holds them as Code.
const (
	// Loading and parsing.
	ReadError             = "read-error"         // the file could not be read
	YAMLError             = "yaml-error"         // the YAML is malformed
	RuleStructure         = "rule-structure"     // a required key is missing or has the wrong type
	ConditionSyntax       = "condition-syntax"   // the condition does not parse
	UnknownIdentifier     = "unknown-identifier" // the condition names a search that does not exist
	NoMatchingSearch      = "no-matching-search" // an `x of pattern` matches no search
	UnknownModifier       = "unknown-modifier"   // a modifier that Sigma does not define
	InvalidModifier       = "invalid-modifier"   // a modifier combination or value that is invalid
	InvalidValue          = "invalid-value"      // a value that does not fit its modifier
	LegacyAggregation     = "legacy-aggregation" // `| count() ...` or `near`: use a correlation rule
	CorrelationUnsupp     = "correlation-unsupported"
	FilterUnsupported     = "filter-unsupported"
	UnresolvedPlaceholder = "unresolved-placeholder" // `%name%` with `expand` and no pipeline value

	// Correlation and filter documents (translator/correlation.go).
	CorrelationStructure = "correlation-structure" // a correlation block key is missing, unknown or of the wrong type
	CorrelationType      = "correlation-type"      // `type` is not one of the seven correlation types
	CorrelationReference = "correlation-reference" // a named rule is unknown, ambiguous or part of a cycle
	CorrelationTimespan  = "correlation-timespan"  // `timespan` is not a positive duration like 30s, 5m, 1h, 1d
	CorrelationCondition = "correlation-condition" // the condition's bounds are missing, unknown or contradictory
	CorrelationField     = "correlation-field"     // `field`, `group-by` or `aliases` is missing or malformed
	FilterReference      = "filter-reference"      // a filter names no rule, or a rule that does not exist
	// UnsupportedCorrelation: the target (or a plugin) cannot express this correlation
	// exactly: its type, a chained correlation, or a sliding window.
	UnsupportedCorrelation = "unsupported-correlation"
	// CorrelationLimit: the evaluator's state for a correlation passed its bound (MaxGroups).
	CorrelationLimit = "correlation-limit"
	// ApproximateWindow is a warning: the query counts in fixed time buckets, which miss
	// a burst that straddles a bucket boundary; it is emitted only when asked for.
	ApproximateWindow = "approximate-window"

	// Limits: a rule beyond one of the documented bounds (translator/doc.go, ir/doc.go) fails
	// alone, before it costs more than its own size; the message names the limit.
	RuleTooLarge      = "rule-too-large"      // the rule file is longer than translator.MaxRuleFileBytes
	ConditionTooLong  = "condition-too-long"  // a condition is longer than translator.MaxConditionBytes
	ConditionTooDeep  = "condition-too-deep"  // a condition nests `(` and `not` deeper than translator.MaxConditionDepth
	DetectionTooDeep  = "detection-too-deep"  // a detection tree is deeper than ir.MaxDepth
	DetectionTooLarge = "detection-too-large" // a detection tree has more nodes than ir.MaxNodes

	// Pipelines.
	PipelineError       = "pipeline-error"
	PipelineUnsupported = "pipeline-unsupported" // a pipeline declares the rule or item unsupported (rule_failure, detection_item_failure)
	PipelineApproximate = "pipeline-approximate" // warning: a pipeline mapping is usable but not exact (it may widen)
	// ConstantCondition: once placeholders are expanded (an empty value list matches nothing)
	// a condition is always true or always false, so the rule cannot run as a query.
	ConstantCondition = "constant-condition"

	// Backends: the target cannot express the construct exactly.
	Unsupported          = "unsupported" // a construct no more specific code names
	UnsupportedCased     = "unsupported-cased"
	UnsupportedRegex     = "unsupported-regex"
	UnsupportedFieldRef  = "unsupported-fieldref"
	UnsupportedKeyword   = "unsupported-keyword"
	UnsupportedTimePart  = "unsupported-timepart"
	UnsupportedCIDR      = "unsupported-cidr"
	UnsupportedFieldName = "unsupported-field-name"
	UnsupportedValue     = "unsupported-value"
	CaseSensitiveTarget  = "case-sensitive-target"
	// UnsupportedFlattened: the leaf reads a keyed flattened field (pipeline state
	// flattened_fields), which answers only exact, prefix and exists queries.
	UnsupportedFlattened = "unsupported-flattened"
	// UnsupportedMultiValued: the leaf reads a field that may hold several values (pipeline
	// state multivalued_fields), which the target cannot compare exactly.
	UnsupportedMultiValued = "unsupported-multivalued"
	// UnsupportedRegexLength: a regular expression the value needs is longer than
	// Elasticsearch's index.max_regex_length (1,000) and cannot be split into shorter ones.
	UnsupportedRegexLength = "unsupported-regex-length"
	// UnsupportedRegexComplexity: a regular expression the value needs is one Elasticsearch
	// cannot determinize within max_determinized_states (a bounded repetition after an
	// unbounded one, such as .*x{1000}): the regexp query, ES|QL and EQL would refuse it,
	// and query_string would silently match nothing.
	UnsupportedRegexComplexity = "unsupported-regex-complexity"
	// UnsupportedRegexCount: the query would hold more regular expressions than the target
	// runs in bounded time and memory (ES|QL compiles each RLIKE on its own); the message
	// names the count and the bound.
	UnsupportedRegexCount = "unsupported-regex-count"
	// UnsupportedControl: the query would hold a raw control character that neither the
	// target's syntax nor a one-query-per-line output can carry (convert's default format).
	UnsupportedControl = "unsupported-control-character"
	// Mapping-aware conversion (backends/elasticsearch/esmapping): the index mapping given
	// (convert --mapping, hunt) cannot answer the leaf exactly.
	MappingTextField      = "mapping-text-field"      // analysed text without a keyword multi-field, or a keyword search over text fields
	MappingIgnoreAbove    = "mapping-ignore-above"    // ignore_above could leave a matching value unindexed
	MappingFieldType      = "mapping-field-type"      // the field's type answers no such comparison (a wildcard on a number, ...)
	MappingTypeConflict   = "mapping-type-conflict"   // the indices map the field with different types
	MappingUnmappedField  = "mapping-unmapped-field"  // no index maps the field, and every one is dynamic: strict
	MappingUnindexedField = "mapping-unindexed-field" // some index keeps the field's values unindexed
	// Field-aware conversion for Splunk (backends/splunk/splfields): the description of
	// the extracted fields given (convert --fields) cannot answer the leaf exactly.
	FieldsUnlistedField  = "fields-unlisted-field"  // Splunk extracts no such field from the events described
	FieldsAmbiguousField = "fields-ambiguous-field" // the field is listed both as a.b and with {} array steps, or under several of them
	FieldsFieldType      = "fields-field-type"      // a number value on a field whose values are not all numbers
	// KeywordScope is a warning: a keyword search runs over the fields the target searches
	// by default, which must be the event's string fields mapped as keyword to be exact.
	KeywordScope = "keyword-scope"
)

// classes is the class of every stable code.
var classes = map[Code]Class{
	ReadError: Input, YAMLError: Input,
	RuleStructure: InvalidRule, ConditionSyntax: InvalidRule, UnknownIdentifier: InvalidRule,
	NoMatchingSearch: InvalidRule, UnknownModifier: InvalidRule, InvalidModifier: InvalidRule,
	InvalidValue: InvalidRule, ConstantCondition: InvalidRule,
	LegacyAggregation: NotSupported, CorrelationUnsupp: NotSupported, FilterUnsupported: NotSupported,
	RuleTooLarge: Limit, ConditionTooLong: Limit, ConditionTooDeep: Limit, DetectionTooDeep: Limit,
	DetectionTooLarge: Limit,
	PipelineError:     Pipeline, PipelineUnsupported: Pipeline, PipelineApproximate: Advice,
	Unsupported: Target, UnsupportedCased: Target, UnsupportedRegex: Target,
	UnsupportedFieldRef: Target, UnsupportedKeyword: Target, UnsupportedTimePart: Target,
	UnsupportedCIDR: Target, UnsupportedFieldName: Target, UnsupportedValue: Target,
	CaseSensitiveTarget: Target, UnsupportedFlattened: Target, UnsupportedMultiValued: Target,
	UnsupportedRegexLength: Target, UnsupportedControl: Target, UnsupportedRegexComplexity: Target, UnsupportedRegexCount: Target,
	MappingTextField: Target, MappingIgnoreAbove: Target, MappingFieldType: Target,
	MappingTypeConflict: Target, MappingUnmappedField: Target, MappingUnindexedField: Target,
	FieldsUnlistedField: Target, FieldsAmbiguousField: Target, FieldsFieldType: Target,
	UnresolvedPlaceholder: Deployment,
	CorrelationStructure:  InvalidRule, CorrelationType: InvalidRule, CorrelationReference: InvalidRule,
	CorrelationTimespan: InvalidRule, CorrelationCondition: InvalidRule, CorrelationField: InvalidRule,
	FilterReference: InvalidRule, UnsupportedCorrelation: Target, CorrelationLimit: Limit,
	ApproximateWindow: Advice,
	KeywordScope:      Advice,
}

// Class returns the code's class from the table, Unknown for a code not in it.
func (c Code) Class() Class { return classes[c] }

// Codes returns every stable code, sorted.
func Codes() []Code {
	out := make([]Code, 0, len(classes))
	for c := range classes {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// IsUnsupported reports whether a code means "the target or a pipeline cannot express this"
// (or the deployment has not given a placeholder its value) rather than "the rule is wrong":
// every code of the classes Target and Deployment, and pipeline-unsupported, by which a
// pipeline declares a rule or item it cannot carry. Not pipeline-error (the pipeline itself
// is wrong), nor the NotSupported class (constructs sigmabridge handles on no target, which
// fail when the rule loads).
func IsUnsupported(code Code) bool {
	c := code.Class()
	return c == Target || c == Deployment || code == PipelineUnsupported
}

// OnlyUnsupported reports whether every Error diagnostic of l is an unsupported one.
func (l List) OnlyUnsupported() bool {
	for _, d := range l {
		if d.Severity == Error && !IsUnsupported(d.Code) {
			return false
		}
	}
	return true
}

// Diagnostic is one finding about one rule.
type Diagnostic struct {
	Path     string   `json:"path,omitempty"`
	Line     int      `json:"line,omitempty"`
	Col      int      `json:"col,omitempty"`
	RuleID   string   `json:"rule_id,omitempty"`
	Target   string   `json:"target,omitempty"`
	Code     Code     `json:"code"`
	Message  string   `json:"message"`
	Severity Severity `json:"severity"`
}

// String prints `path:line: code: message` (line omitted when unknown).
func (d Diagnostic) String() string {
	loc := d.Path
	if loc == "" {
		loc = "<input>"
	}
	if d.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, d.Line)
	}
	sev := ""
	if d.Severity == Warning {
		sev = "warning: "
	}
	return fmt.Sprintf("%s: %s%s: %s", loc, sev, d.Code, d.Message)
}

// Error lets a Diagnostic be returned as an error.
func (d Diagnostic) Error() string { return d.String() }

// List is an ordered collection of diagnostics.
type List []Diagnostic

// Add appends a diagnostic built from its parts.
func (l *List) Add(path string, line int, code Code, format string, args ...any) {
	*l = append(*l, Diagnostic{Path: path, Line: line, Code: code, Message: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any diagnostic has Error severity.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the Error diagnostics.
func (l List) Errors() List {
	var out List
	for _, d := range l {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// FilesWithErrors counts the distinct paths that have an Error diagnostic.
func (l List) FilesWithErrors() int {
	seen := map[string]bool{}
	for _, d := range l {
		if d.Severity == Error {
			seen[d.Path] = true
		}
	}
	return len(seen)
}

// Sort orders diagnostics by path, line, column and code.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Code < b.Code
	})
}

// Error returns the list as one error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return listError(l)
}

type listError List

func (e listError) Error() string {
	s := ""
	for i, d := range e {
		if i > 0 {
			s += "\n"
		}
		s += d.String()
	}
	return s
}
