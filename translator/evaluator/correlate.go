package evaluator

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Correlation semantics (what every target is compared with):
//
//   - Time is the event's own, read from the logsource's timestamp field (TimeField).
//   - A window is trailing and closed: the window of an event e holds the events of the
//     same group whose time t satisfies e.t - timespan <= t <= e.t. Each matching event
//     closes one window, and the correlation fires for that window when its condition
//     holds; so a burst fires however it straddles any fixed bucket, and two events exactly
//     one timespan apart are in one window.
//   - event_count counts the window's events; value_count its distinct values of field;
//     value_sum, value_avg and value_percentile aggregate field (nearest rank: the
//     ceil(p/100*n)-th smallest value, the smallest for p = 0); temporal counts the distinct
//     rules matched, by default every rule; temporal_ordered fires for each window that
//     ends with an event of the last rule and holds the other rules before it, in order
//     (time, then arrival).
//   - An event without a group-by field (or without the field a value type reads, or with a
//     non-numeric value for a metric) is not counted, as `stats ... by` drops it.
//   - Events may arrive out of order by up to MaxLateness: a window is evaluated once the
//     newest time seen is MaxLateness past its end, so the late events it should hold are in
//     it. An event later than that is dropped and counted (Late).

// DefaultTimeFields are the timestamp fields of the pack's log sources, by logsource
// product, or product/service when the service differs. Other log sources use @timestamp.
var DefaultTimeFields = map[string]string{
	"aws":                        "eventTime",    // CloudTrail
	"aws/lambda_logs":            "timestamp",    // CloudWatch Logs events (epoch ms)
	"azure":                      "time",         // activity and resource logs
	"gcp":                        "timestamp",    // Cloud Audit Logs LogEntry
	"gcp/google_workspace.token": "id.time",      // Workspace Reports activities
	"gcp/google_workspace.drive": "id.time",      // (input format workspace)
	"gcp/google_workspace.admin": "id.time",      //
	"m365/audit":                 "CreationTime", // unified audit log
	"m365/message_headers":       "timestamp",    // message trace / headers
	"google_workspace":           "id.time",
	"":                           "@timestamp",
}

// CorrelatorOptions configure a Correlator.
type CorrelatorOptions struct {
	// TimeFields override DefaultTimeFields, with the same keys ("" sets the default).
	TimeFields map[string]string
	// MaxLateness is how far out of order events may arrive (0: in order).
	MaxLateness time.Duration
	// MaxGroups bounds the group-by keys held per correlation (0: DefaultMaxGroups).
	MaxGroups int
}

// DefaultMaxGroups is the default bound on the keys one correlation holds at once.
const DefaultMaxGroups = 100000

// TimeField returns the timestamp field of a logsource under o.
func (o CorrelatorOptions) TimeField(ls ir.Logsource) string {
	for _, key := range []string{ls.Product + "/" + ls.Service, ls.Product, ""} {
		if f, ok := o.TimeFields[key]; ok {
			return f
		}
		if f, ok := DefaultTimeFields[key]; ok {
			return f
		}
	}
	return "@timestamp"
}

// Fields reads one field of an event as text; ok is false when it is absent or null.
type Fields func(path string) (string, bool)

// JSONFields returns the Fields of one JSON object: a dotted path follows nested objects,
// and a key that itself holds dots is found too. Arrays are not indexed.
func JSONFields(event []byte) (Fields, error) {
	var m map[string]any
	if err := json.Unmarshal(event, &m); err != nil {
		return nil, err
	}
	return MapFields(m), nil
}

// MapFields is JSONFields over a decoded object.
func MapFields(m map[string]any) Fields {
	return func(path string) (string, bool) { return lookup(m, path) }
}

func lookup(m map[string]any, path string) (string, bool) {
	if v, ok := m[path]; ok {
		return scalarText(v)
	}
	for i := 0; i < len(path); i++ {
		if path[i] != '.' {
			continue
		}
		if sub, ok := m[path[:i]].(map[string]any); ok {
			if s, ok := lookup(sub, path[i+1:]); ok {
				return s, true
			}
		}
	}
	return "", false
}

