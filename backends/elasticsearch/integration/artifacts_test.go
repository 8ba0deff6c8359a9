package integration

// storageArtifact is a pinned departure from the evaluator that comes from how the
// conformance-case harness stores events, not from a query. A field the rule reads one way
// is mapped as the rule reads it (ruleTypes: keyword for text, double for comparisons), as a
// real index would map it; but Sigma compares a rule's number or boolean with JSON numbers
// and booleans by value and with strings by text, and a case's events may hold a field as an
// object in one event and as a scalar in another, which no one mapping holds. Such events are
// split over several indexes (indexSet), each a real index with one type per field, and where
// the rule's value needs the other type, no query text gives the evaluator's answer on that
// index. Each entry pins the exact outcome; any change fails the test, so a fixed or a new
// departure is noticed. Only conformance cases have entries: the pack runs on the real
// templates, where every difference is a failure.
type storageArtifact struct {
	outcome
	why string
}

const (
	whyKeywordBool    = "\"False\" in an index of its own is a keyword, and keyword terms are case-sensitive: query_string has no case-insensitive term and a regular expression would fail on the index where the field is boolean; a boolean field refuses the string \"False\" (ES|QL compares the text of either type, TO_LOWER(TO_STRING(f)), and agrees)"
	whyESQLNoSubfield = "on the index where requestParameters is the string \"evil\", requestParameters.functionName cannot exist, and ES|QL refuses a query naming an unknown column; an index mapping requestParameters as an object refuses that event instead"
)

var storageArtifacts = map[string]storageArtifact{
	"cases/values/booleans lucene 0":    {outcome{onlyEval: []string{"event2", "event2~swapcase@rule", "event2~upper@rule"}}, whyKeywordBool},
	"cases/values/booleans dsl 0":       {outcome{onlyEval: []string{"event2", "event2~swapcase@rule", "event2~upper@rule"}}, whyKeywordBool},
	"cases/values/nested_fields esql 0": {outcome{refused: []string{"g2"}}, whyESQLNoSubfield},
}
