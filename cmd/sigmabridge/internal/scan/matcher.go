package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"sync"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/input"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/evaluator"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// position is where an event came from.
type position struct {
	file        string
	line, index int
	// unchecked: a JSON-lines object line sent to the detector without validating it
	// first (see input.Options.TrustObjects).
	unchecked bool
}

// matcher is the detector a scan uses: the plugin (default) or the in-process evaluator.
type matcher interface {
	loadErrors() []diag.Diagnostic
	loaded() int
	// scan reads one input and calls emit for every match, in input order. It returns the
	// number of events that could not be read or matched; their messages are kept for
	// takeEventErrors. The error is an input or plugin failure.
	scan(ctx context.Context, format string, opts input.Options, name string, r io.Reader, emit func(position, *ir.Rule, []byte)) (int, error)
	takeEventErrors() []string
	// correlate sets the correlations of the next scan: a matcher whose detector
	// evaluates them hands their alerts to c.
	correlate(c *correlations)
}

// localMatcher matches with the library evaluator in this process.
type localMatcher struct {
	prog   *evaluator.Program
	errs   []diag.Diagnostic
	events []string
}

// newMatcher reads inputs for the detector the application layer loaded: in this process
// event by event, or to the plugin in pipelined batches.
func newMatcher(d *sigmabridge.Detector, rules []*ir.Rule) matcher {
	var errs []diag.Diagnostic
	for _, i := range slices.Sorted(maps.Keys(d.Errors)) {
		errs = append(errs, d.Errors[i]...)
	}
	if prog := d.Program(); prog != nil {
		return &localMatcher{prog: prog, errs: errs}
	}
	return &pluginMatcher{det: d.Plugin(), rules: rules, errs: errs, n: d.Loaded}
}

func (l *localMatcher) correlate(*correlations)       {}
func (l *localMatcher) loadErrors() []diag.Diagnostic { return l.errs }
func (l *localMatcher) loaded() int                   { return l.prog.Len() }
func (l *localMatcher) takeEventErrors() []string {
	out := l.events
	l.events = nil
	return out
}

func (l *localMatcher) scan(_ context.Context, format string, opts input.Options, name string, r io.Reader, emit func(position, *ir.Rule, []byte)) (int, error) {
	m := l.prog.NewMatcher()
	bad := 0
	var found []*input.LineError
	opts.TrustObjects = true
	err := input.ReadWith(format, name, r, opts, func(rec input.Record) error {
		ms, err := m.MatchJSON(rec.JSON)
		if err != nil {
			if p := check(rec); p != nil {
				found = append(found, p) // an input problem, as input.Read would have found it
				return nil
			}
			bad++
			l.events = append(l.events, fmt.Sprintf("%s:%d: %v", rec.File, rec.Line, err))
			return nil
		}
		for _, mt := range ms {
			emit(position{file: rec.File, line: rec.Line, index: rec.Index}, mt.Rule, rec.JSON)
		}
		return nil
	})
	return finish(bad, err, found)
}

// check returns the problem input.Read reports for a record the detector rejected: nil
// unless it is an unchecked object line that is not valid JSON.
func check(rec input.Record) *input.LineError {
	if !rec.Unchecked {
		return nil
	}
	return input.Check(rec.File, rec.Line, rec.JSON)
}

// finish returns the number of events that could not be read or matched and the problems
// of an input: err, what input.ReadWith returned, with the problems of the rejected
// unchecked lines added.
func finish(bad int, err error, found []*input.LineError) (int, error) {
	if errors.Is(err, context.Canceled) {
		return bad, err
	}
	err = input.AddProblems(err, found)
	return bad + inputProblems(err), err
}

// noSharedMemoryEnv, set to anything, makes scan send its batches to the detector plugin
// through the connection instead of shared memory (see host.ScanOptions.NoSharedMemory);
// for comparisons, and in case a system cannot share memory in a way the host misses.
const noSharedMemoryEnv = "SIGMABRIDGE_NO_SHARED_MEMORY"

// pluginMatcher matches through the detector plugin, in pipelined batches.
type pluginMatcher struct {
	det    *host.Detector
	rules  []*ir.Rule
	errs   []diag.Diagnostic
	n      int
	events []string
	corr   *correlations // of the next scan
}

