// Package hunt implements `sigmabridge hunt`: run each rule's Query DSL against a live
// Elasticsearch cluster and print the documents it finds, one line per hit.
//
// A rule that cannot run (not expressible in Query DSL, refused by the cluster, no such index)
// is reported by name on stderr while the other rules still run; the exit code is 1 then.
package hunt
