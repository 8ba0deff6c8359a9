package pipeline

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

// builtinFS holds the built-in pipelines, one YAML file per pipeline, named after it.
//
//go:embed builtin/*.yml
var builtinFS embed.FS

var (
	builtinOnce  sync.Once
	builtinCache map[string]*Pipeline
	builtinErr   error
)

func loadBuiltins() {
	builtinCache = map[string]*Pipeline{}
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		builtinErr = err
		return
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".yml")
		data, err := builtinFS.ReadFile(path.Join("builtin", e.Name()))
		if err != nil {
			builtinErr = err
			return
		}
		p, err := Parse("builtin:"+name, data)
		if err != nil {
			builtinErr = fmt.Errorf("built-in pipeline %s: %w", name, err)
			return
		}
		p.Source = "builtin:" + name
		builtinCache[name] = p
	}
}

// BuiltinNames lists the built-in pipelines in sorted order.
func BuiltinNames() []string {
	builtinOnce.Do(loadBuiltins)
	names := make([]string, 0, len(builtinCache))
	for n := range builtinCache {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Builtin returns the built-in pipeline with the given name. Pipelines are immutable, so the
// same value is returned to every caller.
func Builtin(name string) (*Pipeline, error) {
	builtinOnce.Do(loadBuiltins)
	if builtinErr != nil {
		return nil, builtinErr
	}
	p, ok := builtinCache[name]
	if !ok {
		return nil, fmt.Errorf("unknown built-in pipeline %q (built-in: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	return p, nil
}

// Load returns the built-in pipeline called name, or else reads the pipeline file at that path.
func Load(name string) (*Pipeline, error) {
	builtinOnce.Do(loadBuiltins)
	if builtinErr != nil {
		return nil, builtinErr
	}
	if p, ok := builtinCache[name]; ok {
		return p, nil
	}
	return ParseFile(name)
}

// LoadChain loads every named pipeline (built-in names or files) and chains them by priority.
func LoadChain(names ...string) (*Pipeline, error) {
	var ps []*Pipeline
	for _, n := range names {
		p, err := Load(n)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return Chain(ps...), nil
}
