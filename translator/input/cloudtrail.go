package input

// expandJSONL emits an object as one record, the objects of an array as one record each, and
// the records of a CloudTrail log file ({"Records": [...]}) one by one.
func expandJSONL(v value, c *collector, emit func(Record) error) error {
	if els, ok := wrappedArray(v, "Records"); ok {
		return eachSpan(v, els, c, "CloudTrail record", func(raw []byte, line int) error {
			return emit(Record{File: c.file, Line: line, JSON: raw})
		})
	}
	return eachObject(v, c, "event", func(raw []byte, line int) error {
		return emit(Record{File: c.file, Line: line, JSON: raw})
	})
}

// expandCloudTrail emits the records of a CloudTrail log file; anything else is reported.
func expandCloudTrail(v value, c *collector, emit func(Record) error) error {
	if els, ok := wrappedArray(v, "Records"); ok {
		return eachSpan(v, els, c, "CloudTrail record", func(raw []byte, line int) error {
			return emit(Record{File: c.file, Line: line, JSON: raw})
		})
	}
	c.add(v.line, `not a CloudTrail log file: expected an object with a "Records" array, found %s`, jsonKind(v.raw))
	return nil
}
