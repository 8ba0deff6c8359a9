// Package pipeline loads processing pipelines written in pySigma's processing-pipeline YAML
// format and applies them to lowered rules: field mappings, log-source conditions, pipeline
// state, placeholder values and declared "not supported" failures.
//
// State keys the backends read (set_state): `index` (a data-stream or index pattern, or a
// list of them: the ES|QL target's FROM and the hunt command's search target),
// `event_category` (the EQL target's event category) and `ip_fields` (a list of field names,
// as the query writes them after field mapping, that Elasticsearch maps as `ip`: the
// Elasticsearch targets test a cidr on them natively and refuse what an ip field cannot
// compare exactly, such as equality with a text).
//
// A loaded Pipeline is immutable and Apply is a pure function (it returns a new rule and never
// edits shared nodes), so one Pipeline may serve many goroutines; the T1648 pipelines for
// Splunk and Elastic are built in (Builtin, BuiltinNames, Load).
package pipeline
