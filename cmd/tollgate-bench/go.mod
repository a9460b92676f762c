module github.com/tollgate/tollgate/cmd/tollgate-bench

go 1.26.0

require (
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.34.0
	github.com/tollgate/tollgate/gateway v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/pkg v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/proto v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/export v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/membership v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/tenancy v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/token v0.0.0-00010101000000-000000000000
	golang.org/x/sync v0.25.0
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go v1.36.12-20260825204119-511051f7f437.1 // indirect
	buf.build/go/protovalidate v1.4.0 // indirect
	cel.dev/cel-go v0.32.0 // indirect
	cel.dev/expr v0.25.3 // indirect
	github.com/antlr4-go/antlr/v4 v4.13.1 // indirect
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-jose/go-jose/v4 v4.1.9 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/prometheus/client_golang v1.25.0 // indirect
	github.com/prometheus/client_model v0.6.3 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/exp v0.0.0-20261113113407-e3970619a1a4 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	golang.org/x/time v0.16.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20261110000943-09e21b237f2c // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261110000943-09e21b237f2c // indirect
)

replace (
	github.com/tollgate/tollgate/gateway => ../../gateway
	github.com/tollgate/tollgate/pkg => ../../pkg
	github.com/tollgate/tollgate/proto => ../../proto
	github.com/tollgate/tollgate/services/export => ../../services/export
	github.com/tollgate/tollgate/services/membership => ../../services/membership
	github.com/tollgate/tollgate/services/tenancy => ../../services/tenancy
	github.com/tollgate/tollgate/services/token => ../../services/token
)
