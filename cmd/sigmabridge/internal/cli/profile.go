package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/spf13/pflag"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// SampleProfilePath is how the profile the built-in pack's samples assume is named.
const SampleProfilePath = "testdata/rules/profile.yml"

// AddProfileFlag registers --profile.
func AddProfileFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "profile", "", "organisation profile (default $"+profile.EnvVar+", then <user config dir>/sigmabridge/profile.yml; see 'sigmabridge profile')")
}

// LoadProfile finds and loads the organisation profile (--profile, $SIGMABRIDGE_PROFILE, the
// user config dir). It returns nil when there is none. A profile that is named but missing,
// or that does not validate, is a usage error: nothing runs on a half-read configuration.
func LoadProfile(flag string) (*profile.Profile, error) {
	loc, found, err := profile.Find(flag)
	if err != nil {
		return nil, UsageError{Err: err}
	}
	if !found {
		return nil, nil
	}
	p, err := profile.Load(loc.Path)
	if err != nil {
		var pe *profile.Errors
		if errors.As(err, &pe) {
			return nil, UsageError{Err: fmt.Errorf("profile (from %s) is not valid:\n%w", loc.From, err)}
		}
		return nil, UsageError{Err: fmt.Errorf("profile (from %s): %w", loc.From, err)}
	}
	return p, nil
}

// SampleProfile returns the profile the built-in pack's samples assume (testdata/rules/profile.yml,
// embedded).
func SampleProfile() (*profile.Profile, error) {
	data, err := fs.ReadFile(sigmabridge.PackSamples, "profile.yml")
	if err != nil {
		return nil, err
	}
	return profile.Parse(SampleProfilePath, data)
}

// NewSetup prepares rules for target under prof (nil: none) and the pipelines named on the
// command line; the error is a usage error.
func NewSetup(prof *profile.Profile, target profile.Target, names []string) (*profile.Setup, error) {
	s := &profile.Setup{Profile: prof, Target: target}
	for _, n := range names {
		p, err := pipeline.Load(n)
		if err != nil {
			return nil, UsageError{Err: fmt.Errorf("pipeline %s: %w", n, err)}
		}
		s.Pipelines = append(s.Pipelines, p)
	}
	if err := s.Build(); err != nil {
		return nil, UsageError{Err: err}
	}
	return s, nil
}

// SamplesSetup prepares rules whose samples are about to run. The built-in pack's samples assume
// the values of SampleProfile, so they run under it whatever the user's profile; other rules run
// under the user's profile. about says which profile the samples ran under, for the output.
func SamplesSetup(builtin bool, profileFlag string, names []string) (s *profile.Setup, about string, err error) {
	user, err := LoadProfile(profileFlag)
	if err != nil {
		return nil, "", err
	}
	if !builtin {
		s, err := NewSetup(user, profile.NoTarget, names)
		if user == nil {
			return s, "samples ran under no profile", err
		}
		return s, "samples ran under profile " + Printable(user.Name()), err
	}
	sp, err := SampleProfile()
	if err != nil {
		return nil, "", err
	}
	s, err = NewSetup(sp, profile.NoTarget, names)
	about = "samples ran under " + SampleProfilePath + ", the profile the pack's samples assume"
	if user != nil {
		about += " (your profile " + Printable(user.Name()) + " is for your rules and logs, not the pack's samples)"
	}
	return s, about, err
}

// PrintInactive writes the one summary line of the rules left out for want of profile values.
func PrintInactive(w io.Writer, left []profile.Left, prof *profile.Profile) {
	if s := profile.Summary(left, prof); s != "" {
		fmt.Fprintln(w, "sigmabridge: "+Printable(s))
	}
}
