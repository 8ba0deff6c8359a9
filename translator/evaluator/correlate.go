package evaluator

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
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

// Alert is one correlation match: the window of one group that met the condition. Alerts
// of one group share the memory of Group and Events (consecutive windows overlap): they
// are read-only.
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
	value string
	num   float64
	id    string
	ref   int32
	done  bool // its window was evaluated
}

// group holds the entries of one group-by key of one correlation, sorted by (time, arrival).
// The live entries are buf[off:]: eviction drops a prefix by advancing off, and the buffer
// is compacted only when it is full, so neither eviction nor appending copies the window.
type group struct {
	gk  string // its key in corrState.groups
	key []string
	// groupMap is key by group-by name, made for the first alert and shared by the next.
	groupMap map[string]string
	buf      []entry
	off      int
	// undone is a lower bound of the index (in live) of the first entry whose window was
	// not evaluated: the entries before it are done.
	undone  int
	pending bool // in corrState.pending
	at      int  // index in corrState.all
	// evs, when the correlation's alerts list a run of the window's entries (every type
	// but the temporal ones), holds the AlertEvent of each entry of buf, at the same index:
	// an alert's Events is a slice of it, so consecutive windows share their events instead
	// of copying them. Once shared, the memory of evs is never written again: an insertion
	// other than at the end, or a compaction, moves evs to a new array.
	evs    []AlertEvent
	shared bool
}

func (g *group) live() []entry { return g.buf[g.off:] }

// insertAt inserts e at index i of the live entries.
func (g *group) insertAt(i int, e entry, withEvs bool) {
	if len(g.buf) == cap(g.buf) {
		// Make room: in place when at least half is evicted, else in a buffer twice the
		// live entries; evs follows, in new memory when alerts hold slices of it.
		n := len(g.buf) - g.off
		c := cap(g.buf)
		if g.off < n || c == 0 {
			c = max(2*n, newGroupCap)
		}
		if c == cap(g.buf) {
			copy(g.buf, g.buf[g.off:])
			clear(g.buf[n:])
			g.buf = g.buf[:n]
		} else {
			nb := make([]entry, n, c)
			copy(nb, g.buf[g.off:])
			g.buf = nb
		}
		if withEvs {
			if g.shared || cap(g.evs) < c {
				nb := make([]AlertEvent, n, c)
				copy(nb, g.evs[g.off:])
				g.evs, g.shared = nb, false
			} else {
				copy(g.evs, g.evs[g.off:])
				clear(g.evs[n:])
				g.evs = g.evs[:n]
			}
		}
		g.off = 0
	}
	g.buf = append(g.buf, entry{})
	live := g.buf[g.off:]
	copy(live[i+1:], live[i:])
	live[i] = e
	if !withEvs {
		return
	}
	ae := AlertEvent{ID: e.id, Time: e.t, Ref: int(e.ref)}
	if j := g.off + i; j == len(g.evs) {
		g.evs = append(g.evs, ae) // past every shared slice's end
	} else {
		if g.shared {
			nb := make([]AlertEvent, len(g.evs), cap(g.evs))
			copy(nb, g.evs)
			g.evs, g.shared = nb, false
		}
		g.evs = append(g.evs, AlertEvent{})
		copy(g.evs[j+1:], g.evs[j:])
		g.evs[j] = ae
	}
}

type corrState struct {
	c     *ir.Correlation
	index int
	// paths[ref] are the fields the group-by names read in the events of c.Refs[ref].
	paths  [][]string
	groups map[string]*group
	// all are the groups again, for sweeps (group.at is the index of each).
	all []*group
	// pending are the groups with a window not yet evaluated.
	pending []*group
	// nextSweep is when the groups no event touched are next aged out: one timespan after
	// the last sweep.
	nextSweep time.Time
	full      bool // MaxGroups reached (reported once)
	// shareEvents: the alerts' events are a run of the window's entries (group.evs).
	shareEvents bool
	queued      bool // in Correlator.pendingCorrs
}

// corrRef is one rule (or correlation) named by a correlation: c.Refs[ref] of corrs[corr].
type corrRef struct{ corr, ref int }

