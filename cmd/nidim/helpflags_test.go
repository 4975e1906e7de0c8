package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flagNamesInSource returns the name of every flag that a non-test file
// of this package defines: the string literal that a FlagSet method such
// as String, IntVar or DurationVar takes as its name.
func flagNamesInSource(t *testing.T) []string {
	t.Helper()
	// The position of the name among the arguments of each method.
	nameArg := map[string]int{
		"String": 0, "Int": 0, "Int64": 0, "Uint": 0, "Uint64": 0, "Float64": 0, "Bool": 0, "Duration": 0, "Func": 0, "BoolFunc": 0,
		"StringVar": 1, "IntVar": 1, "Int64Var": 1, "UintVar": 1, "Uint64Var": 1, "Float64Var": 1, "BoolVar": 1, "DurationVar": 1, "Var": 1, "TextVar": 1,
	}
	flagName := regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	seen := map[string]bool{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			i, ok := nameArg[sel.Sel.Name]
			if !ok || i >= len(call.Args) {
				return true
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if name, err := strconv.Unquote(lit.Value); err == nil && flagName.MatchString(name) {
				seen[name] = true
			}
			return true
		})
	}

	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// acceptedFlags returns the names among candidates that the command
// prefix, such as "plot qq", accepts. Each probe passes the flag with the
// value 1 and then an unknown flag, so that parsing stops with an error
// before the command does any work.
func acceptedFlags(t *testing.T, prefix []string, candidates []string) []string {
	t.Helper()
	var accepted []string
	for _, name := range candidates {
		args := append(slices.Clone(prefix), "--"+name+"=1", "--nidim-probe-unknown")
		code, _, stderr := runCmd(args...)
		require.NotEqual(t, exitOK, code, "%v ran instead of rejecting --nidim-probe-unknown", args)
		if !strings.Contains(stderr, "unknown flag --"+name+";") && !strings.Contains(stderr, "unknown flag --"+name+" (") {
			accepted = append(accepted, name)
		}
	}
	return accepted
}

// helpFlags returns the flags that a help text documents: the lines
// that start with two spaces and "--NAME".
func helpFlags(help string) []string {
	entry := regexp.MustCompile(`(?m)^  --([a-z][a-z0-9-]*)`)
	var names []string
	for _, m := range entry.FindAllStringSubmatch(help, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return names
}

// Every flag that a command accepts has an entry in its help, and every
// flag entry of the help is accepted. plot and bench document all their
// kinds in one help text, so there each kind's flags must appear in it,
// and each flag of it must be accepted by some kind.
func TestHelpListsAcceptedFlags(t *testing.T) {
	candidates := flagNamesInSource(t)
	require.Contains(t, candidates, "max-replicates", "the source scan found no flags")

	single := []string{"train", "embed", "test", "eval", "score", "export", "serve", "sweep"}
	grouped := map[string][]string{
		"plot":  {"scatter", "qq", "hist", "curves", "tradeoff"},
		"bench": {"gemm", "step"},
	}
	var covered []string
	for _, name := range single {
		covered = append(covered, name)
		_, help, _ := runCmd("help", name)
		assert.Equal(t, helpFlags(help), acceptedFlags(t, []string{name}, candidates), "nidim help %s against the flags it accepts", name)
	}
	for name, kinds := range grouped {
		covered = append(covered, name)
		_, help, _ := runCmd("help", name)
		documented := helpFlags(help)
		var union []string
		for _, kind := range kinds {
			accepted := acceptedFlags(t, []string{name, kind}, candidates)
			for _, f := range accepted {
				assert.Contains(t, documented, f, "nidim %s %s accepts --%s, which nidim help %s does not list", name, kind, f, name)
				if !slices.Contains(union, f) {
					union = append(union, f)
				}
			}
		}
		for _, f := range documented {
			assert.Contains(t, union, f, "nidim help %s lists --%s, which no kind accepts", name, f)
		}
	}

	// version takes no flags, and every other command is checked above.
	for name := range commands {
		if name != "version" {
			assert.Contains(t, covered, name, "command %s has no flag check", name)
		}
	}
	_, help, _ := runCmd("help", "version")
	assert.Empty(t, helpFlags(help))
}

// A flag's description is wrapped to fill its lines: nidim help test broke
// the --max-replicates entry after "lets Holm over", and nidim help train
// the --resume entry after "Every model and training", leaving half a line
// empty. A line may end short only where the next word would not fit with
// some room to spare, or before a list that it introduces with a colon.
func TestHelpFlagEntriesFillLines(t *testing.T) {
	const slack = 16
	entry := regexp.MustCompile(`^  --\S+( \S+)?  +`)
	for name := range commands {
		_, help, _ := runCmd("help", name)
		lines := strings.Split(help, "\n")
		// column is the description column of the entry being read, 0
		// outside an entry, and -1 after a flag name so long that the
		// description starts on the next line.
		column := 0
		for i, line := range lines {
			indent := len(line) - len(strings.TrimLeft(line, " "))
			if m := entry.FindString(line); m != "" && len(m) < len(line) {
				column = len(m)
				continue
			}
			if strings.HasPrefix(line, "  --") {
				column = -1
				continue
			}
			if column == -1 {
				column = indent
				continue
			}
			if column == 0 || strings.TrimSpace(line) == "" || indent != column {
				column = 0
				continue
			}
			previous := strings.TrimRight(lines[i-1], " ")
			first := strings.Fields(line)[0]
			if strings.HasSuffix(previous, ":") {
				continue
			}
			assert.Greater(t, len(previous)+1+len(first), helpWidth-slack,
				"nidim help %s, line %d ends early: %q, then %q", name, i, previous, first)
		}
	}
}

// readmeCommands returns the nidim command lines of the README: those in
// its code blocks, without comments, and those in backquotes, with line
// breaks inside the quotes undone.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	fenced := regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")
	var texts []string
	for _, block := range fenced.FindAllStringSubmatch(string(data), -1) {
		for _, line := range strings.Split(block[1], "\n") {
			line, _, _ = strings.Cut(line, "#")
			texts = append(texts, line)
		}
	}
	prose := fenced.ReplaceAllString(string(data), "")
	for _, span := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(prose, -1) {
		texts = append(texts, strings.ReplaceAll(span[1], "\n", " "))
	}
	// A command ends at a pipe or a list separator.
	command := regexp.MustCompile(`(?:^|[\s|(;&])(nidim [^|;&]*)`)
	var lines []string
	for _, text := range texts {
		for _, m := range command.FindAllStringSubmatch(text, -1) {
			lines = append(lines, strings.TrimSpace(m[1]))
		}
	}
	return lines
}

