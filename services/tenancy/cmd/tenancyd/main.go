// Command tenancyd runs the tenancy service.
package main

import (
	"os"

	"github.com/tollgate/tollgate/pkg/component"

	"github.com/tollgate/tollgate/services/tenancy"
)

func main() { os.Exit(component.Main(tenancy.Component, tenancy.DefaultGRPCAddr)) }
