package gateway

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddress(t *testing.T) {
	c, err := parseTrustedProxies("10.0.0.0/8, 192.168.1.7")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		remote, xff, want string
	}{
		{"203.0.113.9:5000", "", "203.0.113.9"},                        // direct client
		{"203.0.113.9:5000", "1.2.3.4", "203.0.113.9"},                 // untrusted peer: header ignored
		{"10.1.2.3:5000", "198.51.100.4", "198.51.100.4"},              // via a trusted proxy
		{"10.1.2.3:5000", "6.6.6.6, 198.51.100.4", "198.51.100.4"},     // a client-sent hop is not believed
		{"10.1.2.3:5000", "198.51.100.4, 192.168.1.7", "198.51.100.4"}, // two trusted proxies
		{"10.1.2.3:5000", "", "10.1.2.3"},                              // proxy without header
		{"10.1.2.3:5000", "garbage", "10.1.2.3"},                       // garbled header
		{"[::ffff:10.1.2.3]:5000", "198.51.100.4", "198.51.100.4"},     // IPv4-mapped proxy
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := c.of(r); got != tc.want {
			t.Errorf("remote %s xff %q: got %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
	if _, err := parseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Fatal("bad CIDR accepted")
	}
	if none, _ := parseTrustedProxies(""); none.of(httptest.NewRequest("GET", "/", nil)) != "192.0.2.1" {
		t.Fatal("without trusted proxies the peer address is the client")
	}
}