// Correlator evaluates a RuleSet's correlations over the matches of a stream of events. It
// is deterministic: the same events in the same order give the same alerts. It is not safe
// for concurrent use.
type Correlator struct {
	set   *ir.RuleSet
	opts  CorrelatorOptions
	corrs []*corrState
	// byRule: by rule index, the correlations naming the rule.
	byRule [][]corrRef
	// byCorr: by correlation index, the correlations naming it.
	byCorr  [][]corrRef
	chained bool // some correlation names a correlation
	// timeFields: by rule index, the time field of the rule's log source.
	timeFields []string
	watermark  time.Time
	// pendingCorrs are the indexes of the correlations with pending groups.
	pendingCorrs []int
	// sweepDue is at or before the earliest nextSweep of the correlations holding groups.
	sweepDue time.Time
	seq      uint64
	x        *Extractor
	kbuf     []byte // scratch
	scratch  windowScratch
	out      []Alert // the alerts of one flush
	// free are emptied group buffers, reused by new groups.
	free    [][]entry
	freeEvs [][]AlertEvent
	// events is the chunk the alerts' events are carved from: its length is what is used.
	events []AlertEvent
	// Late counts events dropped for arriving later than MaxLateness.
	Late int
	// Limits are the limit diagnostics raised (MaxGroups), one per correlation.
	Limits diag.List
}

const (
	// alertEventChunk is how many AlertEvents are allocated at once for alerts: an alert
	// kept by the caller holds at most this many (12 KiB) in memory.
	alertEventChunk = 256
	// maxFree and maxFreeCap bound the emptied group buffers kept for reuse.
	maxFree    = 64
	maxFreeCap = 256
	// newGroupCap is the room a new group starts with.
	newGroupCap = 4
)

// NewCorrelator prepares the correlations of set. Rules refer to set.Rules by index, as do
// the RuleIndex values of the matches given to Observe.
func NewCorrelator(set *ir.RuleSet, opts CorrelatorOptions) *Correlator {
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = DefaultMaxGroups
	}
	k := &Correlator{set: set, opts: opts}
	k.scratch.seen = map[string]struct{}{}
	nr, nc := len(set.Rules), len(set.Correlations)
	for _, c := range set.Correlations {
		for _, r := range c.Refs {
			nr, nc = max(nr, r.Rule+1), max(nc, r.Correlation+1)
		}
	}
	k.byRule, k.byCorr = make([][]corrRef, nr), make([][]corrRef, nc)
	k.timeFields = make([]string, len(set.Rules))
	for i, r := range set.Rules {
		if r != nil {
			k.timeFields[i] = opts.TimeField(r.Logsource)
		}
	}
	for i, c := range set.Correlations {
		cs := &corrState{c: c, index: i, groups: map[string]*group{}, nextSweep: time.Time{}.Add(c.Timespan)}
		cs.shareEvents = c.Type != ir.Temporal && c.Type != ir.TemporalOrdered
		k.corrs = append(k.corrs, cs)
		for j, r := range c.Refs {
			paths := make([]string, len(c.GroupBy))
			for gi, name := range c.GroupBy {
				paths[gi] = c.FieldFor(j, name)
			}
			cs.paths = append(cs.paths, paths)
			if r.Rule >= 0 {
				k.byRule[r.Rule] = append(k.byRule[r.Rule], corrRef{i, j})
			} else if r.Correlation >= 0 {
				k.byCorr[r.Correlation] = append(k.byCorr[r.Correlation], corrRef{i, j})
				k.chained = true
			}
		}
	}
	k.noteSweepDue()
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
func (k *Correlator) Relevant(rule int) bool {
	return rule >= 0 && rule < len(k.byRule) && len(k.byRule[rule]) > 0
}

// TimeField is the timestamp field of rule i's log source.
func (k *Correlator) TimeField(rule int) string {
	if rule >= 0 && rule < len(k.timeFields) && k.timeFields[rule] != "" {
		return k.timeFields[rule]
	}
	return k.opts.TimeField(k.set.Rules[rule].Logsource)
}

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
		if r >= 0 && r < len(k.byRule) {
			for _, cr := range k.byRule[r] {
				k.insert(cr.corr, cr.ref, ev.Time, ev.ID, ev.Fields)
			}
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
	out := k.flush(time.Unix(1<<40, 0))
	// Events may still come: groups they open age out a timespan after the newest time
	// seen, not after the far future Flush evaluated at.
	upto := k.watermark.Add(-k.opts.MaxLateness)
	for _, cs := range k.corrs {
		cs.nextSweep = upto.Add(cs.c.Timespan)
	}
	k.noteSweepDue()
	return out
}

