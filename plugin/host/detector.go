package host

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Detector is a running detector plugin as the host uses it.
type Detector struct {
	inst *instance
	raw  plugin.Detector
	desc *plugin.DetectorDescription
}

// Name is the plugin's name.
func (d *Detector) Name() string { return d.inst.spec.Name }

// Description is the plugin's answer to Describe.
func (d *Detector) Description() plugin.DetectorDescription { return *d.desc }

// ProtocolVersion is the negotiated protocol version.
func (d *Detector) ProtocolVersion() int { return d.inst.version }

// Load sends the rule set to the plugin, replacing the previous one.
func (d *Detector) Load(ctx context.Context, rules []*ir.Rule) (*plugin.LoadResponse, error) {
	var resp *plugin.LoadResponse
	err := d.inst.call(ctx, "Load", func(ctx context.Context) error {
		var err error
		resp, err = d.raw.Load(ctx, &plugin.LoadRequest{Rules: rules})
		return err
	})
	return resp, err
}

// Match matches one batch of events.
func (d *Detector) Match(ctx context.Context, events [][]byte) (*plugin.MatchResponse, error) {
	var resp *plugin.MatchResponse
	err := d.inst.call(ctx, "Match", func(ctx context.Context) error {
		var err error
		resp, err = d.raw.Match(ctx, &plugin.MatchRequest{Events: events})
		return err
	})
	return resp, err
}

// ScanOptions tune Scan. Zero values take the defaults.
type ScanOptions struct {
	// BatchEvents is the most events per Match call (default 1,000).
	BatchEvents int
	// BatchBytes is the most event bytes per Match call (default 1 MiB); a larger event
	// travels alone.
	BatchBytes int
	// InFlight is the number of batches sent before the first answer is awaited
	// (default 2), so reading and matching overlap.
	InFlight int
	// MaxEventBytes is the longest accepted line (default 64 MiB).
	MaxEventBytes int
}

func (o ScanOptions) withDefaults() ScanOptions {
	if o.BatchEvents <= 0 {
		o.BatchEvents = 1000
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 1 << 20
	}
	if o.InFlight <= 0 {
		o.InFlight = 2
	}
	if o.MaxEventBytes <= 0 {
		o.MaxEventBytes = 64 << 20
	}
	return o
}

// ScanBatch is one batch of events with the detector's answer. It and its Events are
// valid only until emit returns: the memory is reused for a later batch. Events share one
// buffer: never append to one.
type ScanBatch struct {
	// Lines are the 1-based input line numbers of Events.
	Lines  []int
	Events [][]byte
	// Matches and Errors index Events by their Event field.
	Matches []plugin.EventMatch
	Errors  []plugin.EventError

	arena []byte // the events back to back
}

// Scan reads JSON lines from r (blank lines are skipped), matches them in batches with up
// to InFlight batches in flight, and calls emit with each batch in input order. The first
// error (reading, a plugin failure, or emit's) stops the scan and is returned; a reader
// blocked on r may outlive Scan until r returns.
func (d *Detector) Scan(ctx context.Context, r io.Reader, opts ScanOptions, emit func(*ScanBatch) error) error {
	opts = opts.withDefaults()
	return d.ScanEvents(ctx, opts, func(add func(line int, event []byte) bool) error {
		return readLines(r, opts, add)
	}, emit)
}

// ScanEvents is Scan over events from any source: produce calls add for every event, in
// order (add copies the event, and returns false when the scan is stopping; produce should
// then return). Batching, pipelining and ordering are as in Scan.
func (d *Detector) ScanEvents(ctx context.Context, opts ScanOptions, produce func(add func(line int, event []byte) bool) error, emit func(*ScanBatch) error) error {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	queue := make(chan *pendingBatch, opts.InFlight)
	slots := make(chan struct{}, opts.InFlight)
	readErr := make(chan error, 1)
	// Arenas come back once their batch is emitted: a scan allocates a few, not one per
	// batch.
	arenas := make(chan []byte, opts.InFlight+2)
	go func() {
		defer close(queue)
		readErr <- batchEvents(ctx, opts, arenas, produce, func(b *ScanBatch) bool {
			p := &pendingBatch{batch: b, done: make(chan struct{})}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return false
			}
			select {
			case queue <- p:
			case <-ctx.Done():
				<-slots
				return false
			}
			go func() {
				defer func() { <-slots }()
				resp, err := d.Match(ctx, b.Events)
				if err == nil {
					b.Matches, b.Errors = resp.Matches, resp.Errors
				}
				p.err = err
				close(p.done)
			}()
			return true
		})
	}()

	for p := range queue {
		<-p.done
		if p.err != nil {
			return p.err
		}
		if err := emit(p.batch); err != nil {
			return err
		}
		select {
		case arenas <- p.batch.arena[:0]:
		default:
		}
	}
	return <-readErr
}

// pendingBatch is a batch whose Match call may still be running.
type pendingBatch struct {
	batch *ScanBatch
	err   error
	done  chan struct{}
}

// batchEvents cuts the events produce adds into batches and hands each to send, which
// returns false to stop.
func batchEvents(ctx context.Context, opts ScanOptions, arenas chan []byte, produce func(add func(line int, event []byte) bool) error, send func(*ScanBatch) bool) error {
	var (
		lines   []int
		ends    []int
		arena   []byte // the batch's events back to back: one allocation per batch
		stopped bool
	)
	flush := func() bool {
		if len(lines) == 0 {
			return true
		}
		b := &ScanBatch{Lines: lines, Events: make([][]byte, len(ends)), arena: arena}
		start := 0
		for i, end := range ends {
			// The capacity runs on to the end of the arena, which lets the protocol
			// layer see that the events lie back to back and send them without a copy.
			b.Events[i] = arena[start:end]
			start = end
		}
		lines, ends, arena = nil, nil, nil
		return send(b)
	}
	add := func(line int, ev []byte) bool {
		if stopped {
			return false
		}
		if len(lines) > 0 && (len(lines) >= opts.BatchEvents || len(arena)+len(ev) > opts.BatchBytes) {
			if !flush() {
				stopped = true
				return false
			}
		}
		if arena == nil {
			select {
			case arena = <-arenas:
			default:
				arena = make([]byte, 0, opts.BatchBytes)
			}
		}
		arena = append(arena, ev...)
		ends = append(ends, len(arena))
		lines = append(lines, line)
		return true
	}
	if err := produce(add); err != nil {
		return err
	}
	if stopped || !flush() {
		return ctx.Err()
	}
	return nil
}

// readLines adds every non-blank line of r as one event.
func readLines(r io.Reader, opts ScanOptions, add func(line int, event []byte) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), opts.MaxEventBytes)
	line := 0
	for sc.Scan() {
		line++
		ev := bytes.TrimSpace(sc.Bytes())
		if len(ev) == 0 {
			continue
		}
		if !add(line, ev) {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return fmt.Errorf("line %d: event longer than %d bytes", line+1, opts.MaxEventBytes)
		}
		return err
	}
	return nil
}
