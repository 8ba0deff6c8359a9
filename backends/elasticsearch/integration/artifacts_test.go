package integration

// storageArtifact is a pinned departure from the evaluator that comes from how the
// conformance-case harness stores events, not from a query: a case's events that give one
// field different JSON types are split over several indexes (indexSet), so the same field is
// keyword in one index and long, double or boolean in another, which a real index never is.
// Where the rule's value has the other type, no query text can give the evaluator's answer
// on that index. Each entry pins the exact outcome; any change fails the test, so a fixed or
// a new departure is noticed. Only conformance cases have entries: the pack runs on the real
// templates, where every difference is a failure.
type storageArtifact struct {
	outcome
	why string
}

const (
	whyKeywordRange   = "a numeric comparison on the index where the field holds a string is a range over keywords, which compares text (\"eleven\" > \"10\"); an index that maps the field as a number refuses \"eleven\" or ignores it"
	whyKeywordBool    = "\"False\" stored as a keyword is not the boolean false: keyword terms are case-sensitive and a boolean query cannot fold case; in a boolean field Elasticsearch would refuse the string"
	whyNumericText    = "a number stored in a numeric field has lost its text: 4688.0 equals 4688 there, and a prefix query cannot read the digits of 443; stored as keyword (as the string events are) both agree with the evaluator"
	whyESQLTypes      = "ES|QL types columns statically and refuses to compare a column of one type with a value of another (keyword with a number, a number with a string) on the index where the field has the other type"
	whyESQLNoSubfield = "on the index where requestParameters is a keyword string, requestParameters.functionName cannot exist, and ES|QL refuses an unknown column"
)

var storageArtifacts = map[string]storageArtifact{
	"cases/modifiers/gt lucene 0":             {outcome{onlyES: []string{"event4"}}, whyKeywordRange},
	"cases/modifiers/gt dsl 0":                {outcome{onlyES: []string{"event4"}}, whyKeywordRange},
	"cases/values/booleans lucene 0":          {outcome{onlyEval: []string{"event2", "event2~swapcase@rule", "event2~upper@rule"}}, whyKeywordBool},
	"cases/values/booleans dsl 0":             {outcome{onlyEval: []string{"event2", "event2~swapcase@rule", "event2~upper@rule"}}, whyKeywordBool},
	"cases/values/number_as_string lucene 0":  {outcome{onlyES: []string{"event2"}}, whyNumericText},
	"cases/values/number_as_string dsl 0":     {outcome{onlyES: []string{"event2"}}, whyNumericText},
	"cases/values/number_text_match lucene 0": {outcome{onlyEval: []string{"event0"}}, whyNumericText},
	"cases/values/number_text_match dsl 0":    {outcome{onlyEval: []string{"event0"}}, whyNumericText},
}
