module github.com/tollgate/tollgate/cmd/tollgate

go 1.26.0
