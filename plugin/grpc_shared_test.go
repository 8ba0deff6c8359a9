//go:build linux

package plugin

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sigmabridge/sigmabridge/plugin/internal/wire"
	pb "github.com/sigmabridge/sigmabridge/plugin/proto/sigmabridge/v1"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// TestSharedBatches sends batches that lie in a shared region over a real gRPC connection:
// the detector sees the region's bytes as they are at the time of the call, with the
// matches mapped back as for inline batches.
func TestSharedBatches(t *testing.T) {
	impl := &fakeDetector{}
	_, d := connect(t, nil, impl)
	c := d.(*detectorClient)
	ctx := context.Background()
	twoRules := []*ir.Rule{{Title: "a", Conditions: []ir.Node{&ir.Exists{Field: "a"}}}, {Title: "b", Conditions: []ir.Node{&ir.Exists{Field: "b"}}}}
	if _, err := c.Load(ctx, &LoadRequest{Rules: twoRules}); err != nil {
		t.Fatal(err)
	}
	region, err := wire.CreateSharedRegion(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer region.Unmap()
	if err := c.ShareMemory(ctx, 7, region.Path, len(region.Data)); err != nil {
		t.Fatal(err)
	}
	region.RemoveFile() // the plugin keeps its mapping

	put := func(off int, events ...string) [][]byte {
		var out [][]byte
		for _, ev := range events {
			n := copy(region.Data[off:], ev)
			out = append(out, region.Data[off:off+n])
			off += n
		}
		return out
	}
	events := put(100, `{"a":"hit"}`, `{"b":1}`, `{bad`, `{"c":"hit"}`)
	resp, err := c.MatchShared(ctx, 7, 100, events, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(impl.lastSeen()) != 4 || string(impl.lastSeen()[0]) != `{"a":"hit"}` || string(impl.lastSeen()[3]) != `{"c":"hit"}` {
		t.Fatalf("the detector saw %q", impl.lastSeen())
	}
	if len(resp.Matches) != 2 || resp.Matches[0].Event != 0 || resp.Matches[1].Event != 3 ||
		len(resp.Errors) != 1 || resp.Errors[0].Event != 2 {
		t.Fatalf("response %+v", resp)
	}
	// The same offset with other bytes: the plugin reads the region, not a copy.
	events = put(100, `{"x":"hit"}`, `{"y":"miss"}`)
	if _, err := c.MatchShared(ctx, 7, 100, events, nil); err != nil {
		t.Fatal(err)
	}
	if len(impl.lastSeen()) != 2 || string(impl.lastSeen()[0]) != `{"x":"hit"}` || string(impl.lastSeen()[1]) != `{"y":"miss"}` {
		t.Fatalf("after rewriting the region the detector saw %q", impl.lastSeen())
	}

	wantCode := func(what string, err error, code codes.Code, fragment string) {
		t.Helper()
		if status.Code(err) != code || !strings.Contains(err.Error(), fragment) {
			t.Errorf("%s: %v, want %v with %q", what, err, code, fragment)
		}
	}
	_, err = c.MatchShared(ctx, 8, 0, events, nil)
	wantCode("unknown region", err, codes.FailedPrecondition, "never mapped")
	_, err = c.MatchShared(ctx, 7, 4090, events, nil)
	wantCode("past the end", err, codes.InvalidArgument, "runs past the end")
	_, err = c.rpc.Match(ctx, &pb.MatchRequest{Events: []byte("{}"), EventLengths: []uint32{2}, Shared: &pb.SharedEvents{Region: 7}})
	wantCode("inline and shared", err, codes.InvalidArgument, "both inline and in a shared region")

	other, err := wire.CreateSharedRegion(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Unmap()
	wantCode("region id taken", c.ShareMemory(ctx, 7, other.Path, 4096), codes.AlreadyExists, "already mapped")
	wantCode("wrong size", c.ShareMemory(ctx, 9, other.Path, 8192), codes.FailedPrecondition, "of 8192 bytes expected")
	wantCode("no size", c.ShareMemory(ctx, 9, other.Path, 0), codes.InvalidArgument, "shared region of 0 bytes")
	wantCode("no file", c.ShareMemory(ctx, 9, region.Path+"-gone", 4096), codes.FailedPrecondition, "no such file")
	if err := c.ShareMemory(ctx, 9, other.Path, 4096); err != nil {
		t.Errorf("a second region: %v", err)
	}
}
