module github.com/tollgate/tollgate/gateway

go 1.26.0
