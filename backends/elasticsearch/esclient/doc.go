// Package esclient is sigmabridge's one door to a live Elasticsearch cluster: a thin wrapper
// over go-elasticsearch's esapi and bulk indexer for the calls the tests and `sigmabridge hunt`
// make (bulk indexing, Query DSL, query_string, ES|QL and EQL searches, index management).
//
// Every failure comes back as an *Error whose Kind names the cause (unreachable cluster,
// rejected credentials, missing index, a request the cluster refused) and whose message
// carries Elasticsearch's own reason; requests are retried with backoff on 429, 5xx,
// timeouts and connection errors. No other package imports go-elasticsearch.
package esclient
