package host

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/plugin/internal/wire"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// Detector is a running detector plugin as the host uses it.
type Detector struct {
	inst *instance
	raw  plugin.Detector
	desc *plugin.DetectorDescription
	// correlations is the number of correlations of the last successful LoadSet.
	correlations atomic.Int64
}

// Name is the plugin's name.
func (d *Detector) Name() string { return d.inst.spec.Name }

// Description is the plugin's answer to Describe.
func (d *Detector) Description() plugin.DetectorDescription { return *d.desc }

// ProtocolVersion is the negotiated protocol version.
func (d *Detector) ProtocolVersion() int { return d.inst.version }

// Load sends the rule set to the plugin, replacing the previous one.
func (d *Detector) Load(ctx context.Context, rules []*ir.Rule) (*plugin.LoadResponse, error) {
	return d.LoadSet(ctx, rules, nil, plugin.CorrelationOptions{})
}

// Match matches one batch of events.
func (d *Detector) Match(ctx context.Context, events [][]byte) (*plugin.MatchResponse, error) {
	return d.match(ctx, events, nil)
}

// ScanOptions tune Scan. Zero values take the defaults.
type ScanOptions struct {
	// BatchEvents is the most events per Match call (default 4,096).
	BatchEvents int
	// BatchBytes is the most event bytes per Match call (default 2 MiB); a larger event
	// travels alone. Each Match call costs about as much as matching 50 KB of CloudTrail
	// records (most of it the gRPC round trip), so batches of a few MiB keep it small;
	// larger ones gain nothing measurable.
	BatchBytes int
	// InFlight is the number of batches sent before the first answer is awaited
	// (default 2), so reading and matching overlap.
	InFlight int
	// MaxEventBytes is the longest accepted line (default 64 MiB).
	MaxEventBytes int
	// NoSharedMemory sends every batch through the connection. By default, on Linux,
	// batches are written into memory shared with the plugin, and the Match call only
	// names them (falling back to the connection when the plugin cannot map it).
	NoSharedMemory bool
	// Correlate streams the events through the correlations loaded with LoadSet (one
	// stream for the scan): each batch comes back with the alerts it completed, and a
	// last batch without events (End set) has those of the windows the end of the input
	// closed. EventID, if set, appends to dst the name of the event added with line, for
	// alerts (called during add); otherwise an event is "<batch>:<index>".
	Correlate bool
	EventID   func(dst []byte, line int) []byte
	// EventIDPrefix, if set, names an event added with a line >= 0 EventIDPrefix
	// followed by the line, without calling EventID: such names travel as numbers and
	// the plugin formats only those of the events it keeps (a plugin before
	// plugin.RevisionEventNumbers gets the names whole, as from EventID).
	EventIDPrefix string
}

