package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// AddProfileFlag registers --profile.
func AddProfileFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "profile", "", "organisation profile (default $"+profile.EnvVar+", then <user config dir>/sigmabridge/profile.yml; see 'sigmabridge profile')")
}

// AddPluginDirFlag registers --plugin-dir.
func AddPluginDirFlag(f *pflag.FlagSet, dir *string) {
	f.StringVar(dir, "plugin-dir", "", "plugin directory (default $SIGMABRIDGE_PLUGIN_DIR or <user config dir>/sigmabridge/plugins)")
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

// NewSetup prepares rules for target under prof (nil: none) and the pipelines named on the
// command line; the error is a usage error.
func NewSetup(prof *profile.Profile, target profile.Target, names []string) (*profile.Setup, error) {
	s, err := sigmabridge.Setup(prof, target, names)
	if err != nil {
		return nil, UsageError{Err: err}
	}
	return s, nil
}

// SamplesSetup prepares rules whose samples are about to run (see sigmabridge.SamplesSetup)
// and says, for the output, which profile the samples ran under.
func SamplesSetup(builtin bool, profileFlag string, names []string) (s *profile.Setup, about string, err error) {
	user, err := LoadProfile(profileFlag)
	if err != nil {
		return nil, "", err
	}
	if s, err = sigmabridge.SamplesSetup(builtin, user, names); err != nil {
		return nil, "", UsageError{Err: err}
	}
	switch {
	case !builtin && user == nil:
		about = "samples ran under no profile"
	case !builtin:
		about = "samples ran under profile " + Printable(user.Name())
	default:
		about = "samples ran under " + sigmabridge.PackProfilePath + ", the profile the pack's samples assume"
		if user != nil {
			about += " (your profile " + Printable(user.Name()) + " is for your rules and logs, not the pack's samples)"
		}
	}
	return s, about, nil
}

// PrintInactive writes the one summary line of the rules left out for want of profile values.
func PrintInactive(w io.Writer, left []profile.Left, prof *profile.Profile) {
	if s := profile.Summary(left, prof); s != "" {
		fmt.Fprintln(w, "sigmabridge: "+Printable(s))
	}
}
