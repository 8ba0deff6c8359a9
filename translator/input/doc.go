// Package input reads raw log files (JSON lines, JSON arrays, CloudTrail log files, Google
// Workspace Reports activities, RFC 5322 messages, Microsoft Graph message exports and Azure
// activity logs) and turns them into one JSON record per event in the shape the T1648 rule pack
// is written for. Problems are reported with the file and line they come from, and a bad line
// does not stop the rest of the file from being read.
package input
