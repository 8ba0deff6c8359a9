// Package hunt implements `sigmabridge hunt`: run each rule's Query DSL against a live
// Elasticsearch cluster and print the documents it finds, one line per hit.
//
// A rule that cannot run (not expressible in Query DSL, refused by the cluster, no such index)
// is reported by name on stderr while the other rules still run; the exit code is 1 then.
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