func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// ParseTime reads an event time: RFC 3339 (a missing zone is UTC), or epoch seconds or
// milliseconds (a number above 1e11 is milliseconds).
func ParseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		if math.Abs(f) > 1e11 {
			return time.UnixMilli(int64(f)).UTC(), true
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	return time.Time{}, false
}

// Event is one event handed to Observe: its time, an identifier the caller chooses (a
// file:line), and its fields.
type Event struct {
	Time   time.Time
	ID     string
	Fields Fields
}

// AlertEvent is one event that made an alert.
type AlertEvent struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Ref is the index of the rule (in the correlation's Refs) the event matched.
	Ref int `json:"ref"`
}

// Alert is one correlation match: the window of one group that met the condition.
type Alert struct {
	// Correlation is the index in the RuleSet's Correlations.
	Correlation int
	Corr        *ir.Correlation
	// Group holds the group-by values, by group-by name.
	Group map[string]string
	Start time.Time
	End   time.Time
	// Value is what the condition was checked against (count, distinct count, aggregate).
	Value float64
	// Events made the alert (see evalWindow for which); Omitted counts the window's events
	// not listed.
	Events  []AlertEvent
	Omitted int
}

// MaxAlertEvents bounds the events listed in one alert.
const MaxAlertEvents = 50

type entry struct {
	t     time.Time
	seq   uint64
	ref   int
	value string
	num   float64
	id    string
	done  bool // its window was evaluated
}

type group struct {
	gk      string // its key in corrState.groups
	key     []string
	entries []entry // sorted by (t, seq)
}

type corrState struct {
	c      *ir.Correlation
	index  int
	groups map[string]*group
	// pending are the keys of the groups with a window not yet evaluated.
	pending   map[string]bool
	lastSweep time.Time
	full      bool // MaxGroups reached (reported once)
}

// Correlator evaluates a RuleSet's correlations over the matches of a stream of events. It
// is deterministic: the same events in the same order give the same alerts. It is not safe
// for concurrent use.
type Correlator struct {
	set   *ir.RuleSet
	opts  CorrelatorOptions
	corrs []*corrState
	// byRule: rule index -> (correlation, ref) pairs.
	byRule map[int][][2]int
	// byCorr: correlation index -> (correlation, ref) pairs that name it.
	byCorr    map[int][][2]int
	watermark time.Time
	seq       uint64
	x         *Extractor
	keys      []string // scratch
	kbuf      []byte   // scratch
	scratch   windowScratch
	// Late counts events dropped for arriving later than MaxLateness.
	Late int
	// Limits are the limit diagnostics raised (MaxGroups), one per correlation.
	Limits diag.List
}

// NewCorrelator prepares the correlations of set. Rules refer to set.Rules by index, as do
// the RuleIndex values of the matches given to Observe.
func NewCorrelator(set *ir.RuleSet, opts CorrelatorOptions) *Correlator {
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = DefaultMaxGroups
	}
	k := &Correlator{set: set, opts: opts, byRule: map[int][][2]int{}, byCorr: map[int][][2]int{}}
	k.scratch.seen = map[string]struct{}{}
	for i, c := range set.Correlations {
		k.corrs = append(k.corrs, &corrState{c: c, index: i, groups: map[string]*group{}, pending: map[string]bool{}})
		for j, r := range c.Refs {
			if r.Rule >= 0 {
				k.byRule[r.Rule] = append(k.byRule[r.Rule], [2]int{i, j})
			} else if r.Correlation >= 0 {
				k.byCorr[r.Correlation] = append(k.byCorr[r.Correlation], [2]int{i, j})
			}
		}
	}
	return k
}

