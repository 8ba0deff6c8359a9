package scan

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// errInterrupted ends reading an input when scan got SIGINT or SIGTERM. It wraps
// context.Canceled, which input.Read passes through instead of reporting it as a problem
// of the input.
var errInterrupted = fmt.Errorf("interrupted: %w", context.Canceled)

// interrupts catches SIGINT and SIGTERM for one scan: the first stops reading at the next
// read of the input (events already read are still matched and their matches written); a
// second one exits at once.
type interrupts struct {
	sigs chan os.Signal
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	sig  os.Signal
}

func catchInterrupts() *interrupts {
	in := &interrupts{sigs: make(chan os.Signal, 1), stop: make(chan struct{}), done: make(chan struct{})}
	signal.Notify(in.sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-in.sigs:
			in.mu.Lock()
			in.sig = s
			in.mu.Unlock()
			close(in.stop)
		case <-in.done:
			return
		}
		// A second signal does not wait for the scan to wind down.
		select {
		case s := <-in.sigs:
			if n, ok := s.(syscall.Signal); ok {
				os.Exit(128 + int(n))
			}
			os.Exit(130)
		case <-in.done:
		}
	}()
	return in
}

// release restores the default handling of the signals.
func (in *interrupts) release() {
	signal.Stop(in.sigs)
	close(in.done)
}

func (in *interrupts) caught() bool {
	select {
	case <-in.stop:
		return true
	default:
		return false
	}
}

// exitCode is 128 plus the signal's number (130 for SIGINT, 143 for SIGTERM), or 0.
func (in *interrupts) exitCode() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if s, ok := in.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 0
}

// reader returns r made interruptible: after an interrupt its next read returns
// errInterrupted. Reads of anything but a regular file (a pipe, a terminal, a FIFO) happen
// in a goroutine, so that an interrupt also ends a read that waits for input; a regular
// file never waits long, and is read directly.
func (in *interrupts) reader(r io.Reader) *interruptibleReader {
	ir := &interruptibleReader{r: r, stop: in.stop}
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			ir.direct = true
		}
	}
	return ir
}

type readResult struct {
	n   int
	err error
}

type interruptibleReader struct {
	r       io.Reader
	direct  bool
	stop    <-chan struct{}
	buf     []byte
	pending []byte
	err     error
	reqs    chan struct{}
	results chan readResult
}

func (ir *interruptibleReader) Read(p []byte) (int, error) {
	if len(ir.pending) > 0 {
		n := copy(p, ir.pending)
		ir.pending = ir.pending[n:]
		return n, nil
	}
	if ir.err != nil {
		return 0, ir.err
	}
	select {
	case <-ir.stop:
		return 0, errInterrupted
	default:
	}
	if ir.direct {
		return ir.r.Read(p)
	}
	if ir.reqs == nil {
		ir.buf = make([]byte, 64<<10)
		ir.reqs, ir.results = make(chan struct{}), make(chan readResult, 1)
		go func(r io.Reader, buf []byte, reqs <-chan struct{}, results chan<- readResult) {
			for range reqs {
				n, err := r.Read(buf)
				results <- readResult{n, err}
			}
		}(ir.r, ir.buf, ir.reqs, ir.results)
	}
	ir.reqs <- struct{}{}
	select {
	case res := <-ir.results:
		ir.err = res.err
		n := copy(p, ir.buf[:res.n])
		ir.pending = ir.buf[n:res.n]
		if len(ir.pending) > 0 {
			return n, nil
		}
		return n, res.err
	case <-ir.stop:
		ir.err = errInterrupted
		return 0, errInterrupted
	}
}

// close ends the reading goroutine (unless it waits for input that never comes, after an
// interrupt: the process is about to exit then).
func (ir *interruptibleReader) close() {
	if ir.reqs != nil {
		close(ir.reqs)
		ir.reqs = nil
	}
}
