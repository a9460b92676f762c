// Command membershipd runs the membership service.
package main

import (
	"os"

	"github.com/tollgate/tollgate/pkg/component"

	"github.com/tollgate/tollgate/services/membership"
)

func main() { os.Exit(component.Main(membership.Component, membership.DefaultGRPCAddr)) }
