package esclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/internal/esclient/esclienttest"
)

// TestLiveIndexNameEscaping: the node decodes each escaped name once, back to the name asked
// for ('%' and non-ASCII letters are legal in index names), so no name addresses anything else.
func TestLiveIndexNameEscaping(t *testing.T) {
	c := esclienttest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, name := range []string{"sigmabridge-none-a%2fb-" + esclienttest.RunID, "sigmabridge-none-é-" + esclienttest.RunID, "sigmabridge-none-%-" + esclienttest.RunID} {
		_, err := c.Search(ctx, name, []byte(`{}`), 1)
		var e *esclient.Error
		if !errors.Is(err, esclient.ErrIndexNotFound) || !errors.As(err, &e) || e.Index != name {
			t.Errorf("%q: %v, want the node to name the index %q as missing", name, err, name)
		}
	}
}
