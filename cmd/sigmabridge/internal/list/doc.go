// Package list is `sigmabridge list targets|pipelines|formats|inputs|checks`: what this
// binary and the pinned external backend plugins offer, each with a one-line description,
// as a table or JSON.
package list
