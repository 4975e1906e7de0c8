// Command nidim trains encoders whose embeddings follow a chosen prior,
// embeds data with them, and tests embeddings against the prior.
//
// Run "nidim help" for the list of subcommands and "nidim help CMD" for the
// flags of one.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/atomicfile"
	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/tensor"
)

// Exit statuses shared by every subcommand.
const (
	exitOK    = 0
	exitFail  = 1 // the run failed
	exitUsage = 2 // invalid usage or input
)

// command is one subcommand. Each lives in its own file and registers itself
// in init.
type command struct {
	name    string
	summary string // one line for "nidim help"
	// run executes the subcommand with the arguments after its name and
	// returns the exit status. Results go to stdout, errors and progress to
	// stderr.
	run func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("nidim: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	ram, limit := machineMemory()
	setMemoryLimit(os.Getenv("GOMEMLIMIT"), ram, limit)
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText())
		return exitUsage
	}
	if w := simdEnvWarning(); w != "" {
		fmt.Fprintf(stderr, "nidim: warning: %s\n", w)
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			return writeHelp("nidim help", usageText(), stdout, stderr)
		}
		switch rest[0] {
		case "help", "-h", "-help", "--help":
			return writeHelp("nidim help", usageText(), stdout, stderr)
		}
		c, ok := commands[rest[0]]
		if !ok {
			fmt.Fprintf(stderr, "nidim: unknown command %q%s; run \"nidim help\" for the list.\n", rest[0], commandSuggestion(rest[0]))
			return exitUsage
		}
		// stderr stays stderr, so that a help that cannot be written is
		// reported where the user sees it.
		return c.run([]string{"-help"}, stdout, stderr)
	}
	if name == "--version" || name == "-version" {
		name = "version"
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "nidim: unknown command %q%s; run \"nidim help\" for the list.\n", name, commandSuggestion(name))
		return exitUsage
	}
	return c.run(rest, stdout, stderr)
}

// commandSuggestion returns " (did you mean "NAME"?)" when one command
// name is the obvious intent of the unknown name, and "" otherwise.
func commandSuggestion(name string) string {
	// help is handled before the command table, but is a command too.
	names := []string{"help"}
	for n := range commands {
		names = append(names, n)
	}
	if match := closestName(name, names); match != "" {
		return fmt.Sprintf(" (did you mean %q?)", match)
	}
	return ""
}

// closestName returns the candidate that name most likely misspells, or
// "" when none is obvious. For a name of 2 or more characters, the only
// candidate that starts with name is obvious. Otherwise the obvious one is
// the only candidate nearest to name by edit distance, when that distance
// is at most 2 and less than the length of name.
func closestName(name string, candidates []string) string {
	if utf8.RuneCountInString(name) >= 2 {
		prefixed := ""
		count := 0
		for _, c := range candidates {
			if strings.HasPrefix(c, name) {
				prefixed = c
				count++
			}
		}
		if count == 1 {
			return prefixed
		}
	}
	best, bestDistance, ties := "", 3, 0
	for _, c := range candidates {
		d := editDistance(name, c)
		switch {
		case d < bestDistance:
			best, bestDistance, ties = c, d, 0
		case d == bestDistance:
			ties++
		}
	}
	if best == "" || ties > 0 || bestDistance >= utf8.RuneCountInString(name) {
		return ""
	}
	return best
}

// editDistance returns the Levenshtein distance between a and b: the
// fewest single-character insertions, deletions and substitutions that
// turn a into b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	previous := make([]int, len(rb)+1)
	current := make([]int, len(rb)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		current[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			current[j] = min(previous[j]+1, current[j-1]+1, previous[j-1]+cost)
		}
		previous, current = current, previous
	}
	return previous[len(rb)]
}

// usageText returns the help of nidim: the list of commands and the exit
// statuses.
func usageText() string {
	w := &strings.Builder{}
	fmt.Fprintln(w, "nidim learns embeddings that follow a chosen prior, with noise-injected")
	fmt.Fprintln(w, "Deep InfoMax.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: nidim COMMAND [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		writeHelpEntry(w, n, width, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run \"nidim help COMMAND\" for the flags of one command.")
	fmt.Fprintln(w)
	fmt.Fprint(w, exitStatusHelp)
	return w.String()
}

