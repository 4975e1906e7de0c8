//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// maxLinesBeforeStart is how many log lines of nidim serve the start line
// with the address may follow.
const maxLinesBeforeStart = 20

// spawnTarget starts "nidim serve" as a child process on 127.0.0.1 with a
// port the kernel picks, and reads the address from its start line.
func spawnTarget(o *options, path string, maxQueue int) (*target, error) {
	cmd := exec.Command(o.nidim, "serve", path, "--addr", "127.0.0.1:0", "--log-format", "json",
		"--max-batch", strconv.Itoa(o.maxBatch), "--max-wait", o.maxWait.String(),
		"--max-queue", strconv.Itoa(maxQueue), "--max-body", strconv.FormatInt(o.maxBody, 10),
		"--threads", strconv.Itoa(o.threads))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s serve: %w", o.nidim, err)
	}

	// Notes on the checkpoint, such as the one on an unfinished run, come
	// before the start line with the address. Later lines are kept for the
	// error message of a failed stop.
	lines := bufio.NewScanner(stderr)
	addr, before := serveAddress(lines)
	if addr == "" {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s serve did not log its address; its log began with %q", o.nidim, before)
	}
	var mu sync.Mutex
	var tail []string
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for lines.Scan() {
			mu.Lock()
			tail = append(tail, lines.Text())
			if len(tail) > 5 {
				tail = tail[1:]
			}
			mu.Unlock()
		}
	}()

	pid := cmd.Process.Pid
	return &target{
		base: "http://" + addr, maxBody: o.maxBody, maxQueue: maxQueue,
		serverCPU: func() time.Duration { return childCPU(pid) },
		stop: func() error {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				return err
			}
			<-drained
			err := cmd.Wait()
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				mu.Lock()
				defer mu.Unlock()
				return fmt.Errorf("nidim serve exited with %v after SIGTERM; last log lines:\n%s", exit, strings.Join(tail, "\n"))
			}
			return err
		},
	}, nil
}

// childCPU returns the user and system CPU time of process pid from
// /proc/PID/stat, or 0 where /proc is missing.
//
// NOTE: the clock tick is taken as 1/100 s, the value of USER_HZ on Linux
// for x86 and arm64; Go reads no sysconf(_SC_CLK_TCK) without cgo.
func childCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces: state is field 3, utime 14 and stime 15.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// serveAddress reads JSON log lines of nidim serve up to its start line
// and returns the address it gives, or "" when the first
// maxLinesBeforeStart lines hold none, and the lines before it.
func serveAddress(lines *bufio.Scanner) (addr string, before []string) {
	for len(before) < maxLinesBeforeStart && lines.Scan() {
		var start struct{ Msg, Addr string }
		if json.Unmarshal(lines.Bytes(), &start) == nil && start.Msg == "serving" {
			return start.Addr, before
		}
		before = append(before, lines.Text())
	}
	return "", before
}
