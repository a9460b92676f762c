package check

// Component is one of Tollgate's five binaries and images.
type Component struct {
	Name    string // tenancy, membership, token, export, gateway
	Binary  string // the binary's name, e.g. tenancyd
	Package string // its Go package, relative to the repository root
	Port    int    // the gRPC port (services) or HTTP port (gateway)
	Service bool   // a bbolt-backed gRPC service (a StatefulSet); false for the gateway
}

// Components are every component, in the order of docs/architecture.md.
var Components = []Component{
	{Name: "tenancy", Binary: "tenancyd", Package: "./services/tenancy/cmd/tenancyd", Port: 9101, Service: true},
	{Name: "membership", Binary: "membershipd", Package: "./services/membership/cmd/membershipd", Port: 9102, Service: true},
	{Name: "token", Binary: "tokend", Package: "./services/token/cmd/tokend", Port: 9103, Service: true},
	{Name: "export", Binary: "exportd", Package: "./services/export/cmd/exportd", Port: 9104, Service: true},
	{Name: "gateway", Binary: "gatewayd", Package: "./gateway/cmd/gatewayd", Port: 8080},
}

// ComponentByName returns the named component.
func ComponentByName(name string) (Component, bool) {
	for _, c := range Components {
		if c.Name == name {
			return c, true
		}
	}
	return Component{}, false
}

// Image user and paths, shared by the image builder and the manifest rules.
const (
	// UID and GID of the unprivileged user every image runs as.
	UID = 65532
	GID = 65532
	// DataDir is where services keep their bbolt file (a volume in Kubernetes).
	DataDir = "/data"
	// BinDir holds the binary in the image.
	BinDir = "/usr/local/bin"
)