// writeHelp writes text, the help of the command name ("nidim sweep"), to
// stdout and returns exitOK. When the write fails, as on a full disk or a
// closed pipe, it reports the error on stderr and returns exitFail, as
// the commands do for their results.
func writeHelp(name, text string, stdout, stderr io.Writer) int {
	if !mnist.Embedded && strings.Contains(text, "built-in MNIST") {
		note := noMNISTHelp
		if name == "nidim serve" {
			// serve reads the built-in MNIST only as the default of
			// --train-data.
			note = noMNISTServeHelp
		}
		text += "\n" + note
	}
	if _, err := io.WriteString(stdout, text); err != nil {
		fmt.Fprintf(stderr, "%s: writing the help failed: %v.\n", name, err)
		return exitFail
	}
	return exitOK
}

// noMNISTHelp ends the help of a command that reads the built-in MNIST
// without --data, in a binary built with the tag nomnist.
const noMNISTHelp = `This nidim was built without the embedded MNIST (build tag nomnist), so
the built-in MNIST named above is missing and --data is required.
`

// noMNISTServeHelp ends the help of nidim serve in a binary built with
// the tag nomnist.
const noMNISTServeHelp = `This nidim was built without the embedded MNIST (build tag nomnist), so
the built-in MNIST named above is missing and --method knn needs
--train-data.
`

// exitStatusHelp is the part of "nidim help" on exit statuses.
const exitStatusHelp = `Exit status:
  0    success, and serve after a clean shutdown on a signal
  1    the run failed; also train and sweep stopped by Ctrl-C or another
       stop signal, after saving their work for --resume or a rerun
  2    invalid usage or input, found before any work
  128 plus the signal number (130 for Ctrl-C)
       any other command stopped by a signal, and train stopped during
       its evaluation
`

// helpWidth is the maximum line length of the help texts, in characters.
const helpWidth = 80

// writeHelpEntry writes name, padded to width, and its description,
// wrapped at spaces to helpWidth and indented under its first line.
func writeHelpEntry(w io.Writer, name string, width int, description string) {
	indent := 2 + width + 2
	for i, line := range wrapWords(description, helpWidth-indent) {
		if i == 0 {
			fmt.Fprintf(w, "  %s%s  %s\n", name, strings.Repeat(" ", width-utf8.RuneCountInString(name)), line)
		} else {
			fmt.Fprintf(w, "%s%s\n", strings.Repeat(" ", indent), line)
		}
	}
}

// wrapWords splits text at spaces into lines of at most width characters.
// A word longer than width gets a line of its own.
func wrapWords(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}

// flagErrorText rewrites an error of fs.Parse(args) in the words of the
// help texts: "unknown flag --x", "--lr needs a value", or "invalid --lr
// "abc": use a number". The package flag's own wording ("parse error")
// names neither what was expected nor the double-dash spelling users type.
func flagErrorText(fs *flag.FlagSet, args []string, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return "unknown flag " + typedFlag(fs, args, name) + flagSuggestion(fs, strings.TrimPrefix(name, "-"))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return "--" + name + " needs a value"
	}
	// invalid value "abc" for flag -lr: parse error
	// invalid boolean value "abc" for -json: parse error
	// invalid value "" for flag -ood: empty path; pass ...
	var value, name, reason string
	if _, rest, ok := strings.Cut(msg, "value "); ok && strings.HasPrefix(msg, "invalid ") {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			value, _ = strconv.Unquote(q)
			rest = strings.TrimPrefix(rest[len(q):], " for ")
			rest = strings.TrimPrefix(rest, "flag ")
			name, reason, _ = strings.Cut(strings.TrimPrefix(rest, "-"), ": ")
		}
	}
	f := fs.Lookup(name)
	if f == nil {
		return msg
	}
	// The parser of a flag.Func states what it expects, which the
	// generic advice below would replace.
	if reason != "" && reason != "parse error" && reason != "value out of range" {
		return fmt.Sprintf("invalid --%s %q: %s", name, value, reason)
	}
	want := "a valid value"
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case int, int64:
			want = "a whole number"
		case uint, uint64:
			want = "a whole number, 0 or more"
		case float64:
			want = "a number"
		case bool:
			want = "true or false"
		case time.Duration:
			want = "a duration with a unit, such as 1ms, 2s or 1m30s"
		}
	}
	if strings.HasSuffix(msg, "value out of range") {
		return fmt.Sprintf("invalid --%s %q: out of range; use %s that fits", name, value, want)
	}
	return fmt.Sprintf("invalid --%s %q: use %s", name, value, want)
}