func (k *Correlator) insert(ci, ref int, t time.Time, id string, fields Fields) {
	cs := k.corrs[ci]
	c := cs.c
	paths := cs.paths[ref]
	// The group key: the value, or each value length-prefixed when there are several, so no
	// two keys collide; the values are views into the event, copied only for a new group.
	kb := k.kbuf[:0]
	for _, p := range paths {
		v, ok := fields(p)
		if !ok {
			return // a group-by field is missing: not counted
		}
		if len(paths) > 1 {
			kb = strconv.AppendInt(kb, int64(len(v)), 10)
			kb = append(kb, ':')
		}
		kb = append(kb, v...)
	}
	k.kbuf = kb
	e := entry{t: t, ref: int32(ref), id: id}
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
		key := make([]string, len(paths))
		for gi, p := range paths {
			v, _ := fields(p)
			key[gi] = strings.Clone(v)
		}
		g = &group{key: key, gk: string(kb)}
		if n := len(k.free); n > 0 {
			g.buf, k.free = k.free[n-1], k.free[:n-1]
		} else {
			g.buf = make([]entry, 0, newGroupCap)
		}
		if n := len(k.freeEvs); n > 0 && cs.shareEvents {
			g.evs, k.freeEvs = k.freeEvs[n-1], k.freeEvs[:n-1]
		} else if cs.shareEvents {
			g.evs = make([]AlertEvent, 0, newGroupCap)
		}
		cs.groups[g.gk] = g
		g.at = len(cs.all)
		cs.all = append(cs.all, g)
		if len(cs.all) == 1 && cs.nextSweep.Before(k.sweepDue) {
			k.sweepDue = cs.nextSweep
		}
	}
	// After every entry of the same time or earlier: in order, that is the end.
	live := g.live()
	i := len(live)
	if i > 0 && live[i-1].t.After(t) {
		i = sort.Search(len(live), func(j int) bool { return live[j].t.After(t) })
	}
	g.insertAt(i, e, cs.shareEvents)
	if i < g.undone {
		g.undone = i
	}
	if !g.pending {
		g.pending = true
		cs.pending = append(cs.pending, g)
		if !cs.queued {
			cs.queued = true
			k.pendingCorrs = append(k.pendingCorrs, ci)
		}
	}
}

// flush evaluates the windows that end at or before upto and drops what no open window
// needs; alerts of a correlation feed the correlations that name it.
func (k *Correlator) flush(upto time.Time) []Alert {
	k.out = k.out[:0]
	k.evaluate(upto)
	if len(k.out) == 0 {
		return nil
	}
	out := slices.Clone(k.out)
	clear(k.out)
	return out
}

// evaluate is flush, appending the alerts to k.out.
func (k *Correlator) evaluate(upto time.Time) {
	from := len(k.out)
	// The correlations with a pending window, in order; the others only age out (below).
	corrs := k.pendingCorrs
	if len(corrs) > 1 {
		slices.Sort(corrs)
	}
	wc := 0
	for _, ci := range corrs {
		cs := k.corrs[ci]
		cut := upto.Add(-cs.c.Timespan)
		list := cs.pending
		if len(list) > 1 {
			slices.SortFunc(list, func(a, b *group) int { return strings.Compare(a.gk, b.gk) })
		}
		w := 0
		for _, g := range list {
			live := g.live()
			i := g.undone
			for ; i < len(live); i++ {
				e := &live[i]
				if e.done {
					continue
				}
				if e.t.After(upto) {
					break // and so are the later entries
				}
				e.done = true
				if a, ok := k.evalWindow(cs.c, g, i); ok {
					a.Correlation = ci
					k.out = append(k.out, a)
				}
			}
			g.undone = i
			if i < len(live) {
				list[w] = g
				w++
			} else {
				g.pending = false
			}
			k.evict(cs, g, cut)
		}
		clear(list[w:])
		cs.pending = list[:w]
		if w > 0 {
			corrs[wc] = ci
			wc++
		} else {
			cs.queued = false
		}
		// Groups no event touched still age out: sweep them once per timespan.
		if !upto.Before(cs.nextSweep) {
			k.sweep(cs, upto)
		}
	}
	k.pendingCorrs = corrs[:wc]
	if !upto.Before(k.sweepDue) {
		k.sweepAll(upto)
	}
	to := len(k.out)
	if to == from || !k.chained {
		return
	}
	// Chained correlations: an alert is an event of the correlations naming it, at its end.
	for i := from; i < to; i++ {
		a := &k.out[i]
		for _, cr := range k.byCorr[a.Correlation] {
			grp := a.Group
			k.insert(cr.corr, cr.ref, a.End, fmt.Sprintf("correlation %d", a.Correlation), func(p string) (string, bool) {
				v, ok := grp[p]
				return v, ok
			})
		}
	}
	k.evaluate(upto)
}

