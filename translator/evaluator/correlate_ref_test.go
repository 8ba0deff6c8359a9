package evaluator

// The Correlator as it was before its evaluation was made cheaper (commit 44c973e): the
// reference the differential test in correlate_diff_test.go compares the Correlator with.

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

type refEntry struct {
	t     time.Time
	seq   uint64
	ref   int
	value string
	num   float64
	id    string
	done  bool // its window was evaluated
}

type refGroup struct {
	gk      string // its key in refCorrState.groups
	key     []string
	entries []refEntry // sorted by (t, seq)
}

type refCorrState struct {
	c      *ir.Correlation
	index  int
	groups map[string]*refGroup
	// pending are the keys of the groups with a window not yet evaluated.
	pending   map[string]bool
	lastSweep time.Time
	full      bool // MaxGroups reached (reported once)
}

// refCorrelator evaluates a RuleSet's correlations over the matches of a stream of events. It
// is deterministic: the same events in the same order give the same alerts. It is not safe
// for concurrent use.
type refCorrelator struct {
	set   *ir.RuleSet
	opts  CorrelatorOptions
	corrs []*refCorrState
	// byRule: rule index -> (correlation, ref) pairs.
	byRule map[int][][2]int
	// byCorr: correlation index -> (correlation, ref) pairs that name it.
	byCorr    map[int][][2]int
	watermark time.Time
	seq       uint64
	keys      []string // scratch
	kbuf      []byte   // scratch
	scratch   refWindowScratch
	// Late counts events dropped for arriving later than MaxLateness.
	Late int
	// Limits are the limit diagnostics raised (MaxGroups), one per correlation.
	Limits diag.List
}

// newRefCorrelator prepares the correlations of set. Rules refer to set.Rules by index, as do
// the RuleIndex values of the matches given to Observe.
func newRefCorrelator(set *ir.RuleSet, opts CorrelatorOptions) *refCorrelator {
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = DefaultMaxGroups
	}
	k := &refCorrelator{set: set, opts: opts, byRule: map[int][][2]int{}, byCorr: map[int][][2]int{}}
	k.scratch.seen = map[string]struct{}{}
	for i, c := range set.Correlations {
		k.corrs = append(k.corrs, &refCorrState{c: c, index: i, groups: map[string]*refGroup{}, pending: map[string]bool{}})
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

// Relevant reports whether matches of rule i feed a correlation.
func (k *refCorrelator) Relevant(rule int) bool { return len(k.byRule[rule]) > 0 }

// Observe takes one event and the indexes of the rules it matched, and returns the alerts
// whose windows it completes. An event later than MaxLateness behind the newest seen is
// dropped and counted in Late.
func (k *refCorrelator) Observe(ev Event, rules []int) []Alert {
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
func (k *refCorrelator) Advance(t time.Time) []Alert {
	if t.After(k.watermark) {
		k.watermark = t
	}
	return k.flush(k.watermark.Add(-k.opts.MaxLateness))
}

// Flush evaluates every open window (the end of a finite input).
func (k *refCorrelator) Flush() []Alert {
	out := k.flush(time.Unix(1<<40, 0))
	// Fixed since: groups opened after a Flush were not swept until the far future.
	for _, cs := range k.corrs {
		cs.lastSweep = k.watermark.Add(-k.opts.MaxLateness)
	}
	return out
}

func (k *refCorrelator) insert(ci, ref int, t time.Time, id string, fields Fields) {
	cs := k.corrs[ci]
	c := cs.c
	// The refGroup key: each value length-prefixed, so no two keys collide; the values are
	// views into the event, copied only for a new refGroup.
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
	var e refEntry
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
		g = &refGroup{key: key, gk: string(kb)}
		cs.groups[g.gk] = g
	}
	gk := g.gk
	i := sort.Search(len(g.entries), func(i int) bool { return g.entries[i].t.After(t) })
	g.entries = append(g.entries, refEntry{})
	copy(g.entries[i+1:], g.entries[i:])
	g.entries[i] = e
	cs.pending[gk] = true
}

// flush evaluates the windows that end at or before upto and drops what no open window
// needs; alerts of a correlation feed the correlations that name it.
func (k *refCorrelator) flush(upto time.Time) []Alert {
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
				if a, ok := refEvalWindow(cs.c, g, i, &k.scratch); ok {
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

// refWindowScratch is memory refEvalWindow reuses from window to window.
type refWindowScratch struct {
	seen map[string]struct{}
	nums []float64
}

// evict drops the evaluated entries older than cut, which no open window can hold.
func (cs *refCorrState) evict(gk string, g *refGroup, cut time.Time) {
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

// refEvalWindow evaluates the trailing window that ends with g.entries[end].
func refEvalWindow(c *ir.Correlation, g *refGroup, end int, scratch *refWindowScratch) (Alert, bool) {
	e := g.entries[end]
	start := e.t.Add(-c.Timespan)
	lo := sort.Search(end+1, func(i int) bool { return !g.entries[i].t.Before(start) })
	// Entries with the same time as e but arrived after it are in the window too.
	hi := end + 1
	for hi < len(g.entries) && g.entries[hi].t.Equal(e.t) {
		hi++
	}
	if hi != end+1 {
		return Alert{}, false // the window is closed by the last refEntry of its instant
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
		chain := []refEntry{e} // built backwards
		j := len(win) - 1
		for want := last - 1; want >= 0; want-- {
			for j >= 0 && (win[j].ref != want || !refBefore(win[j], chain[len(chain)-1])) {
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
		used = make([]refEntry, len(chain))
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
		var latest []refEntry
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

// refBefore orders entries by time, then arrival.
func refBefore(a, b refEntry) bool { return a.t.Before(b.t) || a.t.Equal(b.t) && a.seq < b.seq }

// Open is the number of events held in windows, over every correlation and refGroup: the
// refCorrelator's memory is proportional to it.
func (k *refCorrelator) Open() int {
	n := 0
	for _, cs := range k.corrs {
		for _, g := range cs.groups {
			n += len(g.entries)
		}
	}
	return n
}
