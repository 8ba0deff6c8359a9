// Package pipeline loads processing pipelines written in pySigma's processing-pipeline YAML
// format and applies them to lowered rules: field mappings, log-source conditions, pipeline
// state, placeholder values and declared "not supported" failures.
//
// A loaded Pipeline is immutable and Apply is a pure function (it returns a new rule and never
// edits shared nodes), so one Pipeline may serve many goroutines; the T1648 pipelines for
// Splunk and Elastic are built in (Builtin, BuiltinNames, Load).
package pipeline