func (o ScanOptions) withDefaults() ScanOptions {
	if o.BatchEvents <= 0 {
		o.BatchEvents = 4096
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 2 << 20
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
	// Lines are the line numbers given to add with Events (Scan: the 1-based input lines).
	Lines  []int
	Events [][]byte
	// Matches and Errors index Events by their Event field.
	Matches []plugin.EventMatch
	Errors  []plugin.EventError
	// Alerts are the correlation matches the batch completed (ScanOptions.Correlate),
	// each after the matches of its Event; CorrelationErrors the events that matched a
	// correlated rule but could not be fed to the correlations.
	Alerts            []plugin.Alert
	CorrelationErrors []plugin.EventError
	// End, on the last batch of a correlated scan (which has no events), is the answer
	// to the end of the input: the alerts of the windows still open, the late count and
	// the limits reached.
	End *plugin.AdvanceResponse

	ids    []byte              // the events' names back to back (ScanOptions.EventID)
	idLens []uint32            // and their lengths
	idNums []int64             // or their lines (ScanOptions.EventIDPrefix), while idLens is empty
	stream *plugin.StreamBatch // the batch's place in the scan's stream

	arena []byte // the events back to back
	ends  []int  // where each event ends in arena
	// region is the shared region whose slot arena is, if any.
	region *sharedRegion
	// spare is the pooled arena set aside while the batch carries one event longer
	// than an arena in a buffer of its own.
	spare []byte
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
	if opts.EventIDPrefix != "" && (d.desc == nil || d.desc.ProtocolRevision < plugin.RevisionEventNumbers || opts.EventID == nil) {
		// Names made whole here: the plugin predates numbered names (or there is no
		// EventID for the other lines).
		prefix, id := opts.EventIDPrefix, opts.EventID
		opts.EventIDPrefix = ""
		opts.EventID = func(dst []byte, line int) []byte {
			if line >= 0 || id == nil {
				return strconv.AppendInt(append(dst, prefix...), int64(line), 10)
			}
			return id(dst, line)
		}
	}
	var stream *Stream
	if opts.Correlate {
		var err error
		if stream, err = d.OpenStream(); err != nil {
			return err
		}
		// A scan that stops early releases the stream's windows in the plugin, in the
		// background: the plugin may wait a moment for a batch that was never sent.
		defer func() {
			if !stream.isEnded() {
				go stream.Close()
			}
		}()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Batches come back once emitted: a scan allocates a few, not one per batch (and no
	// arenas at all once they are slots of a shared region).
	batches := newBatchPool(opts)
	// running counts the goroutines that may still touch the batches' memory: a shared
	// region goes back to the detector's pool only once they are all done. After a
	// complete scan they are (or are about to be); a scan that stopped early may leave a
	// reader blocked on its input, so its region is given back later, by a goroutine.
	var running sync.WaitGroup
	completed := false
	defer func() {
		release := func() {
			running.Wait()
			if r := batches.shared.Load(); r != nil {
				r.pool.release(r)
			}
		}
		if completed {
			release()
		} else {
			go release()
		}
	}()
	queue := make(chan *pendingBatch, opts.InFlight) // in input order, for emit
	work := make(chan *pendingBatch)                 // to the senders
	readErr := make(chan error, 1)
	// InFlight senders make the Match calls, so that as many batches are matched while
	// the next ones are read. They live for the scan: a goroutine per call would grow a
	// fresh stack for every batch.
	for range opts.InFlight {
		running.Add(1)
		go func() {
			defer running.Done()
			for p := range work {
				b := p.batch
				var resp *plugin.MatchResponse
				var err error
				if off, ok := b.region.offsetOf(b.arena); ok {
					resp, err = d.matchShared(ctx, b.region, off, b.Events, b.stream)
				} else {
					resp, err = d.match(ctx, b.Events, b.stream)
				}
				if err == nil {
					b.Matches, b.Errors = resp.Matches, resp.Errors
					b.Alerts, b.CorrelationErrors = resp.Alerts, resp.CorrelationErrors
				}
				p.err = err
				close(p.done)
			}
		}()
	}
	// A scan shares memory with the plugin once it has filled a whole batch: a small
	// input is not worth a region.
	share := func() error {
		r, err := d.sharedPool().acquire(ctx, d, opts)
		if r != nil {
			batches.useRegion(r)
		}
		return err
	}
	running.Add(1)
	go func() {
		defer running.Done()
		defer close(queue)
		defer close(work)
		readErr <- batchEvents(ctx, opts, batches, share, produce, func(b *ScanBatch) bool {
			p := &pendingBatch{batch: b, done: make(chan struct{})}
			select {
			case queue <- p:
			case <-ctx.Done():
				return false
			}
			if stream != nil {
				// Numbered here, in input order: the plugin applies the batches in this
				// order whatever order the senders' calls arrive in.
				seq, err := stream.next()
				if err != nil {
					p.err = err
					close(p.done)
					return false
				}
				b.stream = &plugin.StreamBatch{ID: stream.id, Sequence: seq}
				switch {
				case len(b.idLens) > 0:
					b.stream.IDBytes, b.stream.IDLengths = b.ids, b.idLens
				case len(b.idNums) > 0:
					b.stream.IDPrefix, b.stream.IDNumbers = opts.EventIDPrefix, b.idNums
				}
			}
			select {
			case work <- p:
			case <-ctx.Done():
				if stream != nil {
					stream.unnext() // never sent: the plugin must not wait for it
				}
				p.err = ctx.Err()
				close(p.done)
				return false
			}
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
		batches.put(p.batch)
	}
	err := <-readErr
	completed = true
	if err != nil || stream == nil {
		return err
	}
	end, err := stream.End(ctx)
	if err != nil {
		return err
	}
	return emit(&ScanBatch{End: end})
}

// pendingBatch is a batch whose Match call may still be running.
type pendingBatch struct {
	batch *ScanBatch
	err   error
	done  chan struct{}
}

// batchPool recycles batches with their buffers. Once the scan uses a shared region, the
// arenas are its slots and only batches holding one are kept; before, any batch whose
// arena has the batch size is.
type batchPool struct {
	free   chan *ScanBatch
	opts   ScanOptions
	shared atomic.Pointer[sharedRegion]
}

func newBatchPool(opts ScanOptions) *batchPool {
	// Room for every slot of a region and the heap batches made before it.
	return &batchPool{opts: opts, free: make(chan *ScanBatch, sharedSlots(opts)+opts.InFlight+2)}
}

func (p *batchPool) newBatch(arena []byte, region *sharedRegion) *ScanBatch {
	n := min(p.opts.BatchEvents, 4096)
	return &ScanBatch{arena: arena, region: region, Lines: make([]int, 0, n), Events: make([][]byte, 0, n), ends: make([]int, 0, n)}
}

// useRegion makes the slots of r the arenas of the batches to come.
func (p *batchPool) useRegion(r *sharedRegion) {
	p.shared.Store(r)
	for drained := false; !drained; {
		select {
		case <-p.free:
		default:
			drained = true
		}
	}
	for i := range r.slots {
		select {
		case p.free <- p.newBatch(r.slot(i), r):
		default:
		}
	}
}

// get returns an empty batch, a new one when none is free.
func (p *batchPool) get() *ScanBatch {
	select {
	case b := <-p.free:
		return b
	default:
		return p.newBatch(make([]byte, 0, p.opts.BatchBytes), nil)
	}
}

// put takes back a batch that was emitted (or never sent).
func (p *batchPool) put(b *ScanBatch) {
	if b.spare != nil {
		b.arena, b.spare = b.spare, nil
	}
	switch {
	case b.region != nil: // a slot
	case p.shared.Load() != nil, cap(b.arena) != p.opts.BatchBytes:
		return
	}
	clear(b.Events) // no references into old arenas
	b.arena, b.Lines, b.Events, b.ends = b.arena[:0], b.Lines[:0], b.Events[:0], b.ends[:0]
	b.Matches, b.Errors, b.Alerts, b.CorrelationErrors = nil, nil, nil, nil
	b.ids, b.idLens, b.idNums, b.stream = b.ids[:0], b.idLens[:0], b.idNums[:0], nil
	select {
	case p.free <- b:
	default:
	}
}

// batchEvents cuts the events produce adds into batches and hands each to send, which
// returns false to stop. When the first batch is full it calls share, whose error (a
// fatal plugin failure) stops the scan.
func batchEvents(ctx context.Context, opts ScanOptions, pool *batchPool, share func() error, produce func(add func(line int, event []byte) bool) error, send func(*ScanBatch) bool) error {
	var (
		b       *ScanBatch // the batch being filled
		stopped bool
		shared  bool // share was called
		failed  error
	)
	flush := func() bool {
		if b == nil || len(b.Lines) == 0 {
			return true
		}
		start := 0
		for _, end := range b.ends {
			// The capacity runs on to the end of the arena, which lets the protocol
			// layer see that the events lie back to back and send them without a copy.
			b.Events = append(b.Events, b.arena[start:end])
			start = end
		}
		full := b
		b = nil
		return send(full)
	}
	add := func(line int, ev []byte) bool {
		if stopped {
			return false
		}
		if b != nil && len(b.Lines) > 0 && (len(b.Lines) >= opts.BatchEvents || len(b.arena)+len(ev) > opts.BatchBytes) {
			if !shared {
				shared = true
				if failed = share(); failed != nil {
					stopped = true
					return false
				}
			}
			if !flush() {
				stopped = true
				return false
			}
		}
		if b == nil {
			b = pool.get()
		}
		if len(ev) > cap(b.arena)-len(b.arena) {
			// An event longer than a whole arena (the batch is empty): it travels
			// alone, in a buffer of its own; the pooled arena waits in spare.
			b.spare = b.arena
			b.arena = make([]byte, 0, len(ev))
		}
		b.arena = append(b.arena, ev...)
		b.ends = append(b.ends, len(b.arena))
		b.Lines = append(b.Lines, line)
		switch {
		case opts.EventIDPrefix != "" && line >= 0 && len(b.idLens) == 0:
			b.idNums = append(b.idNums, int64(line))
		case opts.EventID != nil:
			if len(b.idNums) > 0 {
				// A record named otherwise: the batch's names go whole.
				for _, l := range b.idNums {
					n := len(b.ids)
					b.ids = strconv.AppendInt(append(b.ids, opts.EventIDPrefix...), l, 10)
					b.idLens = append(b.idLens, uint32(len(b.ids)-n))
				}
				b.idNums = b.idNums[:0]
			}
			n := len(b.ids)
			if opts.EventIDPrefix != "" && line >= 0 {
				b.ids = strconv.AppendInt(append(b.ids, opts.EventIDPrefix...), int64(line), 10)
			} else {
				b.ids = opts.EventID(b.ids, line)
			}
			b.idLens = append(b.idLens, uint32(len(b.ids)-n))
		}
		return true
	}
	if err := produce(add); err != nil {
		return err
	}
	if failed != nil {
		return failed
	}
	if stopped || !flush() {
		return ctx.Err()
	}
	return nil
}

// sharedMatcher is what the protocol layer's detector client offers for batches in shared
// memory.
type sharedMatcher interface {
	ShareMemory(ctx context.Context, region uint32, path string, size int) error
	MatchShared(ctx context.Context, region uint32, offset int, events [][]byte, sb *plugin.StreamBatch) (*plugin.MatchResponse, error)
}

// sharedSlots is the number of slots of a region for a scan with opts: enough for every
// batch that can be alive at once (InFlight in Match calls, as many answered and queued
// for emit, one being emitted and one being filled).
func sharedSlots(opts ScanOptions) int { return 2*opts.InFlight + 2 }

// regionIDs numbers shared regions; unique in the host process, so unique for a plugin.
var regionIDs atomic.Uint32

// sharedRegion is a shared memory region cut into arena-sized slots.
type sharedRegion struct {
	id               uint32
	region           *wire.SharedRegion
	slots, slotBytes int
	// pool is the pool the region came from and goes back to. A scan that stopped early
	// gives its region back after the plugin may be gone, when sharedPools no longer
	// holds that pool: looking the pool up again then would make a new one that nothing
	// watches, and the region would stay mapped for the life of the process.
	pool *sharedPool
}

// slot returns slot i as an empty arena whose capacity ends with the slot.
func (r *sharedRegion) slot(i int) []byte {
	start := i * r.slotBytes
	return r.region.Data[start:start:(start + r.slotBytes)]
}

// offsetOf returns where b's memory starts in the region, if it lies in it.
func (r *sharedRegion) offsetOf(b []byte) (int, bool) {
	if r == nil || cap(b) == 0 {
		return 0, false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(r.region.Data)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if p < base || p+uintptr(cap(b)) > base+uintptr(len(r.region.Data)) {
		return 0, false
	}
	return int(p - base), true
}

// sharedPools holds the sharedPool of every running detector plugin, by instance.
var sharedPools sync.Map // *instance -> *sharedPool

// sharedPool returns the pool of the detector's plugin process (all Detectors of one
// plugin share it, so that the plugin maps no more regions than there are concurrent
// scans).
func (d *Detector) sharedPool() *sharedPool {
	if sp, ok := sharedPools.Load(d.inst); ok {
		return sp.(*sharedPool)
	}
	sp, _ := sharedPools.LoadOrStore(d.inst, &sharedPool{})
	return sp.(*sharedPool)
}

// sharedPool keeps a plugin's shared regions between scans: a scan takes one (sharing a
// new one with the plugin when none fits) and gives it back when done, so a plugin maps
// one region per concurrent scan, once. When the plugin cannot map one, every later scan
// sends its batches through the connection. The regions are unmapped once the plugin is
// gone.
type sharedPool struct {
	mu       sync.Mutex
	disabled bool
	watching bool
	gone     bool
	idle     []*sharedRegion
}

// acquire returns a region for a scan with opts, or nil to send batches inline. The error
// is a fatal plugin failure met while sharing a region.
func (sp *sharedPool) acquire(ctx context.Context, d *Detector, opts ScanOptions) (*sharedRegion, error) {
	sm, ok := d.raw.(sharedMatcher)
	if opts.NoSharedMemory || !wire.SharedMemorySupported || !ok {
		return nil, nil
	}
	slots := sharedSlots(opts)
	sp.mu.Lock()
	if sp.disabled || sp.gone {
		sp.mu.Unlock()
		return nil, nil
	}
	for i, r := range sp.idle {
		if r.slots == slots && r.slotBytes == opts.BatchBytes {
			sp.idle = append(sp.idle[:i], sp.idle[i+1:]...)
			sp.mu.Unlock()
			return r, nil
		}
	}
	if !sp.watching {
		sp.watching = true
		go sp.unmapWhenGone(d.inst)
	}
	sp.mu.Unlock()

	region, err := wire.CreateSharedRegion(slots * opts.BatchBytes)
	if err != nil {
		sp.disable()
		return nil, nil
	}
	r := &sharedRegion{id: regionIDs.Add(1), region: region, slots: slots, slotBytes: opts.BatchBytes, pool: sp}
	err = d.inst.call(ctx, "ShareMemory", func(ctx context.Context) error {
		return sm.ShareMemory(ctx, r.id, region.Path, len(region.Data))
	})
	region.RemoveFile() // the plugin has it mapped, or never will
	if err != nil {
		region.Unmap()
		if pe, ok := AsPluginError(err); ok && pe.Fatal() {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, err
		}
		sp.disable()
		return nil, nil
	}
	return r, nil
}

func (sp *sharedPool) disable() {
	sp.mu.Lock()
	sp.disabled = true
	sp.mu.Unlock()
}

// release takes a region back once nothing uses its memory any more.
func (sp *sharedPool) release(r *sharedRegion) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.gone {
		r.region.Unmap()
		return
	}
	sp.idle = append(sp.idle, r)
}

// unmapWhenGone unmaps the idle regions once the plugin process is dead; regions in use
// are unmapped when their scan releases them.
func (sp *sharedPool) unmapWhenGone(inst *instance) {
	<-inst.released
	sharedPools.Delete(inst)
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.gone = true
	for _, r := range sp.idle {
		r.region.Unmap()
	}
	sp.idle = nil
}

// matchShared matches a batch that lies at offset of region r.
func (d *Detector) matchShared(ctx context.Context, r *sharedRegion, offset int, events [][]byte, sb *plugin.StreamBatch) (*plugin.MatchResponse, error) {
	sm := d.raw.(sharedMatcher)
	var resp *plugin.MatchResponse
	err := d.inst.call(ctx, "Match", func(ctx context.Context) error {
		var err error
		resp, err = sm.MatchShared(ctx, r.id, offset, events, sb)
		return err
	})
	return resp, err
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
