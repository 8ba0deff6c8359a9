package dsl

import (
	"encoding/json"
	"strings"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TimeField is the event time Query DSL correlations read (ECS), as the esql target's.
const TimeField = "@timestamp"

// MaxCorrelationRefs bounds the rules one rendered correlation names: each rule's query
// scores 2^i, and the sum of the scores (a float) is the exact set of rules an event
// matched while it fits the 24 bits of a float's mantissa.
const MaxCorrelationRefs = 24

// MaxAlerts bounds the alerts one search returns; the answer says truncated when more
// windows met the condition.
const MaxAlerts = 10000

// CorrelationTypes: all seven. The search is exact for every type (see
// ConvertCorrelation); no time bucket is involved.
func (Backend) CorrelationTypes() []ir.CorrelationType { return ir.CorrelationTypes }

// ConvertCorrelation renders c as one search body (POST <index>/_search) that computes
// the evaluator's exact sliding windows inside Elasticsearch:
//
//   - "query" selects the events of the named rules: a bool should of one constant_score
//     query per rule (the rule's own Query DSL query, global filters applied) with boost
//     2^i, so an event's score is the set of rules it matched;
//   - "aggs.sigma_correlation" is a scripted_metric whose map script turns each (event,
//     matched rule) into an entry: its @timestamp, its indexing order (_seq_no), the rule,
//     the group-by values (each rule's alias field) and the counted or aggregated value.
//     An entry without a group-by value, without the value, or with a non-numeric value
//     for a metric is not made, as the evaluator does not count it;
//   - the reduce script sorts each group's entries by time (then indexing order) and
//     evaluates one closed trailing window [t - timespan, t] per distinct instant t, as
//     translator/evaluator/correlate.go does: the count, distinct count, sum, mean,
//     nearest-rank percentile, number of distinct rules (temporal), or the ordered chain
//     ending with an event of the last rule (temporal_ordered); the condition is checked
//     with each bound.
//
// The alerts are aggregations.sigma_correlation.value.alerts: each with end (RFC 3339),
// group (group-by name to value) and value; truncated is true when more than MaxAlerts
// windows fired. The script source is the same for every correlation: the correlation is
// in its params. Group-by and value fields are read from doc values (keyword, numeric, ip,
// boolean, date fields; a text field without doc values fails the search).
func (Backend) ConvertCorrelation(c *ir.Correlation, rules []*ir.Rule) ([]backends.Query, diag.List) {
	if len(rules) > MaxCorrelationRefs {
		return nil, diag.List{backends.CorrDiag(c, Target, diag.UnsupportedCorrelation,
			"names %d rules: the Query DSL form tells apart at most %d rules by score", len(rules), MaxCorrelationRefs)}
	}
	var diags diag.List
	should := make([]any, 0, len(rules))
	refs := make([]any, 0, len(rules))
	for i, r := range rules {
		q, ds := backends.OneCondition(Backend{}, c, r)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		var doc struct {
			Query json.RawMessage `json:"query"`
		}
		if err := json.Unmarshal([]byte(q.Text), &doc); err != nil || doc.Query == nil {
			diags = append(diags, backends.CorrDiag(c, Target, diag.UnsupportedCorrelation, "rule %q: its query is not a {\"query\": ...} document", r.Title))
			continue
		}
		should = append(should, Query{"constant_score": Query{"filter": doc.Query, "boost": 1 << i}})
		fields := make([]any, len(c.GroupBy))
		for gi, g := range c.GroupBy {
			fields[gi] = c.FieldFor(i, g)
		}
		refs = append(refs, fields)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	// The evaluator inserts an event's entries rule by rule in the rule set's order (then in
	// the correlation's order for a rule named twice); rank gives each rule its place.
	ranks := make([]any, len(c.Refs))
	for i, ri := range c.Refs {
		rank := 0
		for j, rj := range c.Refs {
			if rj.Rule < ri.Rule || rj.Rule == ri.Rule && j < i {
				rank++
			}
		}
		ranks[i] = rank
	}
	names := make([]any, len(c.GroupBy))
	for i, g := range c.GroupBy {
		names[i] = g
	}
	r := c.Condition
	params := Query{
		"type": string(c.Type), "time": TimeField, "span": c.Timespan.Nanoseconds(),
		"refs": refs, "ranks": ranks, "names": names, "field": c.Field, "percentile": c.Percentile,
		"has_min": r.HasMin, "min_incl": r.MinIncl, "min": r.Min,
		"has_max": r.HasMax, "max_incl": r.MaxIncl, "max": r.Max,
		"max_alerts": MaxAlerts,
	}
	body := Query{
		"size":             0,
		"track_total_hits": false,
		"query":            Query{"bool": Query{"should": should, "minimum_should_match": 1}},
		"aggs": Query{"sigma_correlation": Query{"scripted_metric": Query{
			"params":         params,
			"init_script":    painlessInit,
			"map_script":     painlessMap,
			"combine_script": painlessCombine,
			"reduce_script":  painlessReduce,
		}}},
	}
	return []backends.Query{{Text: Encode(body), JSON: true}}, diags
}

// The Painless scripts. An entry is [time ns, order, rule, value, key]: order is
// _seq_no * 64 + the rule's rank, so the entries of one event are in the order the evaluator
// inserts them (the rule set's order); key is the list of group-by values.
const painlessInit = `state.e = new ArrayList();`

var painlessMap = strings.Join([]string{
	`long m = (long) _score;`,
	`if (doc.containsKey(params.time) && doc[params.time].size() == 1) {`,
	`  Instant at = doc[params.time].value.toInstant();`,
	`  long t = at.getEpochSecond() * 1000000000L + at.getNano();`,
	`  long seq = doc['_seq_no'].value;`,
	`  for (int i = 0; i < params.refs.size(); i++) {`,
	`    if ((m & (1L << i)) == 0) { continue; }`,
	`    List key = new ArrayList(); boolean ok = true;`,
	`    for (def f : params.refs[i]) {`,
	`      if (!doc.containsKey(f) || doc[f].size() != 1) { ok = false; break; }`,
	`      key.add(String.valueOf(doc[f].value));`,
	`    }`,
	`    if (!ok) { continue; }`,
	`    def v = null;`,
	`    if (params.field != '') {`,
	`      if (!doc.containsKey(params.field) || doc[params.field].size() != 1) { continue; }`,
	`      def x = doc[params.field].value;`,
	`      if (params.type == 'value_count') { v = String.valueOf(x); }`,
	`      else if (x instanceof Number) { v = ((Number) x).doubleValue(); }`,
	`      else {`,
	// A decimal number only: Double.parseDouble also takes "1d", " 1", "NaN" and hex,
	// which the evaluator's strconv.ParseFloat does not (or not alike).
	`        String s = String.valueOf(x); boolean num = s.length() > 0;`,
	`        for (int k = 0; k < s.length() && num; k++) { char ch = s.charAt(k); num = (ch >= (char) '0' && ch <= (char) '9') || ch == (char) '+' || ch == (char) '-' || ch == (char) '.' || ch == (char) 'e' || ch == (char) 'E'; }`,
	`        if (!num) { continue; }`,
	`        try { v = Double.parseDouble(s); } catch (NumberFormatException nfe) { num = false; }`,
	`        if (!num) { continue; }`,
	`      }`,
	`      if (v instanceof Double && (Double.isNaN((double) v) || Double.isInfinite((double) v))) { continue; }`,
	`    }`,
	`    state.e.add([t, seq * 64 + params.ranks[i], i, v, key]);`,
	`  }`,
	`}`,
}, "\n")

const painlessCombine = `return state.e;`

var painlessReduce = strings.Join([]string{
	`Map groups = new HashMap();`,
	`for (def s : states) { if (s == null) { continue; } for (def x : s) { groups.computeIfAbsent(x[4], k -> new ArrayList()).add(x); } }`,
	`List alerts = new ArrayList(); boolean truncated = false;`,
	`long span = ((Number) params.span).longValue(); int last = params.refs.size() - 1;`,
	`double mn = ((Number) params.min).doubleValue(); double mx = ((Number) params.max).doubleValue();`,
	`for (def g : groups.entrySet()) {`,
	`  List es = g.getValue();`,
	`  es.sort((a, b) -> { int c = Long.compare(((Number) a[0]).longValue(), ((Number) b[0]).longValue()); return c != 0 ? c : Long.compare(((Number) a[1]).longValue(), ((Number) b[1]).longValue()); });`,
	`  int n = es.size(); int lo = 0;`,
	// For temporal_ordered: prev[r * n + i] is the latest position <= i of an entry of rule
	// r, or -1, so the chain is walked back in one step per rule.
	`  int[] prev = new int[params.type == 'temporal_ordered' ? (last + 1) * n : 0];`,
	`  if (params.type == 'temporal_ordered') {`,
	`    for (int i = 0; i < n; i++) { int ri = ((Number) es[i][2]).intValue(); for (int r = 0; r <= last; r++) { prev[r * n + i] = r == ri ? i : (i > 0 ? prev[r * n + i - 1] : -1); } }`,
	`  }`,
	`  for (int end = 0; end < n; end++) {`,
	`    long te = ((Number) es[end][0]).longValue();`,
	// The window of an instant is closed by its last entry and holds every entry of it.
	`    if (end + 1 < n && ((Number) es[end + 1][0]).longValue() == te) { continue; }`,
	`    while (((Number) es[lo][0]).longValue() < te - span) { lo++; }`,
	// The window's work is done by stream methods, not Painless loops: Painless stops a
	// script after 1,000,000 loop iterations. The sum is a left fold, in order, as the
	// evaluator adds.
	`    List win = es.subList(lo, end + 1);`,
	`    double value = 0;`,
	`    if (params.type == 'event_count') { value = end - lo + 1; }`,
	`    else if (params.type == 'value_count') { value = win.stream().map(x -> x[3]).distinct().count(); }`,
	`    else if (params.type == 'value_sum' || params.type == 'value_avg') {`,
	`      value = win.stream().mapToDouble(x -> ((Number) x[3]).doubleValue()).reduce(0.0, (p, q) -> p + q);`,
	`      if (params.type == 'value_avg') { value /= (end - lo + 1); }`,
	`    } else if (params.type == 'value_percentile') {`,
	`      double[] xs = win.stream().mapToDouble(x -> ((Number) x[3]).doubleValue()).sorted().toArray();`,
	`      int r = (int) Math.ceil(((Number) params.percentile).doubleValue() / 100.0 * xs.length);`,
	`      if (r < 1) { r = 1; } if (r > xs.length) { r = xs.length; }`,
	`      value = xs[r - 1];`,
	`    } else if (params.type == 'temporal') { value = win.stream().map(x -> x[2]).distinct().count(); }`,
	`    else if (params.type == 'temporal_ordered') {`,
	// The window ends with an event of the last rule; walking back, the latest entry of each
	// earlier rule before the chain so far (entries are in time, then indexing, order).
	`      if (((Number) es[end][2]).intValue() != last) { continue; }`,
	`      int chain = 1; int j = end;`,
	`      for (int want = last - 1; want >= 0; want--) {`,
	`        j = j > 0 ? prev[want * n + j - 1] : -1;`,
	`        if (j < lo) { break; }`,
	`        chain++;`,
	`      }`,
	`      value = chain;`,
	`      if (chain != last + 1) { continue; }`,
	`    }`,
	`    if (params.has_min && (value < mn || (!params.min_incl && value == mn))) { continue; }`,
	`    if (params.has_max && (value > mx || (!params.max_incl && value == mx))) { continue; }`,
	`    if (alerts.size() >= params.max_alerts) { truncated = true; break; }`,
	`    Map group = new TreeMap(); List key = g.getKey();`,
	`    for (int i = 0; i < params.names.size(); i++) { group.put(params.names[i], key[i]); }`,
	`    long sec = te / 1000000000L; long ns = te % 1000000000L; if (ns < 0) { sec--; ns += 1000000000L; }`,
	`    alerts.add(['end': Instant.ofEpochSecond(sec, ns).toString(), 'group': group, 'value': value, 't': te]);`,
	`  }`,
	`}`,
	`alerts.sort((a, b) -> Long.compare(a.t, b.t)); for (def a : alerts) { a.remove('t'); }`,
	`return ['alerts': alerts, 'truncated': truncated];`,
}, "\n")
