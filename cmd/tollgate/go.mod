module github.com/tollgate/tollgate/cmd/tollgate

go 1.26.0

require (
	github.com/tollgate/tollgate/gateway v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/pkg v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/proto v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/export v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/membership v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/tenancy v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/token v0.0.0-00010101000000-000000000000
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