// Extract reads the fields the correlations need from one JSON event (see Extractor).
func (k *Correlator) Extract(event []byte) (Fields, error) {
	if k.x == nil {
		k.x = NewExtractor(k.set, k.opts)
	}
	return k.x.Extract(event)
}

// Relevant reports whether matches of rule i feed a correlation.
func (k *Correlator) Relevant(rule int) bool { return len(k.byRule[rule]) > 0 }

// TimeField is the timestamp field of rule i's log source.
func (k *Correlator) TimeField(rule int) string { return k.opts.TimeField(k.set.Rules[rule].Logsource) }

// Observe takes one event and the indexes of the rules it matched, and returns the alerts
// whose windows it completes. An event later than MaxLateness behind the newest seen is
// dropped and counted in Late.
func (k *Correlator) Observe(ev Event, rules []int) []Alert {
	if !ev.Time.IsZero() && k.opts.MaxLateness >= 0 && !k.watermark.IsZero() && ev.Time.Before(k.watermark.Add(-k.opts.MaxLateness)) {
		for _, r := range rules {
			if k.Relevant(r) {
				k.Late++
				return nil
			}
		}
		return nil
	}
	for _, r := range rules {
		for _, cr := range k.byRule[r] {
			k.insert(cr[0], cr[1], ev.Time, ev.ID, ev.Fields)
		}
	}
	if ev.Time.After(k.watermark) {
		k.watermark = ev.Time
	}
	return k.flush(k.watermark.Add(-k.opts.MaxLateness))
}

// Advance declares that no event older than t - MaxLateness will come, and returns the
// alerts of the windows that closes. Advance with the zero time, or Flush, closes all.
func (k *Correlator) Advance(t time.Time) []Alert {
	if t.After(k.watermark) {
		k.watermark = t
	}
	return k.flush(k.watermark.Add(-k.opts.MaxLateness))
}

// Flush evaluates every open window (the end of a finite input).
func (k *Correlator) Flush() []Alert {
	return k.flush(time.Unix(1<<40, 0))
}

func (k *Correlator) insert(ci, ref int, t time.Time, id string, fields Fields) {
	cs := k.corrs[ci]
	c := cs.c
	// The group key: each value length-prefixed, so no two keys collide; the values are
	// views into the event, copied only for a new group.
	kb := k.kbuf[:0]
	for _, name := range c.GroupBy {
		v, ok := fields(c.FieldFor(ref, name))
		if !ok {
			return // a group-by field is missing: not counted
		}
		kb = strconv.AppendInt(kb, int64(len(v)), 10)
		kb = append(kb, ':')
		kb = append(kb, v...)
	}
	k.kbuf = kb
	var e entry
	e.t, e.ref, e.id = t, ref, id
	if c.Type.NeedsField() {
		v, ok := fields(c.Field)
		if !ok {
			return
		}
		if c.Type == ir.ValueCount {
			e.value = strings.Clone(v)
		} else {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return
			}
			e.num = f
		}
	}
	k.seq++
	e.seq = k.seq
	g := cs.groups[string(kb)]
	if g == nil {
		if len(cs.groups) >= k.opts.MaxGroups {
			if !cs.full {
				cs.full = true
				k.Limits = append(k.Limits, diag.Diagnostic{Path: c.Path, Line: c.Line, RuleID: c.ID, Code: diag.CorrelationLimit,
					Message: fmt.Sprintf("%s: more than %d group-by keys in one timespan (MaxGroups); events of new keys are not counted", c.Label(), k.opts.MaxGroups)})
			}
			return
		}
		key := make([]string, len(c.GroupBy))
		for gi, name := range c.GroupBy {
			v, _ := fields(c.FieldFor(ref, name))
			key[gi] = strings.Clone(v)
		}
		g = &group{key: key, gk: string(kb)}
		cs.groups[g.gk] = g
	}
	gk := g.gk
	i := sort.Search(len(g.entries), func(i int) bool { return g.entries[i].t.After(t) })
	g.entries = append(g.entries, entry{})
	copy(g.entries[i+1:], g.entries[i:])
	g.entries[i] = e
	cs.pending[gk] = true
}

