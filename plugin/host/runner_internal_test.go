package host

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestHandshakeLineAcrossReads: the first line is kept whole however the pipe splits it,
// and every byte still reaches go-plugin.
func TestHandshakeLineAcrossReads(t *testing.T) {
	in := "1|1|unix|/tmp/s|grpc\r\nlater output\n"
	r := &cmdRunner{stdout: io.NopCloser(iotest.OneByteReader(strings.NewReader(in)))}
	out, err := io.ReadAll(r.Stdout())
	if err != nil || string(out) != in {
		t.Fatalf("passed on %q, %v", out, err)
	}
	if got := r.handshake(); got != "1|1|unix|/tmp/s|grpc" {
		t.Errorf("handshake %q", got)
	}
}

// TestHostileHandshakeLineIsBounded: a plugin that prints a huge first line costs the host
// at most maxHandshakeLine bytes of it.
func TestHostileHandshakeLineIsBounded(t *testing.T) {
	in := strings.Repeat("x", 1<<20) + "\n"
	r := &cmdRunner{stdout: io.NopCloser(strings.NewReader(in))}
	out, err := io.ReadAll(r.Stdout())
	if err != nil || len(out) != len(in) {
		t.Fatalf("passed on %d of %d bytes, %v", len(out), len(in), err)
	}
	if got := len(r.handshake()); got != maxHandshakeLine {
		t.Errorf("kept %d bytes, want %d", got, maxHandshakeLine)
	}
}