// sweepAll sweeps the correlations due at upto that hold groups.
func (k *Correlator) sweepAll(upto time.Time) {
	for _, cs := range k.corrs {
		if len(cs.groups) > 0 && !upto.Before(cs.nextSweep) {
			k.sweep(cs, upto)
		}
	}
	k.noteSweepDue()
}

// noteSweepDue sets sweepDue to the earliest nextSweep of the correlations holding groups
// (insert lowers it for a correlation's first group).
func (k *Correlator) noteSweepDue() {
	k.sweepDue = time.Unix(1<<62, 0) // later than any upto
	for _, cs := range k.corrs {
		if len(cs.groups) > 0 && cs.nextSweep.Before(k.sweepDue) {
			k.sweepDue = cs.nextSweep
		}
	}
}

// sweep evicts from every group of cs what no window open at upto can hold.
func (k *Correlator) sweep(cs *corrState, upto time.Time) {
	cs.nextSweep = upto.Add(cs.c.Timespan)
	cut := upto.Add(-cs.c.Timespan)
	// evict may remove the group at i, moving the last one there.
	for i := 0; i < len(cs.all); {
		g := cs.all[i]
		if live := g.live(); live[0].done && live[0].t.Before(cut) {
			k.evict(cs, g, cut)
		}
		if i < len(cs.all) && cs.all[i] == g {
			i++
		}
	}
}

// windowScratch is memory evalWindow reuses from window to window.
type windowScratch struct {
	seen        map[string]struct{}
	nums        []float64
	chain, used []entry
}

// evict drops the evaluated entries older than cut, which no open window can hold, and the
// group once it holds none.
func (k *Correlator) evict(cs *corrState, g *group, cut time.Time) {
	live := g.live()
	n := 0
	for n < len(live) && live[n].done && live[n].t.Before(cut) {
		n++
	}
	if n > 0 {
		clear(live[:n]) // the ids and values they hold
		if !g.shared && g.evs != nil {
			clear(g.evs[g.off : g.off+n])
		}
		g.off += n
		g.undone = max(0, g.undone-n)
	}
	if g.off < len(g.buf) {
		return
	}
	delete(cs.groups, g.gk)
	last := cs.all[len(cs.all)-1]
	cs.all[g.at], last.at = last, g.at
	cs.all[len(cs.all)-1] = nil
	cs.all = cs.all[:len(cs.all)-1]
	if g.pending { // not reached: a pending group holds an entry not done
		g.pending = false
		cs.pending = slices.DeleteFunc(cs.pending, func(x *group) bool { return x == g })
	}
	if cap(g.buf) <= maxFreeCap && len(k.free) < maxFree {
		k.free = append(k.free, g.buf[:0])
	}
	if !g.shared && g.evs != nil && cap(g.evs) <= maxFreeCap && len(k.freeEvs) < maxFree {
		k.freeEvs = append(k.freeEvs, g.evs[:0])
	}
	g.buf, g.evs, g.off, g.undone = nil, nil, 0, 0
}

// alertEvents returns room for n events of one alert, carved from a shared chunk.
func (k *Correlator) alertEvents(n int) []AlertEvent {
	if n > cap(k.events)-len(k.events) {
		k.events = make([]AlertEvent, 0, max(n, alertEventChunk))
	}
	i := len(k.events)
	k.events = k.events[:i+n]
	return k.events[i : i+n : i+n]
}

