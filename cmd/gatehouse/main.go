// Command gatehouse runs the Gatehouse identity and access service and
// administers it over its API.
package main

import (
	"os"
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}