// Every nidim command line in the README names a command, and a kind of
// plot or bench, that exists, with flags that it accepts.
func TestReadmeCommandsUseKnownFlags(t *testing.T) {
	lines := readmeCommands(t)
	require.Contains(t, lines, "nidim train", "the README's first command")
	kinds := map[string][]string{
		"plot":  {"scatter", "qq", "hist", "curves", "tradeoff"},
		"bench": {"gemm", "step"},
	}
	flagToken := regexp.MustCompile(`^--([a-z][a-z0-9-]*)`)
	for _, line := range lines {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[1] == "help" {
			continue
		}
		name := fields[1]
		if _, found := commands[name]; !found {
			t.Errorf("README: %q runs the unknown command %q", line, name)
			continue
		}
		prefix := []string{name}
		if options, grouped := kinds[name]; grouped {
			if len(fields) < 3 {
				continue // "nidim bench" in a list of commands
			}
			if !assert.Contains(t, options, fields[2], "README: %q", line) {
				continue
			}
			prefix = append(prefix, fields[2])
		}
		var flags []string
		for _, field := range fields[2:] {
			if m := flagToken.FindStringSubmatch(field); m != nil {
				flags = append(flags, m[1])
			}
		}
		assert.Equal(t, flags, acceptedFlags(t, prefix, flags), "README: %q uses a flag that nidim %s rejects", line, strings.Join(prefix, " "))
	}
}

// helpEntries returns the text of each flag entry of a help text, with
// its continuation lines joined, by flag name.
func helpEntries(help string) map[string]string {
	start := regexp.MustCompile(`^  --([a-z][a-z0-9-]*)`)
	entries := map[string]string{}
	current := ""
	for _, line := range strings.Split(help, "\n") {
		if m := start.FindStringSubmatch(line); m != nil {
			current = m[1]
			entries[current] += " " + strings.TrimSpace(line)
			continue
		}
		if current != "" && strings.HasPrefix(line, "   ") {
			entries[current] += " " + strings.TrimSpace(line)
			continue
		}
		current = ""
	}
	return entries
}

// Every flag that takes a value states its default in the help, or that
// it is required, or that the recipe ([r]) sets it. The help of --labels
// stated none, nor did sweep's --image-shape, plot's --out, and the
// --model of export and serve, which is required.
func TestHelpEntriesStateDefaults(t *testing.T) {
	prefixes := map[string][][]string{
		"plot":  {{"plot", "scatter"}, {"plot", "qq"}, {"plot", "hist"}, {"plot", "curves"}, {"plot", "tradeoff"}},
		"bench": {{"bench", "gemm"}, {"bench", "step"}},
	}
	for name := range commands {
		if name == "version" {
			continue
		}
		_, help, _ := runCmd("help", name)
		runs, grouped := prefixes[name]
		if !grouped {
			runs = [][]string{{name}}
		}
		for flagName, entry := range helpEntries(help) {
			boolean := false
			for _, prefix := range runs {
				args := append(slices.Clone(prefix), "--"+flagName+"=nidim-probe", "--nidim-probe-unknown")
				_, _, stderr := runCmd(args...)
				if strings.Contains(stderr, "use true or false") {
					boolean = true
				}
			}
			if boolean {
				continue
			}
			stated := strings.Contains(entry, "default") || strings.Contains(entry, "required") || strings.Contains(entry, "[r]")
			assert.True(t, stated, "nidim help %s: --%s states no default:%s", name, flagName, entry)
		}
	}
}