// evalWindow evaluates the trailing window that ends with the live entry end of g.
func (k *Correlator) evalWindow(c *ir.Correlation, g *group, end int) (Alert, bool) {
	entries := g.live()
	scratch := &k.scratch
	e := &entries[end]
	// Entries with the same time as e but arrived after it are in the window too.
	hi := end + 1
	if hi < len(entries) && entries[hi].t.Equal(e.t) {
		return Alert{}, false // the window is closed by the last entry of its instant
	}
	start := e.t.Add(-c.Timespan)
	lo := 0
	if entries[0].t.Before(start) {
		lo = sort.Search(end+1, func(i int) bool { return !entries[i].t.Before(start) })
	}
	win := entries[lo:hi]
	var value float64
	used := win
	switch c.Type {
	case ir.EventCount:
		value = float64(len(win))
	case ir.ValueCount:
		seen := scratch.seen
		clear(seen)
		for i := range win {
			seen[win[i].value] = struct{}{}
		}
		value = float64(len(seen))
	case ir.ValueSum, ir.ValueAvg:
		for i := range win {
			value += win[i].num
		}
		if c.Type == ir.ValueAvg {
			value /= float64(len(win))
		}
	case ir.ValuePercentile:
		xs := scratch.nums[:0]
		for i := range win {
			xs = append(xs, win[i].num)
		}
		value = Percentile(xs, c.Percentile)
		scratch.nums = xs
	case ir.Temporal:
		var seen [64]bool // MaxCorrelationRules
		n := 0
		for i := range win {
			if r := win[i].ref; int(r) < len(seen) && !seen[r] {
				seen[r] = true
				n++
			}
		}
		value = float64(n)
	case ir.TemporalOrdered:
		// The window must end with an event of the last rule, preceded in order (time,
		// then arrival) by the other rules within the window. Walking back from it, the
		// latest event of each earlier rule gives the latest possible start.
		last := len(c.Refs) - 1
		if int(e.ref) != last {
			return Alert{}, false
		}
		chain := append(scratch.chain[:0], *e) // built backwards
		j := len(win) - 1
		for want := int32(last - 1); want >= 0; want-- {
			for j >= 0 && (win[j].ref != want || !before(&win[j], &chain[len(chain)-1])) {
				j--
			}
			if j < 0 {
				break
			}
			chain = append(chain, win[j])
		}
		scratch.chain = chain
		value = float64(len(chain))
		if len(chain) != len(c.Refs) {
			return Alert{}, false
		}
		used = scratch.used[:0]
		for i := len(chain) - 1; i >= 0; i-- {
			used = append(used, chain[i])
		}
		scratch.used = used
	}
	if !c.Condition.Holds(value) {
		return Alert{}, false
	}
	if g.groupMap == nil {
		g.groupMap = make(map[string]string, len(c.GroupBy))
		for i, name := range c.GroupBy {
			g.groupMap[name] = g.key[i]
		}
	}
	a := Alert{Corr: c, Start: used[0].t, End: e.t, Value: value, Group: g.groupMap}
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
		latest := scratch.used[:0]
		for i := len(used) - 1; i >= 0; i-- {
			if r := used[i].ref; int(r) < len(seen) && !seen[r] {
				seen[r] = true
				latest = append(latest, used[i])
			}
		}
		slices.Reverse(latest)
		scratch.used = latest
		used = latest
		keep = len(used)
	}
	keep = max(1, min(keep, MaxAlertEvents, len(used)))
	a.Omitted = len(used) - keep
	used = used[len(used)-keep:]
	if g.evs != nil {
		// used is win: its last keep entries are evs[g.off+hi-keep : g.off+hi].
		j := g.off + hi
		a.Events = g.evs[j-keep : j : j]
		g.shared = true
		return a, true
	}
	a.Events = k.alertEvents(len(used))
	for i := range used {
		x := &used[i]
		a.Events[i] = AlertEvent{ID: x.id, Time: x.t, Ref: int(x.ref)}
	}
	return a, true
}

// before orders entries by time, then arrival.
func before(a, b *entry) bool { return a.t.Before(b.t) || a.t.Equal(b.t) && a.seq < b.seq }

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
			n += len(g.live())
		}
	}
	return n
}
