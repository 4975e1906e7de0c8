//go:build !unix

package main

import "errors"

func spawnTarget(o *options, path string, maxQueue int) (*target, error) {
	return nil, errors.New("--nidim needs a Unix system, which can stop the child server with SIGTERM")
}
