package gateway

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddresses finds a request's client address. Behind a reverse
// proxy (an ingress controller) every connection comes from the proxy, so
// X-Forwarded-For is believed — but only as far as it was written by
// proxies we trust: the address is the rightmost one that is not a trusted
// proxy. A client cannot choose its address by sending the header itself.
type clientAddresses struct {
	trusted []netip.Prefix
}

// parseTrustedProxies reads a comma-separated list of CIDRs or addresses.
func parseTrustedProxies(list string) (clientAddresses, error) {
	var c clientAddresses
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			addr, err := netip.ParseAddr(s)
			if err != nil {
				return c, fmt.Errorf("%q is not an IP address or CIDR", s)
			}
			s = netip.PrefixFrom(addr, addr.BitLen()).String()
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return c, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		c.trusted = append(c.trusted, p.Masked())
	}
	return c, nil
}

func (c clientAddresses) isTrusted(addr netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

// of returns the client address of r.
func (c clientAddresses) of(r *http.Request) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil || !c.isTrusted(addr) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer // a garbled header: trust nothing in it
		}
		if !c.isTrusted(hop) {
			return hop.Unmap().String()
		}
	}
	return peer
}
