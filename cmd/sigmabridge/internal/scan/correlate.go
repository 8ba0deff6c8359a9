package scan

import (
	"fmt"
	"io"
	"strings"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// correlations evaluates the set's correlations over one input's matches. In process, the
// matches of one event arrive one by one and are grouped by position before they go to
// the correlator. Through a detector plugin that evaluates them (remote), the plugin
// does, over the stream of the input's batches, and its alerts come back with them
// (pluginMatcher). A rule that alerts only through correlations (generate: false) is not
// written on its own.
type correlations struct {
	k      *evaluator.Correlator
	remote *ir.RuleSet // the set the plugin evaluates, or nil
	index  map[*ir.Rule]int
	base   map[int]bool
	w      *matchWriter
	stderr io.Writer
	// the event being grouped
	at    position
	event []byte
	rules []int
}

func newCorrelations(set *ir.RuleSet, w *matchWriter, stderr io.Writer, det *sigmabridge.Detector) *correlations {
	c := &correlations{w: w, stderr: stderr, index: map[*ir.Rule]int{}}
	if set == nil || len(set.Correlations) == 0 || det.CorrelationErr != nil {
		return c
	}
	if det.Correlates() {
		c.remote = det.CorrelationSet()
	} else {
		c.k = evaluator.NewCorrelator(set, evaluator.CorrelatorOptions{})
	}
	c.base = set.Base()
	for i, r := range set.Rules {
		if r != nil {
			c.index[r] = i
		}
	}
	return c
}

// observe takes one match and reports whether it is written as a match of its own.
func (c *correlations) observe(pos position, rule *ir.Rule, event []byte) bool {
	if c.k == nil && c.remote == nil {
		return true
	}
	i, ok := c.index[rule]
	if !ok {
		return true
	}
	if c.remote != nil {
		return !c.base[i]
	}
	if pos != c.at {
		c.flushEvent()
		c.at, c.event = pos, append(c.event[:0], event...)
	}
	c.rules = append(c.rules, i)
	return !c.base[i]
}

func (c *correlations) flushEvent() {
	if len(c.rules) == 0 {
		return
	}
	id := fmt.Sprintf("%s:%d", c.at.file, c.at.line)
	alerts, err := sigmabridge.Observe(c.k, id, c.event, c.rules)
	c.rules = c.rules[:0]
	if err != nil {
		fmt.Fprintln(c.stderr, cli.Printable("sigmabridge: "+err.Error()))
		return
	}
	c.write(alerts)
}

// finish closes every window at the end of the input.
func (c *correlations) finish() {
	if c.k == nil {
		return
	}
	c.flushEvent()
	c.write(c.k.Flush())
	for _, d := range c.k.Limits {
		fmt.Fprintln(c.stderr, d)
	}
	if c.k.Late > 0 {
		fmt.Fprintf(c.stderr, "sigmabridge: %d events arrived too late for their correlation windows and were not counted\n", c.k.Late)
	}
}

// alert writes an alert of the plugin, whose events it names by file:line.
func (c *correlations) alert(a plugin.Alert) {
	var ids []string
	for _, e := range a.Events {
		ids = append(ids, e.ID)
	}
	c.w.writeAlert(evaluator.Alert{Correlation: a.Correlation, Corr: c.remote.Correlations[a.Correlation], Group: a.Group,
		Start: a.Start, End: a.End, Value: a.Value, Events: a.Events, Omitted: a.Omitted}, ids)
}

// problem reports an event the plugin could not feed to the correlations.
func (c *correlations) problem(msg string) {
	fmt.Fprintln(c.stderr, cli.Printable("sigmabridge: "+msg))
}

// end writes the plugin's answer to the end of the input, as finish does in process.
func (c *correlations) end(r *plugin.AdvanceResponse) {
	for _, a := range r.Alerts {
		c.alert(a)
	}
	for _, d := range r.Limits {
		fmt.Fprintln(c.stderr, d)
	}
	if r.Late > 0 {
		fmt.Fprintf(c.stderr, "sigmabridge: %d events arrived too late for their correlation windows and were not counted\n", r.Late)
	}
}

func (c *correlations) write(alerts []evaluator.Alert) {
	for _, a := range alerts {
		var ids []string
		for _, e := range a.Events {
			ids = append(ids, e.ID)
		}
		c.w.writeAlert(a, ids)
	}
}

type jsonAlert struct {
	jsonMatch
	Correlation bool              `json:"correlation"`
	Group       map[string]string `json:"group"`
	Start       string            `json:"start"`
	End         string            `json:"end"`
	Value       float64           `json:"value"`
	Events      []string          `json:"events"`
}

// writeAlert writes one correlation match with the events that made it.
func (w *matchWriter) writeAlert(a evaluator.Alert, events []string) {
	defer w.out.Flush()
	c := a.Corr
	if w.format == "jsonl" {
		tags := c.Tags
		if tags == nil {
			tags = []string{}
		}
		_ = w.enc.Encode(jsonAlert{jsonMatch: jsonMatch{File: c.Path, RuleID: c.ID, Title: c.Title, Level: c.Level, Tags: tags},
			Correlation: true, Group: a.Group, Start: a.Start.Format("2006-01-02T15:04:05.999999999Z07:00"),
			End: a.End.Format("2006-01-02T15:04:05.999999999Z07:00"), Value: a.Value, Events: events})
		return
	}
	fmt.Fprintf(w.out, "%s\t%-13s %s\t%s\tcorrelation %g over %s: %s\n", cli.Printable(events[len(events)-1]),
		cli.Printable(strings.ToUpper(cli.OrDash(c.Level))), cli.Printable(c.Title), cli.Printable(c.ID),
		a.Value, a.End.Sub(a.Start), cli.Printable(strings.Join(events, " ")))
}
