package esclient

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"testing"
)

// writeCertPEM writes the test server's certificate (self-signed, so its own CA) as PEM.
func writeCertPEM(t *testing.T, srv *httptest.Server, path string) {
	t.Helper()
	cert := srv.Certificate()
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
