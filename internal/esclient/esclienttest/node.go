package esclienttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Node is an Elasticsearch node a test started for itself with .ci/elasticsearch/start.sh, so
// it may stop it under a command.
type Node struct {
	// URL is the node's address (https:// for a secured node).
	URL string
	// CAFile is the PEM file of the certificate authority that signed the node's HTTPS
	// certificate (secured nodes only).
	CAFile string
	// Users are the node's file-realm users, the superuser first (secured nodes only).
	Users []NodeUser
	stop  func()
}

// Stop stops the node with stop.sh; later calls do nothing. The node is also stopped when the
// test ends.
func (n *Node) Stop() { n.stop() }

// User returns the node's user with the role, failing the test when there is none.
func (n *Node) User(t testing.TB, role string) NodeUser {
	t.Helper()
	for _, u := range n.Users {
		if u.Role == role {
			return u
		}
	}
	t.Fatalf("the node has no user with role %s: %v", role, n.Users)
	return NodeUser{}
}

// StartSecuredNode starts a node of the test's own that is set up like a production cluster:
// HTTPS with a certificate from a certificate authority made for the test (IP SAN 127.0.0.1),
// security on without anonymous access, a superuser and a monitoring_user (who may not search
// other indices) in the file realm. It runs from the project's scripts (start.sh with its own
// run directory, x-pack core and security only, a small heap, no templates). It needs what URL
// needs (a node started by .ci/test.sh means the launcher is built) and skips or fails the same
// way.
func StartSecuredNode(t testing.TB) *Node {
	t.Helper()
	URL(t)
	for _, tool := range []string{"java", "curl"} { // mvn only for a first build, which start.sh names
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, fmt.Sprintf("starting a node of the test's own needs %s (.ci/elasticsearch/start.sh): %v", tool, err))
		}
	}
	dir := t.TempDir()
	caFile, certFile, keyFile := writeCertificates(t, dir)
	run := filepath.Join(dir, "run")
	script := filepath.Join(RepoRoot(), ".ci", "elasticsearch")
	env := append(os.Environ(),
		"ES_RUN_DIR="+run,
		"ES_PLUGINS=org.elasticsearch.xpack.core.XPackPlugin,org.elasticsearch.xpack.security.classpath.SecurityWithoutSaml",
		"ES_ANONYMOUS=0", "ES_HTTP_CERT="+certFile, "ES_HTTP_KEY="+keyFile,
		"ES_HEAP=384m", "ES_TEMPLATES_DIR=")
	call := func(name string) (string, error) {
		cmd := exec.Command("bash", filepath.Join(script, name))
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("%s: %v\n%s", name, err, stderr.String())
		}
		t.Logf("%s: %s", name, strings.TrimSpace(stderr.String()))
		return strings.TrimSpace(string(out)), nil
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			if _, err := call("stop.sh"); err != nil {
				t.Error(err)
			}
		})
	}
	url, err := call("start.sh")
	if err != nil {
		stop()
		t.Fatal(err)
	}
	t.Cleanup(stop)
	users, err := ReadUsers(filepath.Join(run, "users"))
	if err != nil {
		t.Fatal(err)
	}
	return &Node{URL: url, CAFile: caFile, Users: users, stop: stop}
}

// WriteCA writes the PEM certificate of a new certificate authority into dir (ca.crt), for
// tests that need a CA which signed nothing the server has.
func WriteCA(t testing.TB, dir string) string {
	t.Helper()
	_, _, path := newCA(t, dir)
	return path
}

// newCA makes a certificate authority and writes its certificate to dir/ca.crt.
func newCA(t testing.TB, dir string) (*x509.Certificate, *ecdsa.PrivateKey, string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sigmabridge test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	return ca, caKey, writePEM(t, dir, "ca.crt", "CERTIFICATE", caDER)
}

// writeCertificates makes a certificate authority and a server certificate for 127.0.0.1
// signed by it, and writes them as PEM files.
func writeCertificates(t testing.TB, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	ca, caKey, caFile := newCA(t, dir)
	now := time.Now()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return caFile, writePEM(t, dir, "http.crt", "CERTIFICATE", leafDER), writePEM(t, dir, "http.key", "PRIVATE KEY", keyDER)
}

func writePEM(t testing.TB, dir, name, blockType string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