// flush evaluates the windows that end at or before upto and drops what no open window
// needs; alerts of a correlation feed the correlations that name it.
func (k *Correlator) flush(upto time.Time) []Alert {
	var out []Alert
	for ci, cs := range k.corrs {
		cut := upto.Add(-cs.c.Timespan)
		if len(cs.pending) == 0 {
			if len(cs.groups) > 0 && upto.Sub(cs.lastSweep) >= cs.c.Timespan {
				cs.lastSweep = upto
				for gk, g := range cs.groups {
					cs.evict(gk, g, cut)
				}
			}
			continue
		}
		keys := k.keys[:0]
		for gk := range cs.pending {
			keys = append(keys, gk)
		}
		if len(keys) > 1 {
			sort.Strings(keys)
		}
		k.keys = keys
		for _, gk := range keys {
			g := cs.groups[gk]
			open := false
			for i := range g.entries {
				e := &g.entries[i]
				if e.done {
					continue
				}
				if e.t.After(upto) {
					open = true
					continue
				}
				e.done = true
				if a, ok := evalWindow(cs.c, g, i, &k.scratch); ok {
					a.Correlation = ci
					out = append(out, a)
				}
			}
			if !open {
				delete(cs.pending, gk)
			}
			cs.evict(gk, g, cut)
		}
		// Groups no event touched still age out: sweep them once per timespan.
		if upto.Sub(cs.lastSweep) >= cs.c.Timespan {
			cs.lastSweep = upto
			for gk, g := range cs.groups {
				cs.evict(gk, g, cut)
			}
		}
	}
	// Chained correlations: an alert is an event of the correlations naming it, at its end.
	var chained []Alert
	for _, a := range out {
		for _, cr := range k.byCorr[a.Correlation] {
			grp := a.Group
			k.insert(cr[0], cr[1], a.End, fmt.Sprintf("correlation %d", a.Correlation), func(p string) (string, bool) {
				v, ok := grp[p]
				return v, ok
			})
		}
	}
	if len(out) > 0 && len(k.byCorr) > 0 {
		chained = k.flush(upto)
	}
	return append(out, chained...)
}

// windowScratch is memory evalWindow reuses from window to window.
type windowScratch struct {
	seen map[string]struct{}
	nums []float64
}

// evict drops the evaluated entries older than cut, which no open window can hold.
func (cs *corrState) evict(gk string, g *group, cut time.Time) {
	n := 0
	for n < len(g.entries) && g.entries[n].done && g.entries[n].t.Before(cut) {
		n++
	}
	if n > 0 {
		g.entries = append(g.entries[:0], g.entries[n:]...)
	}
	if len(g.entries) == 0 {
		delete(cs.groups, gk)
		delete(cs.pending, gk)
	}
}

