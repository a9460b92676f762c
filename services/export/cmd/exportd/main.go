// Command exportd runs the export service.
package main

import (
	"os"

	"github.com/tollgate/tollgate/pkg/component"

	"github.com/tollgate/tollgate/services/export"
)

func main() { os.Exit(component.Main(export.Component, export.DefaultGRPCAddr)) }
