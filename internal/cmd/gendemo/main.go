// Command gendemo writes the material of sovcheck's demo (package
// internal/demo) to a directory, made anew; `make demo` runs it and then
// judges the release with `sovcheck verify --rebuild --policy`.
//
//	go run ./internal/cmd/gendemo -out bin/demo
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/sovcheck/sovcheck/internal/demo"
)

func main() {
	out := flag.String("out", "bin/demo", "directory to write the demo material to (removed first)")
	flag.Parse()
	if err := demo.Generate(*out, time.Now()); err != nil {
		fmt.Fprintf(os.Stderr, "gendemo: error: %v\n", err)
		os.Exit(1)
	}
}
