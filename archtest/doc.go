// Package archtest holds no code, only the architecture test
// (arch_test.go): it reads the module's import graph with `go list` and fails
// on an import that crosses the layers the design keeps apart. Every package
// of the module is named there with its role and a sentence saying why.
package archtest
