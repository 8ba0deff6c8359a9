// Package dsl is the `dsl` target: Sigma rules as native Elasticsearch Query DSL, one
// compact `{"query": ...}` document per condition, built from the IR tree (bool filter,
// should and must_not; term, prefix, wildcard, regexp, range, exists).
//
// Case-insensitive values use case_insensitive: true where Elasticsearch's folding is
// exactly Unicode simple case folding for every letter of the value, and a regexp query
// with the remaining letters' case orbits spelled out otherwise. A regular expression longer
// than index.max_regex_length (1,000) is split at its top-level alternatives into a bool
// should of regexp queries, or the rule fails (unsupported-regex-length).
//
// Pipeline state ip_fields lists the fields mapped as ip: a cidr on them is a term query with
// the block, elsewhere a regexp query of the addresses' spellings. Text comparisons on an ip
// field (equality, wildcards, regex) fail the rule. Pipeline state flattened_fields lists
// the flattened objects: their keyed sub-fields take term, prefix (with case_insensitive
// where it is exact) and exists queries; wildcard and regexp queries are refused there, so
// any other leaf fails (unsupported-flattened).
//
// # Correlations
//
// Every correlation type renders as one search body (POST <index>/_search), exact: no
// date_histogram, no fixed bucket (ConvertCorrelation in correlation.go):
//
//	{"size": 0, "track_total_hits": false,
//	 "query": {"bool": {"minimum_should_match": 1, "should": [
//	   {"constant_score": {"filter": <rule 0's query>, "boost": 1}},
//	   {"constant_score": {"filter": <rule 1's query>, "boost": 2}}, ...]}},
//	 "aggs": {"sigma_correlation": {"scripted_metric": {"params": {...}, "init_script": ...,
//	   "map_script": ..., "combine_script": ..., "reduce_script": ...}}}}
//
// An event's score is the sum of the boosts of the rules it matches, 2^i for rule i: the set
// of rules, exact while it fits a float's mantissa (at most MaxCorrelationRefs rules, or the
// correlation fails with unsupported-correlation). The map script reads the score and, for
// each rule in it, makes an entry from doc values: @timestamp (nanoseconds), _seq_no (the
// indexing order, for events of the same instant), the group-by values (each rule's alias
// field), and the counted or aggregated value. As in the evaluator
// (translator/evaluator/correlate.go), an event without a group-by value, without the value,
// or with a non-numeric value for a metric (a numeric field's malformed value has no doc value;
// a keyword's text must be a decimal number) makes no entry; a field with several values
// counts as missing, as the evaluator does not read arrays. The reduce script groups the
// entries, sorts each group by time then indexing order, and evaluates one closed trailing
// window [t - timespan, t] per distinct instant t: count, distinct count, sum, mean,
// nearest-rank percentile, distinct rules (temporal), or the ordered chain that ends with an
// event of the last rule (temporal_ordered, walked back as the evaluator does); then the
// condition, each bound with its own operator. The answer is
// aggregations.sigma_correlation.value: {"alerts": [{"end": RFC 3339, "group": {name: value},
// "value": x}, ...], "truncated": bool}, at most MaxAlerts alerts.
//
// What it assumes: @timestamp is the event time (ECS, as the esql target); group-by and value
// fields have doc values (keyword, numeric, ip, boolean; a text field fails the search, it is
// not silently wrong), and a numeric field's doc value is its number (a value_count over a
// double field counts 5 and 5.0 as one, the evaluator as two texts); events of one instant
// are ordered by _seq_no, which is the arrival order within one shard only (the entries of one
// event in the rule set's order of their rules, as the evaluator inserts them). The search
// holds every selected event of the searched range in the coordinating node's reduce. The
// per-window work (distinct values, sum, mean, percentile, distinct rules) runs in Java stream
// methods, quadratic in the events of one group, as the esql form's self-join; the Painless
// loops are linear (about 2 + rules iterations per entry), so a reduce of more than about
// 1,000,000 / (2 + rules) entries stops with Painless's loop limit: the search fails, it does
// not answer wrongly.
//
// It needs Painless. The project's test node has none (lang-painless 8.x is not published on
// Maven Central), so the scripts are proved in three parts:
//
//   - TestPainlessCorrelationConformance and TestPainlessCorrelationRandom compile the four
//     scripts with the Painless compiler that is on Maven Central (OpenSearch's lang-painless,
//     testdata/painless, built by its build.sh; SIGMABRIDGE_PAINLESS_CP) and run the reduce
//     script over the map script's entries: every conformance case (all seven types), 300
//     random streams (ties, events of several rules in and against the rule set's order,
//     missing group-by values, malformed numbers, every bound) against the evaluator, and
//     one group of 4,000 events per type (past the loop limit of a Painless loop per window).
//   - TestLiveCorrelationRuleScores runs the query half on the live node: the hits and their
//     scores must be the events and rule sets the evaluator matches.
//   - TestLiveCorrelationConformance runs the whole search on a node with Painless and skips,
//     saying so, on one without. The map script's reads of doc values (@timestamp as a
//     ZonedDateTime, _seq_no, _score) have therefore not run on Elasticsearch itself.
package dsl
