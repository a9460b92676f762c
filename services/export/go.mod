module github.com/tollgate/tollgate/services/export

go 1.26.0
