// Package esclient is sigmabridge's door to a live Elasticsearch cluster: go-elasticsearch's
// esapi requests over elastic-transport-go for the calls the tests and `sigmabridge hunt` make
// (Query DSL, query_string, ES|QL and EQL searches, index management); subpackage esbulk adds
// bulk loading with go-elasticsearch's bulk indexer.
//
// Every failure comes back as an *Error whose Kind names the cause (unreachable cluster,
// rejected credentials, missing index, a request the cluster refused) and whose message
// carries Elasticsearch's own reason; requests are retried with backoff on 429, 5xx,
// timeouts and connection errors. Only this package and esbulk import go-elasticsearch.
//
// The cluster is not trusted. esapi writes path parameters into the URL as they are, so every
// index, data-stream or template name is checked against Elasticsearch's naming rules
// (CheckIndexPattern: no / \ ? # " < > | or space, no leading _ + -, not . or ..) and
// percent-escaped as one path segment before a request is built; a refused name fails with
// ErrInvalidIndex and sends nothing. Each call is bounded by Config.RequestTimeout, the
// reading of the answer included, and each answer by Config.MaxResponseBytes, enforced while
// reading (ErrTooLarge); the transport caps bodies it drains for retries too.
package esclient
