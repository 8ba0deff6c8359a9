// Package splfields reads a description of the fields Splunk extracts from the events a
// rule searches (the output of `... | fieldsummary`, exported as JSON or CSV) into the
// ir.IndexMapping a rule's Deployment carries, and says for each leaf of a rule how the
// Splunk target must read it, or why the description cannot answer it exactly. It plays
// for Splunk the role backends/elasticsearch/esmapping plays for Elasticsearch (convert
// --fields sets it where convert --mapping sets an Elasticsearch mapping).
//
// Splunk's JSON extraction (KV_MODE=json, spath) names the elements of an array with `{}`:
// the CloudTrail key resources[0].ARN is the multivalue field resources{}.ARN, and an array
// of strings a is a{}. A Sigma field names the path without braces. Resolve decides each
// leaf (and the referenced field of a fieldref):
//
//   - a field the description lists under the Sigma name is rendered as it is;
//   - otherwise a field the description lists only under one braced name (the Sigma name
//     once every `{}` is removed) is rendered under that name;
//   - a Sigma name that both forms, or several braced forms, answer fails with
//     fields-ambiguous-field: which one the events hold cannot be told, and guessing would
//     miss the others;
//   - a field the description does not list fails with fields-unlisted-field: Splunk
//     extracts no such field from the events described, and a search on it would silently
//     match nothing;
//   - a number value (Sigma `f: 10`) is compared as a number only on a field whose values
//     the description shows to be all numbers: every value of a complete values column
//     (is_exact 1 and distinct_count values, as `| fieldsummary maxvals=0` writes) is a
//     number, or, for a name without {}, numeric_count equals count (fieldsummary's count
//     is of events, numeric_count of values, which for an array's elements cannot tell
//     [5, "x"] from [5]). The renderer then writes tonumber('f')==10, which is true for 10,
//     10.0 and 1e1 as the evaluator is. On any other field it fails with
//     fields-field-type, since SPL's search compares the text of the value and would miss
//     a numeric value spelled otherwise. Assumed, and not visible in a fieldsummary: the
//     numbers of such a field are JSON numbers. A JSON string "10.0" is not equal to 10
//     for the evaluator (which compares a string's text), and tonumber makes it so.
//
// Every such code is in the diagnostic table's Target class, so --skip-unsupported counts
// it as a rule the target cannot express.
package splfields
