package plugin

import (
	"math/bits"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/mem"
)

// bufferPool is the gRPC buffer pool of plugin connections: buffers in power-of-two size
// classes that are reused without being zeroed. gRPC's default pool clears the whole
// capacity of every buffer it hands out, which for event batches (hundreds of KiB per
// message) costs as much CPU as a sizeable part of the matching itself; gRPC fills every
// buffer it gets before reading it, so zeroing buys nothing here.
type bufferPool struct {
	classes [minClass + 32]sync.Pool
}

const minClass = 8 // 256 bytes

var sharedBufferPool = &bufferPool{}

var _ mem.BufferPool = (*bufferPool)(nil)

func sizeClass(n int) int {
	if n <= 1<<minClass {
		return minClass
	}
	return bits.Len(uint(n - 1))
}

// Get returns a buffer of length n whose capacity is n rounded up to a power of two.
func (p *bufferPool) Get(n int) *[]byte {
	c := sizeClass(n)
	if c >= len(p.classes) {
		b := make([]byte, n)
		return &b
	}
	if b, ok := p.classes[c].Get().(*[]byte); ok {
		*b = (*b)[:n]
		return b
	}
	b := make([]byte, n, 1<<c)
	return &b
}

// Put takes back a buffer obtained from Get.
func (p *bufferPool) Put(b *[]byte) {
	c := cap(*b)
	if c == 0 || c&(c-1) != 0 {
		return // not one of ours
	}
	class := bits.Len(uint(c)) - 1
	if class < minClass || class >= len(p.classes) {
		return
	}
	*b = (*b)[:0]
	p.classes[class].Put(b)
}

// ioBufferBytes is the size of the read and write buffers of plugin connections, so a
// batch travels in few system calls.
const ioBufferBytes = 256 << 10

func serverTransportOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes),
		grpc.InitialWindowSize(windowBytes), grpc.InitialConnWindowSize(windowBytes),
		grpc.ReadBufferSize(ioBufferBytes), grpc.WriteBufferSize(ioBufferBytes),
		experimental.BufferPool(sharedBufferPool),
	}
}

// DialOptions are the gRPC options a host uses to connect to plugins: message limits,
// flow-control window, I/O buffers and buffer pool matching the plugin side.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)),
		grpc.WithInitialWindowSize(windowBytes), grpc.WithInitialConnWindowSize(windowBytes),
		grpc.WithReadBufferSize(ioBufferBytes), grpc.WithWriteBufferSize(ioBufferBytes),
		experimental.WithBufferPool(sharedBufferPool),
	}
}
