package plugin

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sigmabridge/sigmabridge/plugin/internal/wire"
	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
)

// Event batches in shared memory. Through the connection, a batch is copied about six
// times on its way from the host's buffer to the plugin's (protobuf encoding, HTTP/2
// framing, the socket in both directions, frame reassembly, protobuf decoding), which
// costs the plugin path as much CPU as matching. A host that can share memory (Linux)
// maps a file into both processes once (ShareMemory) and writes its batches there; a
// MatchRequest then names the batch by offset, and the plugin matches the events where
// they lie. Hosts fall back to inline batches when the plugin does not implement
// ShareMemory or cannot map the file.

// maxSharedRegionBytes bounds a region a host may ask a plugin to map.
const maxSharedRegionBytes = 1 << 30

// sharedRegions are the regions the host shared with a plugin, by the host's id. They stay
// mapped for the life of the plugin process (a host shares one per concurrent scan and
// reuses it).
type sharedRegions struct {
	mu      sync.RWMutex
	regions map[uint32][]byte
}

func (s *detectorServer) ShareMemory(_ context.Context, m *pb.ShareMemoryRequest) (*pb.ShareMemoryResponse, error) {
	size := m.GetSize()
	if size == 0 || size > maxSharedRegionBytes {
		return nil, status.Errorf(codes.InvalidArgument, "shared region of %d bytes (at most %d)", size, maxSharedRegionBytes)
	}
	s.shared.mu.Lock()
	defer s.shared.mu.Unlock()
	if _, dup := s.shared.regions[m.GetRegion()]; dup {
		return nil, status.Errorf(codes.AlreadyExists, "shared region %d is already mapped", m.GetRegion())
	}
	data, err := wire.MapSharedRegion(m.GetPath(), int(size))
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "mapping shared region %d: %v", m.GetRegion(), err)
	}
	if s.shared.regions == nil {
		s.shared.regions = map[uint32][]byte{}
	}
	s.shared.regions[m.GetRegion()] = data
	return &pb.ShareMemoryResponse{}, nil
}

// events returns the events of a request, from the request itself or from a shared region.
func (s *detectorServer) events(m *pb.MatchRequest) ([][]byte, error) {
	sh := m.GetShared()
	if sh == nil {
		return unpackEvents(m)
	}
	if len(m.GetEvents()) > 0 {
		return nil, status.Error(codes.InvalidArgument, "a batch both inline and in a shared region")
	}
	s.shared.mu.RLock()
	region, ok := s.shared.regions[sh.GetRegion()]
	s.shared.mu.RUnlock()
	if !ok {
		return nil, status.Errorf(codes.FailedPrecondition, "shared region %d was never mapped", sh.GetRegion())
	}
	total := uint64(0)
	for _, n := range m.GetEventLengths() {
		total += uint64(n)
	}
	off := sh.GetOffset()
	if off > uint64(len(region)) || total > uint64(len(region))-off {
		return nil, status.Errorf(codes.InvalidArgument, "batch of %d bytes at offset %d runs past the end of shared region %d (%d bytes)",
			total, off, sh.GetRegion(), len(region))
	}
	return unpackEvents(&pb.MatchRequest{Events: region[off : off+total : off+total], EventLengths: m.GetEventLengths()})
}

// ShareMemory asks the plugin to map the file at path (size bytes) as region. It is how
// plugin/host sets up shared batches; an error means the plugin cannot take them.
func (c *detectorClient) ShareMemory(ctx context.Context, region uint32, path string, size int) error {
	_, err := c.rpc.ShareMemory(ctx, &pb.ShareMemoryRequest{Region: region, Path: path, Size: uint64(size)})
	return err
}

// MatchShared is Match for a batch whose events lie back to back from offset in a region
// the plugin mapped (ShareMemory). The caller must leave those bytes alone until it
// returns.
func (c *detectorClient) MatchShared(ctx context.Context, region uint32, offset int, events [][]byte, sb *StreamBatch) (*MatchResponse, error) {
	if offset < 0 {
		return nil, fmt.Errorf("%w: negative offset %d", ErrEncodeRequest, offset)
	}
	lengths := make([]uint32, len(events))
	for i, ev := range events {
		lengths[i] = uint32(len(ev))
	}
	m := &pb.MatchRequest{EventLengths: lengths, Shared: &pb.SharedEvents{Region: region, Offset: uint64(offset)}}
	if err := c.setStream(m, sb, len(events)); err != nil {
		return nil, err
	}
	resp, err := c.rpc.Match(ctx, m)
	if err != nil {
		return nil, err
	}
	return c.matchResponse(resp, len(events))
}
