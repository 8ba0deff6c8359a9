package evaluator

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestNextSpecialAgreesWithByteLoop: the word-at-a-time search finds the same first '"',
// '\\' or control character as a byte loop, and says the same of the bytes before it being
// ASCII, for every byte value at every position of a word amid bytes just above and below
// each kind (0x20, 0x21/0x23, 0x5b/0x5d, 0x7f/0x80, 0xff), whose borrows the search must
// not misplace, and on random mixtures of them.
func TestNextSpecialAgreesWithByteLoop(t *testing.T) {
	want := func(d []byte, i int) (int, bool) {
		ascii := true
		for ; i < len(d); i++ {
			if c := d[i]; c == '"' || c == '\\' || c < 0x20 {
				return i, ascii
			} else if c >= 0x80 {
				ascii = false
			}
		}
		return i, ascii
	}
	check := func(d []byte) {
		for start := 0; start <= len(d); start++ {
			got, gotASCII := nextSpecial(d, start)
			w, wASCII := want(d, start)
			if got != w || gotASCII != wASCII {
				t.Fatalf("% x from %d: %d (ascii %v), want %d (ascii %v)", d, start, got, gotASCII, w, wASCII)
			}
		}
	}
	fill := []byte{0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff, 'a'}
	for _, f := range fill {
		for pos := range 24 {
			for c := range 256 {
				d := make([]byte, 24)
				for i := range d {
					d[i] = f
				}
				d[pos] = byte(c)
				check(d)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		d := make([]byte, r.IntN(40))
		for i := range d {
			d[i] = fill[r.IntN(len(fill))]
			if r.IntN(12) == 0 {
				d[i] = byte(r.IntN(256))
			}
		}
		check(d)
	}
}

// TestKeyTable: every key put is found with its latest node, through growth from empty to
// thousands of keys (many sharing length, ends and middle), and no other key is.
func TestKeyTable(t *testing.T) {
	var kt keyTable
	if kt.get("a") != nil || kt.get("") != nil {
		t.Fatal("an empty table finds a key")
	}
	want := map[string]*pathNode{}
	for i := range 3000 {
		k := fmt.Sprintf("k%04dx", i) // same length and ends: the hash's worst case
		if i%7 == 0 {
			k = strings.Repeat("a", i%40)
		}
		n := &pathNode{slot: int32(i)}
		kt.put(k, n)
		want[k] = n
		if i%100 == 0 {
			for k, n := range want {
				if got := kt.get(k); got != n {
					t.Fatalf("after %d puts: %q gives %v, want %v", i+1, k, got, n)
				}
			}
		}
	}
	if len(kt.keys) != len(want) {
		t.Errorf("%d keys kept for %d distinct ones", len(kt.keys), len(want))
	}
	for _, k := range []string{"k", "k0000", "k0000y", "k9999x", "b", strings.Repeat("a", 40)} {
		if kt.get(k) != nil {
			t.Errorf("%q found but never put", k)
		}
	}
}