// evalWindow evaluates the trailing window that ends with g.entries[end].
func evalWindow(c *ir.Correlation, g *group, end int, scratch *windowScratch) (Alert, bool) {
	e := g.entries[end]
	start := e.t.Add(-c.Timespan)
	lo := sort.Search(end+1, func(i int) bool { return !g.entries[i].t.Before(start) })
	// Entries with the same time as e but arrived after it are in the window too.
	hi := end + 1
	for hi < len(g.entries) && g.entries[hi].t.Equal(e.t) {
		hi++
	}
	if hi != end+1 {
		return Alert{}, false // the window is closed by the last entry of its instant
	}
	win := g.entries[lo:hi]
	var value float64
	used := win
	switch c.Type {
	case ir.EventCount:
		value = float64(len(win))
	case ir.ValueCount:
		seen := scratch.seen
		clear(seen)
		for _, x := range win {
			seen[x.value] = struct{}{}
		}
		value = float64(len(seen))
	case ir.ValueSum, ir.ValueAvg:
		for _, x := range win {
			value += x.num
		}
		if c.Type == ir.ValueAvg {
			value /= float64(len(win))
		}
	case ir.ValuePercentile:
		xs := scratch.nums[:0]
		for _, x := range win {
			xs = append(xs, x.num)
		}
		value = Percentile(xs, c.Percentile)
		scratch.nums = xs
	case ir.Temporal:
		var seen [64]bool // MaxCorrelationRules
		n := 0
		for _, x := range win {
			if x.ref < len(seen) && !seen[x.ref] {
				seen[x.ref] = true
				n++
			}
		}
		value = float64(n)
	case ir.TemporalOrdered:
		// The window must end with an event of the last rule, preceded in order (time,
		// then arrival) by the other rules within the window. Walking back from it, the
		// latest event of each earlier rule gives the latest possible start.
		last := len(c.Refs) - 1
		if e.ref != last {
			return Alert{}, false
		}
		chain := []entry{e} // built backwards
		j := len(win) - 1
		for want := last - 1; want >= 0; want-- {
			for j >= 0 && (win[j].ref != want || !before(win[j], chain[len(chain)-1])) {
				j--
			}
			if j < 0 {
				break
			}
			chain = append(chain, win[j])
		}
		value = float64(len(chain))
		if len(chain) != len(c.Refs) {
			return Alert{}, false
		}
		used = make([]entry, len(chain))
		for i := range chain {
			used[i] = chain[len(chain)-1-i]
		}
	}
	if !c.Condition.Holds(value) {
		return Alert{}, false
	}
	a := Alert{Corr: c, Start: used[0].t, End: e.t, Value: value, Group: map[string]string{}}
	for i, name := range c.GroupBy {
		a.Group[name] = g.key[i]
	}
	// The events that made it: for a count with a lower bound, the latest that reach it;
	// for temporal, the latest event of each rule; otherwise the window (the chain for
	// temporal_ordered); at most MaxAlertEvents, the latest.
	keep := len(used)
	switch {
	case c.Type == ir.EventCount && c.Condition.HasMin && !c.Condition.HasMax:
		keep = int(math.Floor(c.Condition.Min)) + 1
		if c.Condition.MinIncl && c.Condition.Min == math.Floor(c.Condition.Min) {
			keep = int(c.Condition.Min)
		}
	case c.Type == ir.Temporal:
		var seen [64]bool
		var latest []entry
		for i := len(used) - 1; i >= 0; i-- {
			if r := used[i].ref; r < len(seen) && !seen[r] {
				seen[r] = true
				latest = append(latest, used[i])
			}
		}
		for i, j := 0, len(latest)-1; i < j; i, j = i+1, j-1 {
			latest[i], latest[j] = latest[j], latest[i]
		}
		used = latest
		keep = len(used)
	}
	keep = max(1, min(keep, MaxAlertEvents, len(used)))
	a.Omitted = len(used) - keep
	used = used[len(used)-keep:]
	a.Events = make([]AlertEvent, len(used))
	for i, x := range used {
		a.Events[i] = AlertEvent{ID: x.id, Time: x.t, Ref: x.ref}
	}
	return a, true
}

// before orders entries by time, then arrival.
func before(a, b entry) bool { return a.t.Before(b.t) || a.t.Equal(b.t) && a.seq < b.seq }

// Percentile is the nearest-rank percentile of xs (which it sorts): the ceil(p/100*n)-th
// smallest value, the smallest for p = 0.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sort.Float64s(xs)
	r := int(math.Ceil(p / 100 * float64(len(xs))))
	if r < 1 {
		r = 1
	}
	if r > len(xs) {
		r = len(xs)
	}
	return xs[r-1]
}

// Open is the number of events held in windows, over every correlation and group: the
// Correlator's memory is proportional to it.
func (k *Correlator) Open() int {
	n := 0
	for _, cs := range k.corrs {
		for _, g := range cs.groups {
			n += len(g.entries)
		}
	}
	return n
}