func (p *pluginMatcher) correlate(c *correlations) {
	p.corr = nil
	if c != nil && c.remote != nil {
		p.corr = c
	}
}

func (p *pluginMatcher) loadErrors() []diag.Diagnostic { return p.errs }
func (p *pluginMatcher) loaded() int                   { return p.n }
func (p *pluginMatcher) takeEventErrors() []string {
	out := p.events
	p.events = nil
	return out
}

func (p *pluginMatcher) scan(ctx context.Context, format string, opts input.Options, name string, r io.Reader, emit func(position, *ir.Rule, []byte)) (int, error) {
	// An event's position travels as the line number given to add: an object line of
	// JSON lines is its line (the file is name); a record input.Read produced (array
	// elements, CloudTrail files, other formats) is -(k+1), where k numbers such records,
	// whose positions wait here, in order, until their batch comes back.
	var (
		mu      sync.Mutex
		records []position
		recBase int // the number of records[0]
		readErr error
	)
	bad := 0
	var found []*input.LineError
	opts.TrustObjects = true
	so := host.ScanOptions{NoSharedMemory: os.Getenv(noSharedMemoryEnv) != ""}
	corr := p.corr
	if corr != nil {
		// Alerts name their events by file:line, as in process; records' positions
		// are known while add runs.
		so.Correlate = true
		so.EventIDPrefix = name + ":" // a JSON line: numbered, the name sent once a batch
		so.EventID = func(dst []byte, line int) []byte {
			file := name
			if line < 0 {
				mu.Lock()
				at := records[-line-1-recBase]
				mu.Unlock()
				file, line = at.file, at.line
			}
			dst = append(append(dst, file...), ':')
			return strconv.AppendInt(dst, int64(line), 10)
		}
	}
	err := p.det.ScanEvents(ctx, so, func(add func(int, []byte) bool) error {
		readErr = input.ReadWith(format, name, r, opts, func(rec input.Record) error {
			line := rec.Line
			if !rec.Unchecked {
				mu.Lock()
				k := recBase + len(records)
				records = append(records, position{file: rec.File, line: rec.Line, index: rec.Index})
				mu.Unlock()
				line = -(k + 1)
			}
			if !add(line, rec.JSON) {
				return errStop
			}
			return nil
		})
		if errors.Is(readErr, errStop) {
			readErr = nil
		}
		return nil
	}, func(b *host.ScanBatch) error {
		if b.End != nil {
			corr.end(b.End)
			return nil
		}
		nrec := 0
		pos := func(i int) position {
			l := b.Lines[i]
			if l > 0 {
				return position{file: name, line: l, unchecked: true}
			}
			mu.Lock()
			defer mu.Unlock()
			return records[-l-1-recBase]
		}
		for _, l := range b.Lines {
			if l < 0 {
				nrec++
			}
		}
		for _, e := range b.Errors {
			at := pos(e.Event)
			if at.unchecked {
				if p := input.Check(name, at.line, b.Events[e.Event]); p != nil {
					found = append(found, p) // an input problem, as input.Read would have found it
					continue
				}
			}
			bad++
			p.events = append(p.events, fmt.Sprintf("%s:%d: %s", at.file, at.line, e.Message))
		}
		// An alert comes after the matches of the event that completed it.
		alerts := b.Alerts
		for _, mt := range b.Matches {
			for len(alerts) > 0 && alerts[0].Event < mt.Event {
				corr.alert(alerts[0])
				alerts = alerts[1:]
			}
			emit(pos(mt.Event), p.rules[mt.Rule], b.Events[mt.Event])
		}
		for _, a := range alerts {
			corr.alert(a)
		}
		for _, e := range b.CorrelationErrors {
			corr.problem(e.Message)
		}
		if nrec > 0 {
			mu.Lock()
			records = records[nrec:]
			recBase += nrec
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return bad, err
	}
	return finish(bad, readErr, found)
}

var errStop = errors.New("scan stopped")

// inputProblems counts the problems an input reader collected.
func inputProblems(err error) int {
	var ie *input.Errors
	if errors.As(err, &ie) {
		return len(ie.List) + ie.Dropped
	}
	return 0
}
