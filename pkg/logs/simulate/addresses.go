package simulate

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// client is one machine on the device's LAN; records about it stay
// consistent (same address, MAC, name and user) all day long.
type client struct {
	ip, mac, host, user string
	kind                clientKind
}

// newClients makes the LAN: addresses in 192.168.1.0/24 and 10.10.0.0/16.
func newClients(rng *rand.Rand, n int) []client {
	out := make([]client, n)
	for i := range out {
		kind := clientKinds[rng.IntN(len(clientKinds))]
		ip := fmt.Sprintf("192.168.1.%d", 20+i)
		if i%3 == 2 {
			ip = fmt.Sprintf("10.10.%d.%d", 1+rng.IntN(8), 2+rng.IntN(250))
		}
		user := users[rng.IntN(len(users))]
		out[i] = client{
			ip:   ip,
			mac:  kind.oui + fmt.Sprintf(":%02X:%02X:%02X", rng.IntN(256), rng.IntN(256), rng.IntN(256)),
			host: fmt.Sprintf("%s-%s-%02d", user, strings.ToLower(strings.ReplaceAll(kind.kind, " ", "")), i),
			user: user,
			kind: kind,
		}
	}
	return out
}

func addressIn(rng *rand.Rand, prefixes [][2]byte) string {
	p := prefixes[rng.IntN(len(prefixes))]
	return fmt.Sprintf("%d.%d.%d.%d", p[0], p[1], rng.IntN(256), 1+rng.IntN(254))
}

// publicServer is an address of a large real server network.
func publicServer(rng *rand.Rand) string { return addressIn(rng, publicPrefixes) }

// hostileAddress is a public address of the kind attacks come from.
func hostileAddress(rng *rand.Rand) string { return addressIn(rng, hostilePrefixes) }

// ephemeralPort is a client-side source port.
func ephemeralPort(rng *rand.Rand) uint32 { return uint32(49152 + rng.IntN(16384)) }

func hexString(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.IntN(len(digits))]
	}
	return string(b)
}

func pick[T any](rng *rand.Rand, items []T) T { return items[rng.IntN(len(items))] }
