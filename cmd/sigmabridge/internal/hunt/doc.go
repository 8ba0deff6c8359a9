// Package hunt implements `sigmabridge hunt`: run each rule's Query DSL against a live
// Elasticsearch cluster and print the documents it finds, one line per hit.
//
// A rule that cannot run (not expressible in Query DSL, refused by the cluster, no such index)
// is reported by name on stderr while the other rules still run; the exit code is 1 then.
//
// Each query is written for the mapping of the index it searches: GET index/_mapping, read
// once per index pattern (or --mapping FILE), with ignore_above lifted from the keyword fields
// for which no document holds an ignored value (a terms aggregation on _ignored), and set on
// the rule's Deployment before the dsl target renders it (backends/elasticsearch/esmapping).
// A rule whose query the mapping cannot answer exactly fails with the mapping-* diagnostic in
// its line, and the summary counts those rules: hunt never reports "no hits" for them.
//
// The cluster is not trusted. Index names (--index and the pipeline state "index") are checked
// against Elasticsearch's naming rules and escaped before they reach a request path
// (esclient.CheckIndexPattern), so no name can address another API. --timeout bounds the
// whole hunt and --request-timeout each request, reading the answer included; --max-response
// caps each answer while it is read. A rule stopped by one of them is named with the flag, and
// the hits of the rules before it are written. Text from the cluster and from rules (_index,
// _id, error reasons, titles) is printed with control characters escaped (cli.Printable in
// the table and on stderr, \u escapes in jsonl, which stays valid JSON).
package hunt
