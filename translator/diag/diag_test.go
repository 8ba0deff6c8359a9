package diag

import "testing"

func TestFilesWithErrors(t *testing.T) {
	l := List{
		{Path: "a.yml", Severity: Error},
		{Path: "a.yml", Severity: Error},
		{Path: "b.yml", Severity: Warning},
		{Path: "c.yml", Severity: Error},
	}
	if got := l.FilesWithErrors(); got != 2 {
		t.Errorf("FilesWithErrors = %d, want 2 (a.yml twice, b.yml only a warning)", got)
	}
	if got := (List{}).FilesWithErrors(); got != 0 {
		t.Errorf("empty list: %d", got)
	}
}