// flagSuggestion returns " (did you mean --NAME?)" when one flag of fs is
// the obvious intent of the unknown flag name, and "" otherwise.
func flagSuggestion(fs *flag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if match := closestName(name, names); match != "" {
		return " (did you mean --" + match + "?)"
	}
	return ""
}

// typedFlag returns the undefined flag that stopped fs.Parse(args) as the
// user typed it, "--x" or "-x", without a value after "=". The package flag
// names it as "-x" in the error whatever the number of dashes. Parse has
// consumed the arguments up to and including that flag, so it is the one
// before fs.Args(). When that argument does not match name, typedFlag
// returns name.
func typedFlag(fs *flag.FlagSet, args []string, name string) string {
	i := len(args) - len(fs.Args()) - 1
	if i < 0 || i >= len(args) {
		return name
	}
	typed, _, _ := strings.Cut(args[i], "=")
	if strings.TrimLeft(typed, "-") != strings.TrimPrefix(name, "-") {
		return name
	}
	return typed
}

// commandLine returns a colon and then cmd on an indented line of its
// own, to end a message with a command the user may copy: sentence adds
// no period after it.
func commandLine(cmd string) string {
	return ":\n  " + cmd
}

// packagePrefixes are the "pkg: " prefixes of library errors that only name
// a Go package.
var packagePrefixes = []string{"dim: ", "tensor: ", "nn: ", "stats: ", "report: ", "mnist: "}

// sentence turns an error from the library into the one sentence the
// command prints: without the package prefixes, at the start or after the
// ": " of a wrapping message such as "saving the checkpoint failed: nn:
// ...", and ending with a period unless it ends with a commandLine.
func sentence(msg string) string {
	for {
		trimmed := msg
		for _, pkg := range packagePrefixes {
			trimmed = strings.TrimPrefix(trimmed, pkg)
			trimmed = strings.ReplaceAll(trimmed, ": "+pkg, ": ")
		}
		if trimmed == msg {
			break
		}
		msg = trimmed
	}
	msg = strings.TrimSpace(msg)
	lines := strings.Split(msg, "\n")
	if last := lines[len(lines)-1]; strings.HasPrefix(last, "  nidim ") {
		return msg
	}
	if msg != "" && !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// parseFlagsAndFiles parses flags that may come before, between or after
// at most maxFiles positional arguments, which it returns. The status is -1
// to continue, or the exit status after printing help or a usage error.
func parseFlagsAndFiles(fs *flag.FlagSet, args []string, maxFiles int, usage string, stdout, stderr io.Writer) ([]string, int) {
	fs.SetOutput(io.Discard)
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, writeHelp("nidim "+fs.Name(), usage, stdout, stderr)
			}
			fmt.Fprintf(stderr, "nidim %s: %s; run \"nidim help %s\" for the flags.\n", fs.Name(), flagErrorText(fs, args, err), fs.Name())
			return nil, exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		if flagName := boolFlagBefore(fs, args, len(args)-fs.NArg()-1, fs.Arg(0)); flagName != "" {
			fmt.Fprintf(stderr, "nidim %s: %s takes no separate value, so %q after it is an argument; write %s=%s.\n", fs.Name(), flagName, fs.Arg(0), flagName, fs.Arg(0))
			return nil, exitUsage
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) > maxFiles {
		if maxFiles == 0 {
			fmt.Fprintf(stderr, "nidim %s: unexpected argument %q; pass only flags.\n", fs.Name(), files[0])
		} else {
			fmt.Fprintf(stderr, "nidim %s: unexpected argument %q after %q; run \"nidim help %s\" for the usage.\n", fs.Name(), files[maxFiles], files[maxFiles-1], fs.Name())
		}
		return nil, exitUsage
	}
	return files, -1
}

