package profile

import _ "embed"

//go:embed starter.yml
var starter []byte

// Starter returns a commented starter profile: every key, empty, with how to find its value.
func Starter() []byte { return append([]byte(nil), starter...) }
