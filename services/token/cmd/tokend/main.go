// Command tokend runs the token service.
package main

import (
	"os"

	"github.com/tollgate/tollgate/pkg/component"

	"github.com/tollgate/tollgate/services/token"
)

func main() { os.Exit(component.Main(token.Component, token.DefaultGRPCAddr)) }