// boolFlagBefore returns the flag as written, such as "--standardize",
// when args[at] is a boolean flag of fs without "=" and value, the
// argument after it, is a boolean such as "false", and "" otherwise. The
// flag package sets a boolean flag written so to true and leaves the
// value as a positional argument, so "--standardize false" would turn
// standardization on.
func boolFlagBefore(fs *flag.FlagSet, args []string, at int, value string) string {
	if at < 0 || at >= len(args) {
		return ""
	}
	written := args[at]
	name := strings.TrimPrefix(strings.TrimPrefix(written, "-"), "-")
	if name == written || name == "" || strings.Contains(name, "=") {
		return ""
	}
	f := fs.Lookup(name)
	if f == nil {
		return ""
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
		return ""
	}
	if _, err := strconv.ParseBool(value); err != nil {
		return ""
	}
	return written
}

// existingCheckpoint returns the run state of the checkpoint at an output
// path, or nil when there is no file or an empty one, which contains
// nothing to lose. It rejects a file other than a checkpoint (embeddings,
// data, notes), which the output would replace without a word. work names
// the command that would replace it, such as "training". It reads the
// header and streams the values through the checksum, so a large
// checkpoint at the output costs little memory before training starts.
func existingCheckpoint(flagName, path, work string) (*dim.RunState, error) {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() == 0 {
		return nil, nil
	}
	m, err := dim.ReadRunState(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s exists and is not a checkpoint that nidim can read, and %s would replace it; choose another %s, or delete the file if you no longer need it", flagName, path, work, flagName)
	}
	return m, nil
}

// checkpointNameNote returns a note when path, the --out of a command
// that writes a safetensors checkpoint, has the extension of a matrix
// file, and "" otherwise. The commands that take a model read such a file
// by its content, but nidim test and plot read it as a matrix by its
// extension and reject it with a format error.
func checkpointNameNote(path string) string {
	if tensor.CheckMatrixOutputName(path) != nil {
		return ""
	}
	base := path
	if ext := filepath.Ext(base); strings.EqualFold(ext, ".gz") {
		base = strings.TrimSuffix(base, ext)
	}
	base = strings.TrimSuffix(base, filepath.Ext(base))
	return fmt.Sprintf("--out %s has the extension of a matrix file, but it receives a safetensors checkpoint, which nidim test and plot would reject as an invalid matrix; pass a .safetensors name, such as --out %s",
		shellQuote(path), shellQuote(base+".safetensors"))
}

// threadsNote returns a note when --threads n requests more goroutines
// than the CPUs that Go runs them on (GOMAXPROCS), and "" otherwise. The
// goroutines then take turns, which usually slows the run down. Training
// rounds its sums by the thread count, so when training is set the note
// adds that such a count serves to repeat the bits of a run made on a
// larger machine.
func threadsNote(n int, training bool) string {
	cpus := runtime.GOMAXPROCS(0)
	if n <= cpus {
		return ""
	}
	note := fmt.Sprintf("--threads %d is more than the %s that Go can use here, so the goroutines take turns and the run is usually slower than with --threads 0 (all cores)",
		n, plural(cpus, "CPU", "CPUs"))
	if training {
		note += "; a larger count helps only to repeat the bits of a run trained with that many threads"
	}
	return note
}

// printNote prints note on w as the line "PREFIX: note: NOTE", unless note
// is empty. prefix names the command, such as "nidim train".
func printNote(w io.Writer, prefix, note string) {
	if note != "" {
		fmt.Fprintf(w, "%s: note: %s\n", prefix, note)
	}
}

// sameFile reports whether the paths a and b name one file. For two
// existing files that is whether they are the same file, also through a
// link. Otherwise it is whether the cleaned paths are equal.
func sameFile(a, b string) bool {
	aInfo, aErr := os.Stat(a)
	bInfo, bErr := os.Stat(b)
	if aErr == nil && bErr == nil {
		return os.SameFile(aInfo, bInfo)
	}
	return filepath.Clean(a) == filepath.Clean(b)
}

// notWrittenAdvice returns the advice after a failed atomic write of the
// --out file path, which atomicfile.Write leaves as it was. The command
// has checked path with checkOutputPath, so the disk space or the file
// size limit is the likely cause.
func notWrittenAdvice(path string) string {
	return fmt.Sprintf("%s was not written; free disk space, raise the file size limit (ulimit -f), or pass another --out, such as one on another file system", path)
}

