package hunt

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sigmabridge/sigmabridge/internal/esclient"
)

// byteSize is a flag holding a number of bytes, written as 64MiB, 512KB, 1GiB or 1048576.
type byteSize struct{ n *int64 }

var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1000,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1000 * 1000,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1000 * 1000 * 1000,
}

func (b byteSize) String() string {
	if b.n == nil {
		return ""
	}
	return strings.ReplaceAll(esclient.FormatBytes(*b.n), " ", "")
}

func (b byteSize) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*b.n = n
	return nil
}

func (b byteSize) Type() string { return "size" }

// parseByteSize reads a positive size: digits and an optional unit (B; KiB, MiB, GiB and
// K, M, G in powers of 1024; KB, MB, GB in powers of 1000).
func parseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(t)
	}
	unit, ok := byteUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if i == 0 || !ok {
		return 0, fmt.Errorf("want a size such as 64MiB, 512KiB or 1GiB")
	}
	n, err := strconv.ParseInt(t[:i], 10, 64) // only digits: fails only out of range
	switch {
	case err != nil || n > math.MaxInt64/unit:
		return 0, fmt.Errorf("larger than the largest size, %s", esclient.FormatBytes(math.MaxInt64))
	case n == 0:
		return 0, fmt.Errorf("want a positive size")
	}
	return n * unit, nil
}
