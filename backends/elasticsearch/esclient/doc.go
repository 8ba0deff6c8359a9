// Package esclient is sigmabridge's door to a live Elasticsearch cluster: go-elasticsearch's
// esapi requests over elastic-transport-go for the calls the tests and `sigmabridge hunt` make
// (Query DSL, query_string, ES|QL and EQL searches, index management); subpackage esbulk adds
// bulk loading with go-elasticsearch's bulk indexer.
//
// Every failure comes back as an *Error whose Kind names the cause (unreachable cluster,
// rejected credentials, missing index, a request the cluster refused) and whose message
// carries Elasticsearch's own reason; requests are retried with backoff on 429, 5xx,
// timeouts and connection errors. Only this package and esbulk import go-elasticsearch.
package esclient