// inputFile is a file that a command reads, named by its flag.
type inputFile struct{ flag, path string }

// checkOutputPath rejects an output path that cannot be written: its
// directory is missing or read-only, it names a directory or a read-only
// file, or it names one of inputs, which the output would replace. It
// also rejects "-", which elsewhere means standard output. A command then
// fails before its work instead of after it. For a symbolic link the
// checks apply to the file that atomicfile.Write replaces through it.
func checkOutputPath(flagName, path string, inputs ...inputFile) error {
	// embed and score handle - as standard output before they call this.
	if path == stdoutPath {
		return fmt.Errorf("%s - would create a file named \"-\", because only embed and score write to standard output; pass a file path, or ./- for a file of that name", flagName)
	}
	target, err := atomicfile.Target(path)
	if err != nil {
		return fmt.Errorf("%s %s: %v", flagName, path, err)
	}
	// name is path in messages, with the link's target when they differ.
	name := path
	if target != path {
		name = fmt.Sprintf("%s (a symbolic link to %s)", path, target)
	}
	fi, err := os.Stat(path)
	if err == nil && fi.IsDir() {
		return fmt.Errorf("%s %s is a directory; pass a file path inside it", flagName, path)
	}
	for _, in := range inputs {
		if in.path == "" {
			continue
		}
		// A dangling link's target does not exist yet, so only its name
		// can match.
		if sameFile(in.path, path) || filepath.Clean(in.path) == filepath.Clean(target) {
			return fmt.Errorf("%s %s is the %s file too, and writing the output would replace it; choose another %s", flagName, name, in.flag, flagName)
		}
	}
	dir := filepath.Dir(target)
	// A service may run in another working directory than its author
	// expects, so messages give a relative directory's absolute path too.
	dirName := dir
	if abs, err := filepath.Abs(dir); err == nil && abs != dir {
		dirName = fmt.Sprintf("%s (%s)", dir, abs)
	}
	fi, err = os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the directory %s of %s %s does not exist; create it or choose another path", dirName, flagName, name)
	case err != nil:
		return fmt.Errorf("%s %s: %v", flagName, name, err)
	case !fi.IsDir():
		return fmt.Errorf("%s %s is inside %s, which is not a directory; choose another path", flagName, name, dirName)
	}
	// The output replaces the target by a rename, which a read-only file
	// would not stop, so its permission is checked here, with the
	// directory's.
	if f, err := os.OpenFile(target, os.O_WRONLY, 0); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s cannot be written (%v); choose another path or change its permissions", flagName, name, errors.Unwrap(err))
	}
	probe, err := os.CreateTemp(dir, ".nidim-write-check-*")
	if err != nil {
		return fmt.Errorf("%s %s: cannot create files in %s: %v; choose another directory or change its permissions", flagName, name, dirName, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// plural returns n with the singular or plural noun: "1 epoch", "2 epochs".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// simdEnvWarning describes a NIDIM_SIMD setting that the kernels could not
// follow: a misspelled level, which selects the slow generic kernels, or
// one that this CPU lacks. It returns "" for an empty or followed setting.
func simdEnvWarning() string {
	name := os.Getenv(simd.EnvVar)
	if name == "" {
		return ""
	}
	active := simd.Active().Level
	want, err := simd.ParseLevel(name)
	if err != nil {
		return fmt.Sprintf("%s=%s names no SIMD level (%s), so the kernels use %s", simd.EnvVar, name, strings.TrimPrefix(err.Error(), "simd: "), active)
	}
	if arch := want.Arch(); arch != "" && arch != runtime.GOARCH {
		return fmt.Sprintf("%s=%s names an %s level, which caps nothing on %s, so the kernels use %s", simd.EnvVar, name, arch, runtime.GOARCH, active)
	}
	// Active follows the variable, capped by what the CPU supports, so it
	// differs only when that cap applied.
	if want > active {
		return fmt.Sprintf("%s=%s: this CPU or build lacks %s, so the kernels use %s", simd.EnvVar, name, want, active)
	}
	return ""
}
