// Package profile is the `sigmabridge profile` command: init writes a commented starter
// organisation profile, show lists the rules a profile leaves inactive or weakened and the value
// each lacks, validate checks a profile file. The profile itself is translator/profile.
package profile
