package ir

// IndexMapping is what the index mapping of the indices a rule searches says about the
// fields its queries read: Elasticsearch's own mapping (convert --mapping, or fetched by
// hunt), read by backends/elasticsearch/esmapping. A Deployment holds it alongside what
// the pipelines declare (ip_fields, flattened_fields); nil means no mapping was given and
// the targets assume keyword fields. It is shared by every rule of a run and never changed
// once built.
type IndexMapping struct {
	// Source names where the mapping was read (a file, or an index pattern on a cluster),
	// for diagnostics.
	Source string
	// Fields maps every mapped field path (multi-fields included: a.keyword) to its type.
	Fields map[string]MappedField
	// Absent says why a field path absent from Fields cannot be answered: some index would
	// keep its values unindexed, or (strict) every index refuses it with dynamic: strict.
	// It returns "" when no document holds the field indexed, so a query on it is exact.
	// Nil means "".
	Absent func(path string) (why string, strict bool)
	// IP and Flattened list the fields mapped as ip and flattened, as the pipeline state
	// ip_fields and flattened_fields would.
	IP, Flattened []string
	// HasText reports whether some field is analysed text (a keyword search, which runs
	// over the default fields, then reads analysed tokens).
	HasText bool
}

// MappedField is one field of an IndexMapping.
type MappedField struct {
	// Type is the Elasticsearch field type (keyword, text, long, ip, ...), the same in every
	// index that maps the field; "" when Conflict is set.
	Type string
	// Keyword is the path of a keyword multi-field of a text field (a.keyword), "" if none.
	Keyword string
	// IgnoreAbove is the ignore_above of a keyword field, or of Keyword for a text field
	// (the smallest over the indices); 0 means none.
	IgnoreAbove int
	// Unsearchable says why some index holds the field's values unindexed (index: false,
	// inside an object with enabled: false or dynamic: false, nested), "" when none does.
	Unsearchable string
	// Conflict names the indices' types when they disagree ("logs-a: keyword, logs-b: long").
	Conflict string
	// Normalizer is the normalizer of a keyword field (of Keyword for a text field) in some
	// index, "" none: it rewrites values and query terms alike (lowercase, asciifolding).
	Normalizer string
}
