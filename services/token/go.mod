module github.com/tollgate/tollgate/services/token

go 1.26.0
