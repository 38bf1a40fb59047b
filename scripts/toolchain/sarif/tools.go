//go:build tools

// Package tools pins go-sarif so that `go mod tidy` keeps it and its checksums.
package tools

import _ "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
