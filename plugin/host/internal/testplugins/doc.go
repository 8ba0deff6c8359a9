// Package testplugins holds plugin binaries the host's hostile tests build: plugins that
// start processes of their own, and a plugin that tells whether it is the pinned build or
// a tampered copy. They are not shipped.
package testplugins
