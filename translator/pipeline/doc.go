// Package pipeline loads processing pipelines written in pySigma's processing-pipeline YAML
// format and applies them to lowered rules: field mappings, log-source conditions, pipeline
// state, placeholder values and declared "not supported" failures.
//
// State keys the backends read (set_state, typed as ir.Deployment; set_state checks their
// values when the pipeline is parsed, and any other key goes to Deployment.Extra): `index` (a data-stream or index pattern, or a
// list of them: the ES|QL target's FROM and the hunt command's search target),
// `event_category` (the EQL target's event category), and three lists of names as the query
// writes them after field mapping that tell the Elasticsearch targets about the mapping:
// `ip_fields` (fields Elasticsearch maps as `ip`: the targets test a cidr on them natively and
// refuse what an ip field cannot compare exactly, such as equality with a text),
// `flattened_fields` (objects mapped as `flattened`, whose keyed sub-fields answer only term,
// prefix and exists queries: the targets render those and refuse the rest with
// unsupported-flattened; the sigmabridge_flattened_object transformation adds to it) and
// `multivalued_fields` (fields, or objects covering the fields below them, that may hold
// several values, JSON arrays or paths through an array of objects: the ES|QL target reads
// them through QSTR, where any value may match, and refuses what query_string cannot say
// with unsupported-multivalued; fields not listed are taken as single-valued there).
//
// value_placeholders resolves a placeholder from the pipeline variables; a variable that is an
// empty list makes the item match nothing, and the tree is folded exactly so no constant reaches
// a backend (fold.go): an empty allowlist excludes nothing. A condition that folds to a constant
// fails the rule with constant-condition. An undefined variable is unresolved-placeholder.
//
// add_condition's `conditions` is read and lowered exactly as a rule's search is (package
// sigma and translator.LowerSearch): every modifier, the same placeholders under expand
// (`%name%`, name a word), the same diagnostics with the loader's codes. Condition
// expressions are read by the rule condition parser without `x of`.
//
// Shape reads the event transform that goes with a pipeline from the same items: what the
// deployment the pipeline is written for does to a raw event of a rule's log source (field
// renames, flattened objects, Splunk's `{}` array names), so a pipeline-applied rule can be run
// on raw samples (`check -p`; shape.go, builtin/README.md).
//
// A loaded Pipeline is immutable and Apply is a pure function (it returns a new rule and never
// edits shared nodes), so one Pipeline may serve many goroutines; the T1648 pipelines for
// Splunk and Elastic are built in (Builtin, BuiltinNames, Load).
//
// Limits: a condition expression (rule_cond_expr and friends) is at most MaxExprBytes (16 KiB)
// long and nests `(` and `not` at most MaxExprDepth (32) deep, the bounds of a rule's
// condition; `and` and `or` chains are n-ary and cost no depth. Apply fails a rule whose tree
// the pipeline took past ir.MaxDepth or ir.MaxNodes (fanned-out mappings multiply nodes) with
// detection-too-deep or detection-too-large, as the plugin host would refuse to send it.
package pipeline
