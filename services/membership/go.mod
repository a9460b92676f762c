module github.com/tollgate/tollgate/services/membership

go 1.26.0
