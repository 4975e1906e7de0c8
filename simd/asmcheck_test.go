package simd

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// This file checks the assembly sources without running them:
//
//   - amd64: every TEXT states its signature and a "Requires:" list. Each
//     instruction's CPU features are in that list and in the cpuSupports
//     guard of the level the TEXT belongs to, which its symbol names (AVX2
//     or AVX512). A TEXT that touches YMM or ZMM registers runs VZEROUPPER
//     on every path to RET.
//   - arm64: every WORD carries the instruction it encodes in a comment, the
//     comment re-encodes to the same word, and no code names R18 (the
//     platform register) or R28 (g).
//
// Macros (#define) are expanded, so instructions inside them count for the
// TEXT that uses them.

// asmInstr is one instruction or label of a TEXT after macro expansion.
type asmInstr struct {
	line    int    // line in the source file
	label   string // set for a label, which has no op
	op      string // mnemonic with any suffix, such as VMOVUPS.Z
	args    string
	comment string // text after // or inside /* */ on the source line
}

// asmText is one TEXT symbol with the comment lines right above it.
type asmText struct {
	name     string
	line     int
	funcLine bool     // a "// func name(" line is present
	requires []string // nil when there is no "Requires:" line
	body     []asmInstr
}

type asmMacro struct {
	params []string
	body   string
}

var (
	textRe    = regexp.MustCompile(`^TEXT\s+·(\w+)\(SB\)`)
	labelRe   = regexp.MustCompile(`^(\w+):\s*(.*)$`)
	defineRe  = regexp.MustCompile(`(?s)^#define\s+(\w+)(\(([^)]*)\))?\s*(.*)$`)
	callRe    = regexp.MustCompile(`^(\w+)\s*(\((.*)\))?$`)
	commentRe = regexp.MustCompile(`/\*(.*?)\*/|//(.*)$`)
)

// splitComment returns code without comments, and the comment text.
func splitComment(s string) (code, comment string) {
	var texts []string
	code = commentRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := commentRe.FindStringSubmatch(m)
		texts = append(texts, strings.TrimSpace(sub[1]+sub[2]))
		return " "
	})
	return strings.TrimSpace(code), strings.Join(texts, " ")
}

// splitArgs splits a macro's argument list at commas outside parentheses.
func splitArgs(s string) []string {
	var args []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case ',':
			if depth == 0 {
				args = append(args, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(args, strings.TrimSpace(s[start:]))
}

// parseAsm splits src into TEXT symbols with their instructions.
func parseAsm(src string) ([]asmText, error) {
	// Join continuation lines, remembering where each logical line starts.
	type logical struct {
		line int
		text string
	}
	var lines []logical
	var cur strings.Builder
	start := 0
	for i, l := range strings.Split(src, "\n") {
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(l, `\`) {
			cur.WriteString(strings.TrimSuffix(l, `\`))
			cur.WriteString("\n")
			continue
		}
		cur.WriteString(l)
		lines = append(lines, logical{start, cur.String()})
		cur.Reset()
	}

	macros := map[string]asmMacro{}
	var texts []asmText
	var above []string // comment lines right above the current line
	for _, l := range lines {
		trimmed := strings.TrimSpace(l.text)
		if m := defineRe.FindStringSubmatch(trimmed); m != nil {
			var params []string
			if m[2] != "" {
				params = splitArgs(m[3])
			}
			macros[m[1]] = asmMacro{params: params, body: m[4]}
			above = nil
			continue
		}
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		code, comment := splitComment(trimmed)
		if code == "" {
			if strings.HasPrefix(trimmed, "//") {
				above = append(above, comment)
			} else {
				above = nil
			}
			continue
		}
		if m := textRe.FindStringSubmatch(code); m != nil {
			t := asmText{name: m[1], line: l.line}
			for _, c := range above {
				if strings.HasPrefix(c, "func "+t.name+"(") {
					t.funcLine = true
				}
				if r, ok := strings.CutPrefix(c, "Requires:"); ok {
					t.requires = []string{}
					for _, f := range strings.Split(r, ",") {
						if f = strings.TrimSpace(f); f != "" {
							t.requires = append(t.requires, f)
						}
					}
				}
			}
			texts = append(texts, t)
			above = nil
			continue
		}
		above = nil
		if len(texts) == 0 {
			continue
		}
		t := &texts[len(texts)-1]
		if m := labelRe.FindStringSubmatch(code); m != nil {
			t.body = append(t.body, asmInstr{line: l.line, label: m[1]})
			code = m[2]
		}
		var err error
		t.body, err = expandMacros(t.body, macros, code, l.line, comment, 0)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", l.line, err)
		}
	}
	return texts, nil
}

// expandMacros appends the instructions of code to body, expanding macro calls.
func expandMacros(body []asmInstr, macros map[string]asmMacro, code string, line int, comment string, depth int) ([]asmInstr, error) {
	if depth > 16 {
		return nil, fmt.Errorf("macros nested more than 16 deep")
	}
	for _, part := range strings.Split(code, ";") {
		part, partComment := splitComment(part)
		if partComment == "" {
			partComment = comment
		}
		if part == "" {
			continue
		}
		if m := callRe.FindStringSubmatch(part); m != nil {
			if mac, ok := macros[m[1]]; ok {
				text := mac.body
				if len(mac.params) > 0 {
					args := splitArgs(m[3])
					if len(args) != len(mac.params) {
						return nil, fmt.Errorf("macro %s takes %d arguments, got %d", m[1], len(mac.params), len(args))
					}
					for i, p := range mac.params {
						text = regexp.MustCompile(`\b`+regexp.QuoteMeta(p)+`\b`).ReplaceAllLiteralString(text, args[i])
					}
				}
				var err error
				body, err = expandMacros(body, macros, strings.ReplaceAll(text, "\n", " "), line, partComment, depth+1)
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		op, args, _ := strings.Cut(part, " ")
		body = append(body, asmInstr{line: line, op: op, args: strings.TrimSpace(args), comment: partComment})
	}
	return body, nil
}

var (
	vecRegRe  = regexp.MustCompile(`\b([XYZ])(\d+)\b`)
	maskRegRe = regexp.MustCompile(`\bK[0-7]\b`)
)

// x86 mnemonics (without suffix) that need a feature beyond the base of
// their encoding. The lists cover the instructions these kernels are likely
// to use, not the whole ISA.
var (
	avx2Ops = setOf("VPBROADCASTB", "VPBROADCASTW", "VPBROADCASTD", "VPBROADCASTQ",
		"VBROADCASTI128", "VPERMD", "VPERMPS", "VPERMQ", "VPERMPD", "VPERM2I128",
		"VINSERTI128", "VEXTRACTI128", "VPMASKMOVD", "VPMASKMOVQ", "VPSLLVD",
		"VPSLLVQ", "VPSRLVD", "VPSRLVQ", "VPSRAVD", "VPBLENDD", "VGATHERDPS",
		"VGATHERQPS", "VGATHERDPD", "VGATHERQPD", "VPGATHERDD", "VPGATHERQD",
		"VPGATHERDQ", "VPGATHERQQ")
	avx512Ops = setOf("VPXORD", "VPXORQ", "VPANDD", "VPANDQ", "VPORD", "VPORQ",
		"VPANDND", "VPANDNQ", "VMOVDQU32", "VMOVDQU64", "VMOVDQA32", "VMOVDQA64",
		"VEXTRACTF32X4", "VEXTRACTF64X4", "VEXTRACTI32X4", "VEXTRACTI64X4",
		"VINSERTF32X4", "VINSERTF64X4", "VINSERTI32X4", "VINSERTI64X4",
		"VBROADCASTF32X4", "VBROADCASTF64X4", "VBROADCASTI32X4", "VBROADCASTI64X4",
		"VPTERNLOGD", "VPTERNLOGQ", "VPERMT2PS", "VPERMI2PS", "VCOMPRESSPS",
		"VEXPANDPS", "VRCP14PS", "VRSQRT14PS", "VSCALEFPS", "VGETEXPPS", "VGETMANTPS",
		"VRNDSCALEPS", "VPCMPD", "VPCMPUD", "VFIXUPIMMPS")
	avx512DQOps = setOf("VXORPS", "VXORPD", "VANDPS", "VANDPD", "VANDNPS", "VANDNPD",
		"VORPS", "VORPD", "VEXTRACTF32X8", "VEXTRACTF64X2", "VEXTRACTI32X8",
		"VEXTRACTI64X2", "VINSERTF32X8", "VINSERTF64X2", "VINSERTI32X8",
		"VINSERTI64X2", "VBROADCASTF32X8", "VBROADCASTF64X2", "VBROADCASTI32X8",
		"VBROADCASTI64X2", "VBROADCASTF32X2", "VBROADCASTI32X2", "VFPCLASSPS",
		"VFPCLASSPD", "VFPCLASSSS", "VFPCLASSSD", "VRANGEPS", "VRANGEPD",
		"VREDUCEPS", "VREDUCEPD", "VPMULLQ", "VPMOVM2D", "VPMOVM2Q", "VPMOVD2M",
		"VPMOVQ2M", "VCVTPS2QQ", "VCVTQQ2PS", "VCVTTPS2QQ", "VCVTPD2QQ", "VCVTQQ2PD")
	avx512BWOps = regexp.MustCompile(`^(VP\w*(B|W|BW|WB|WD|SW|UBSW)|VMOVDQU8|VMOVDQU16|VDBPSADBW|VPERMW)$`)
	scalarOps   = map[string]string{
		"ANDNL": "BMI1", "ANDNQ": "BMI1", "BEXTRL": "BMI1", "BEXTRQ": "BMI1",
		"BLSIL": "BMI1", "BLSIQ": "BMI1", "BLSRL": "BMI1", "BLSRQ": "BMI1",
		"TZCNTL": "BMI1", "TZCNTQ": "BMI1",
		"BZHIL": "BMI2", "BZHIQ": "BMI2", "MULXL": "BMI2", "MULXQ": "BMI2",
		"PDEPL": "BMI2", "PDEPQ": "BMI2", "PEXTL": "BMI2", "PEXTQ": "BMI2",
		"RORXL": "BMI2", "RORXQ": "BMI2", "SARXL": "BMI2", "SARXQ": "BMI2",
		"SHLXL": "BMI2", "SHLXQ": "BMI2", "SHRXL": "BMI2", "SHRXQ": "BMI2",
		"POPCNTL": "POPCNT", "POPCNTQ": "POPCNT", "LZCNTL": "LZCNT", "LZCNTQ": "LZCNT",
		"MOVSHDUP": "SSE3", "MOVSLDUP": "SSE3", "HADDPS": "SSE3", "MOVDDUP": "SSE3",
		"PSHUFB": "SSSE3", "PALIGNR": "SSSE3",
		"ROUNDPS": "SSE4", "ROUNDSS": "SSE4", "DPPS": "SSE4", "BLENDPS": "SSE4",
		"BLENDVPS": "SSE4", "PMULLD": "SSE4", "PTEST": "SSE4", "INSERTPS": "SSE4",
		"EXTRACTPS": "SSE4",
	}
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// x86Features returns the cpuid feature names that instruction in needs,
// spelled as in the Requires lines and cpuSupports (AVX, FMA3, AVX512F, ...).
func x86Features(in asmInstr) []string {
	base, suffix, _ := strings.Cut(in.op, ".")
	var usesY, usesZ, usesHigh bool
	for _, m := range vecRegRe.FindAllStringSubmatch(in.args, -1) {
		n, _ := strconv.Atoi(m[2])
		usesY = usesY || m[1] == "Y"
		usesZ = usesZ || m[1] == "Z"
		usesHigh = usesHigh || n >= 16
	}
	usesK := maskRegRe.MatchString(in.args)

	if strings.HasPrefix(base, "K") {
		switch {
		case strings.HasSuffix(base, "W") && base != "KADDW" && base != "KTESTW":
			return []string{"AVX512F"}
		case strings.HasSuffix(base, "B") || base == "KADDW" || base == "KTESTW":
			return []string{"AVX512DQ"}
		default:
			return []string{"AVX512BW"}
		}
	}
	if !strings.HasPrefix(base, "V") {
		if f, ok := scalarOps[base]; ok {
			return []string{f}
		}
		return nil
	}

	evex := suffix != "" || usesZ || usesK || usesHigh || avx512Ops[base]
	if evex {
		features := []string{"AVX512F"}
		if avx512DQOps[base] {
			features = append(features, "AVX512DQ")
		}
		if avx512BWOps.MatchString(base) {
			features = append(features, "AVX512BW")
		}
		if !usesZ && vecRegRe.MatchString(in.args) {
			features = append(features, "AVX512VL")
		}
		return features
	}

	features := []string{"AVX"}
	switch {
	case strings.HasPrefix(base, "VFMADD"), strings.HasPrefix(base, "VFMSUB"),
		strings.HasPrefix(base, "VFNMADD"), strings.HasPrefix(base, "VFNMSUB"):
		features = append(features, "FMA3")
	case base == "VCVTPH2PS", base == "VCVTPS2PH":
		features = append(features, "F16C")
	case avx2Ops[base], strings.HasPrefix(base, "VP") && usesY:
		features = append(features, "AVX2")
	case base == "VBROADCASTSS" || base == "VBROADCASTSD":
		// The register-source forms came with AVX2.
		if src, _, _ := strings.Cut(in.args, ","); vecRegRe.MatchString(src) {
			features = append(features, "AVX2")
		}
	}
	return features
}

// impliedFeatures lists features that a Requires line may leave out because
// every CPU with the key feature has them. They only excuse the Requires
// line: the guard of the level must still test each feature used.
var impliedFeatures = map[string][]string{
	"AVX2":    {"AVX"},
	"FMA3":    {"AVX"},
	"AVX512F": {"AVX", "AVX2", "FMA3"},
}

// baselineFeatures are the features every amd64 CPU has (GOAMD64=v1), so
// code that needs only these runs without a guard.
var baselineFeatures = []string{"SSE", "SSE2"}

// baselineLevel names the guard-free level of code that needs only
// baselineFeatures.
const baselineLevel = "baseline"

// textLevel returns the level a TEXT belongs to. A symbol that names AVX512
// or AVX2 decides. Otherwise an AVX-512 feature in the Requires line means
// AVX512, any other feature beyond the amd64 baseline means AVX2, and the
// rest is baseline code.
func textLevel(t asmText) string {
	switch {
	case strings.Contains(t.name, "AVX512"):
		return "AVX512"
	case strings.Contains(t.name, "AVX2"):
		return "AVX2"
	}
	level := baselineLevel
	for _, f := range t.requires {
		switch {
		case strings.HasPrefix(f, "AVX512"):
			return "AVX512"
		case !slices.Contains(baselineFeatures, f):
			level = "AVX2"
		}
	}
	return level
}

// checkAMD64 returns the problems found in the amd64 assembly src. guards
// maps a level name (AVX2, AVX512) to the features its guard tests.
func checkAMD64(file, src string, guards map[string][]string) []string {
	guards = maps.Clone(guards)
	guards[baselineLevel] = baselineFeatures
	texts, err := parseAsm(src)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", file, err)}
	}
	var problems []string
	report := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: ", file, line)+fmt.Sprintf(format, args...))
	}
	for _, t := range texts {
		if !t.funcLine {
			report(t.line, "%s: no \"// func %s(...)\" line above the TEXT", t.name, t.name)
		}
		if t.requires == nil {
			report(t.line, "%s: no \"// Requires: ...\" line above the TEXT", t.name)
			continue
		}
		level := textLevel(t)
		guard, ok := guards[level]
		if !ok {
			report(t.line, "%s: level %s has no cpuSupports guard", t.name, level)
			continue
		}
		for _, f := range t.requires {
			if !slices.Contains(guard, f) {
				report(t.line, "%s: Requires lists %s, which the %s guard does not test", t.name, f, level)
			}
		}
		declared := slices.Clone(t.requires)
		for _, f := range t.requires {
			declared = append(declared, impliedFeatures[f]...)
		}
		wide := false
		for _, in := range t.body {
			if in.op == "" {
				continue
			}
			wide = wide || usesWideRegister(in.args)
			for _, f := range x86Features(in) {
				if !slices.Contains(declared, f) {
					report(in.line, "%s: %s %s needs %s, missing from the Requires line", t.name, in.op, in.args, f)
				}
				if !slices.Contains(guard, f) {
					report(in.line, "%s: %s %s needs %s, which the %s guard does not test", t.name, in.op, in.args, f, level)
				}
			}
		}
		if wide {
			problems = append(problems, checkVZEROUPPER(file, t)...)
		}
	}
	return problems
}

// usesWideRegister reports whether operands name a YMM or ZMM register.
func usesWideRegister(args string) bool {
	for _, m := range vecRegRe.FindAllStringSubmatch(args, -1) {
		if m[1] != "X" {
			return true
		}
	}
	return false
}

// checkVZEROUPPER requires that the straight-line code leading to each RET
// or tail jump, from the nearest label, runs VZEROUPPER after its last use
// of a YMM or ZMM register. A jump to a label cannot skip it, because the
// checked code contains no label.
func checkVZEROUPPER(file string, t asmText) []string {
	var problems []string
	for i, in := range t.body {
		exit := in.op == "RET" || (in.op == "JMP" && strings.Contains(in.args, "(SB)"))
		if !exit {
			continue
		}
		ok := false
	scan:
		for j := i - 1; j >= 0; j-- {
			prev := t.body[j]
			switch {
			case prev.label != "":
				break scan
			case prev.op == "VZEROUPPER":
				ok = true
				break scan
			case usesWideRegister(prev.args):
				break scan
			}
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("%s:%d: %s: %s without VZEROUPPER after the last YMM or ZMM use since the previous label", file, in.line, t.name, in.op))
		}
	}
	return problems
}

// amd64Guards reads cpu_amd64.go and returns, for each level case of
// cpuSupports, the cpuid features passed to cpuid.CPU.Supports.
func amd64Guards(path string) (map[string][]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, err
	}
	guards := map[string][]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		clause, ok := n.(*ast.CaseClause)
		if !ok || len(clause.List) != 1 {
			return true
		}
		level, ok := clause.List[0].(*ast.Ident)
		if !ok {
			return true
		}
		ast.Inspect(clause, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Supports" {
				return true
			}
			for _, arg := range call.Args {
				if sel, ok := arg.(*ast.SelectorExpr); ok {
					guards[level.Name] = append(guards[level.Name], sel.Sel.Name)
				}
			}
			return false
		})
		return true
	})
	if len(guards) == 0 {
		return nil, fmt.Errorf("%s: no cpuid.CPU.Supports calls under level cases", path)
	}
	return guards, nil
}

// arm64WordRe matches a WORD's instruction comment, such as
// "FMAX V0.4S, V1.4S, V2.4S", "FCMGT V4.4S, V0.4S, #0.0",
// "FMLA V1.4S, V18.4S, V3.S[3]" or "FCMGT V5.2D, V14.2D, V4.2D".
var arm64WordRe = regexp.MustCompile(`^(\w+)\s+V(\d+)\.(4S|2D),\s*V(\d+)\.(4S|2D),\s*(?:V(\d+)\.(4S|2D)|V(\d+)\.S\[([0-3])\]|#0(?:\.0)?)$`)

// Encodings of Advanced SIMD single-precision instructions on four lanes
// with all register fields zero, from the Arm A64 instruction set reference.
var (
	arm64ThreeSame = map[string]uint32{
		"FADD": 0x4e20d400, "FSUB": 0x4ea0d400, "FMUL": 0x6e20dc00,
		"FDIV": 0x6e20fc00, "FMAX": 0x4e20f400, "FMIN": 0x4ea0f400,
		"FMAXNM": 0x4e20c400, "FMINNM": 0x4ea0c400, "FADDP": 0x6e20d400,
		"FMLA": 0x4e20cc00, "FMLS": 0x4ea0cc00,
	}
	arm64CompareZero = map[string]uint32{
		"FCMGT": 0x4ea0c800, "FCMGE": 0x6ea0c800, "FCMEQ": 0x4ea0d800,
		"FCMLE": 0x6ea0d800, "FCMLT": 0x4ea0e800,
	}
	arm64ByElement = map[string]uint32{"FMLA": 0x4f801000, "FMLS": 0x4f805000, "FMUL": 0x4f809000}
	// Compares of two registers; the same names with #0 are the forms
	// above.
	arm64CompareRegs = map[string]uint32{"FCMGT": 0x6ea0e400, "FCMGE": 0x6e20e400, "FCMEQ": 0x4e20e400}
)

// arm64Double is the sz bit that turns the single-precision four-lane
// encodings of arm64ThreeSame, arm64CompareRegs and arm64CompareZero into
// their double-precision two-lane forms.
const arm64Double = 1 << 22

// encodeARM64 returns the encoding of the instruction text s, or an error
// when the checker does not support the form of s.
func encodeARM64(s string) (uint32, error) {
	m := arm64WordRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("cannot encode %q: the checker knows four-lane single- and two-lane double-precision forms only", s)
	}
	reg := func(t string) uint32 { n, _ := strconv.Atoi(t); return uint32(n) }
	op, d, n := m[1], reg(m[2]), reg(m[4])
	if d > 31 || n > 31 {
		return 0, fmt.Errorf("cannot encode %q: register out of range", s)
	}
	var sz uint32
	switch {
	case m[3] != m[5] || (m[7] != "" && m[7] != m[3]):
		return 0, fmt.Errorf("cannot encode %q: the arrangements differ", s)
	case m[3] == "2D" && m[8] != "":
		return 0, fmt.Errorf("cannot encode %q: by-element forms are single-precision only", s)
	case m[3] == "2D":
		sz = arm64Double
	}
	switch {
	case m[6] != "":
		base, ok := arm64ThreeSame[op]
		if cmp, isCmp := arm64CompareRegs[op]; isCmp {
			base, ok = cmp, true
		}
		if !ok || reg(m[6]) > 31 {
			return 0, fmt.Errorf("cannot encode %q: unknown three-register instruction", s)
		}
		return base | sz | reg(m[6])<<16 | n<<5 | d, nil
	case m[8] != "":
		base, ok := arm64ByElement[op]
		if !ok || reg(m[8]) > 31 {
			return 0, fmt.Errorf("cannot encode %q: unknown by-element instruction", s)
		}
		idx := reg(m[9])
		return base | (idx&1)<<21 | reg(m[8])<<16 | (idx>>1)<<11 | n<<5 | d, nil
	default:
		base, ok := arm64CompareZero[op]
		if !ok {
			return 0, fmt.Errorf("cannot encode %q: unknown compare with zero", s)
		}
		return base | sz | n<<5 | d, nil
	}
}

var arm64ReservedRe = regexp.MustCompile(`\b(R18|R28)\b`)

// checkARM64 returns the problems found in the arm64 assembly src.
func checkARM64(file, src string) []string {
	texts, err := parseAsm(src)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", file, err)}
	}
	var problems []string
	report := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: ", file, line)+fmt.Sprintf(format, args...))
	}
	for _, t := range texts {
		if !t.funcLine {
			report(t.line, "%s: no \"// func %s(...)\" line above the TEXT", t.name, t.name)
		}
		if t.requires == nil {
			report(t.line, "%s: no \"// Requires: ...\" line above the TEXT", t.name)
		}
		for _, in := range t.body {
			if arm64ReservedRe.MatchString(in.args) {
				report(in.line, "%s: %s %s uses R18 or R28, which Go reserves", t.name, in.op, in.args)
			}
			if in.op != "WORD" {
				continue
			}
			word, err := strconv.ParseUint(strings.TrimPrefix(in.args, "$"), 0, 32)
			if err != nil {
				report(in.line, "%s: WORD %s is not a 32-bit constant", t.name, in.args)
				continue
			}
			if in.comment == "" {
				report(in.line, "%s: WORD %s has no comment naming its instruction", t.name, in.args)
				continue
			}
			want, err := encodeARM64(in.comment)
			if err != nil {
				report(in.line, "%s: %v", t.name, err)
				continue
			}
			if uint32(word) != want {
				report(in.line, "%s: WORD %#08x does not encode %q, which is %#08x", t.name, word, in.comment, want)
			}
		}
	}
	return problems
}

func TestAssemblyMatchesGuards(t *testing.T) {
	guards, err := amd64Guards("cpu_amd64.go")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*_amd64.s")
	if err != nil || len(files) == 0 {
		t.Fatalf("no *_amd64.s files found (err %v)", err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), "TEXT") {
			t.Errorf("%s has no TEXT symbol", file)
		}
		for _, p := range checkAMD64(file, string(src), guards) {
			t.Error(p)
		}
	}
}

func TestARM64Words(t *testing.T) {
	files, err := filepath.Glob("*_arm64.s")
	if err != nil || len(files) == 0 {
		t.Fatalf("no *_arm64.s files found (err %v)", err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range checkARM64(file, string(src)) {
			t.Error(p)
		}
	}
}

// testGuards are guards as cpu_amd64.go writes them, for the checker's own
// tests.
var testGuards = map[string][]string{
	"AVX2":   {"AVX", "AVX2", "FMA3"},
	"AVX512": {"AVX", "AVX2", "FMA3", "AVX512F", "AVX512BW", "AVX512VL"},
}

func TestCheckAMD64AcceptsGoodKernel(t *testing.T) {
	const src = `
#define ACC(r) VFMADD231PS (DI), Y1, r

// func goodAVX2(x, y []float32) float32
// Requires: AVX, FMA3
TEXT ·goodAVX2(SB), NOSPLIT, $0-52
	VXORPS Y0, Y0, Y0
loop:
	VMOVUPS (SI), Y1
	ACC(Y0)
	JNE     loop
	VZEROUPPER
	VMOVSS  X0, ret+48(FP)
	RET
`
	if problems := checkAMD64("good.s", src, testGuards); len(problems) != 0 {
		t.Errorf("a correct kernel was rejected: %q", problems)
	}
}

func TestCheckAMD64AcceptsBaselineKernel(t *testing.T) {
	const src = `// func copySSE()
// Requires: SSE
TEXT ·copySSE(SB), NOSPLIT, $0
	MOVUPS (SI), X0
	MOVUPS X0, (DI)
	RET
`
	if problems := checkAMD64("base.s", src, testGuards); len(problems) != 0 {
		t.Errorf("a correct SSE kernel was rejected: %q", problems)
	}
}

func TestCheckAMD64RejectsBadKernels(t *testing.T) {
	cases := []struct {
		name, src, want string
		guards          map[string][]string
	}{
		{
			name: "FMA missing from Requires",
			src: `// func fAVX2()
// Requires: AVX
TEXT ·fAVX2(SB), NOSPLIT, $0
	VFMADD231PS X1, X2, X3
	RET
`,
			want: "needs FMA3, missing from the Requires line",
		},
		{
			name: "FMA missing from the AVX2 guard",
			src: `// func fAVX2()
// Requires: AVX, FMA3
TEXT ·fAVX2(SB), NOSPLIT, $0
	VFMADD231PS X1, X2, X3
	RET
`,
			guards: map[string][]string{"AVX2": {"AVX", "AVX2"}},
			want:   "Requires lists FMA3, which the AVX2 guard does not test",
		},
		{
			name: "ZMM register at the AVX2 level",
			src: `// func fAVX2()
// Requires: AVX
TEXT ·fAVX2(SB), NOSPLIT, $0
	VADDPS Z1, Z2, Z3
	VZEROUPPER
	RET
`,
			want: "needs AVX512F, which the AVX2 guard does not test",
		},
		{
			name: "mask register at the AVX2 level",
			src: `// func fAVX2()
// Requires: AVX
TEXT ·fAVX2(SB), NOSPLIT, $0
	VMOVUPS (SI), K1, X1
	RET
`,
			want: "needs AVX512F",
		},
		{
			name: "EVEX-only op on XMM at the AVX2 level",
			src: `// func fAVX2()
// Requires: AVX, AVX2
TEXT ·fAVX2(SB), NOSPLIT, $0
	VPXORD X1, X1, X1
	RET
`,
			want: "needs AVX512F",
		},
		{
			name: "AVX2 integer op under an AVX-only Requires",
			src: `// func fAVX2()
// Requires: AVX
TEXT ·fAVX2(SB), NOSPLIT, $0
	VPADDD Y1, Y2, Y3
	VZEROUPPER
	RET
`,
			want: "needs AVX2, missing from the Requires line",
		},
		{
			name: "AVX512DQ op at the AVX512 level",
			src: `// func fAVX512()
// Requires: AVX512F
TEXT ·fAVX512(SB), NOSPLIT, $0
	VXORPS Z0, Z0, Z0
	VZEROUPPER
	RET
`,
			want: "needs AVX512DQ, which the AVX512 guard does not test",
		},
		{
			name: "AVX instruction in baseline code",
			src: `// func packSSE()
// Requires: SSE
TEXT ·packSSE(SB), NOSPLIT, $0
	MOVUPS  (SI), X0
	VMOVUPS (SI), X1
	RET
`,
			want: "needs AVX, which the baseline guard does not test",
		},
		{
			name: "RET without VZEROUPPER",
			src: `// func fAVX2()
// Requires: AVX
TEXT ·fAVX2(SB), NOSPLIT, $0
	VADDPS Y1, Y2, Y3
	RET
`,
			want: "RET without VZEROUPPER",
		},
		{
			name: "VZEROUPPER that a jump to a label skips",
			src: `// func fAVX2()
// Requires: AVX
TEXT ·fAVX2(SB), NOSPLIT, $0
	VADDPS Y1, Y2, Y3
	JE     done
	VZEROUPPER
done:
	RET
`,
			want: "RET without VZEROUPPER",
		},
		{
			name: "YMM use after VZEROUPPER",
			src: `// func fAVX2()
// Requires: AVX
TEXT ·fAVX2(SB), NOSPLIT, $0
	VZEROUPPER
	VADDPS Y1, Y2, Y3
	RET
`,
			want: "RET without VZEROUPPER",
		},
		{
			name: "no Requires line",
			src: `// func fAVX2()
TEXT ·fAVX2(SB), NOSPLIT, $0
	RET
`,
			want: "no \"// Requires: ...\" line",
		},
		{
			name: "no func line",
			src: `// Requires: AVX
TEXT ·fAVX2(SB), NOSPLIT, $0
	RET
`,
			want: "no \"// func fAVX2(...)\" line",
		},
		{
			name: "ZMM use inside a macro",
			src: `#define BAD VADDPS Z1, Z2, Z3
// func fAVX2()
// Requires: AVX
TEXT ·fAVX2(SB), NOSPLIT, $0
	BAD
	VZEROUPPER
	RET
`,
			want: "VADDPS Z1, Z2, Z3 needs AVX512F",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			guards := c.guards
			if guards == nil {
				guards = testGuards
			}
			problems := checkAMD64("bad.s", c.src, guards)
			found := slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) })
			if !found {
				t.Errorf("want a problem containing %q, got %q", c.want, problems)
			}
		})
	}
}

func TestAMD64GuardsParsed(t *testing.T) {
	guards, err := amd64Guards("cpu_amd64.go")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(guards["AVX2"], "FMA3") {
		t.Errorf("the AVX2 guard read from cpu_amd64.go lacks FMA3: %v", guards["AVX2"])
	}
	for _, f := range []string{"AVX512F", "AVX512BW", "AVX512VL"} {
		if !slices.Contains(guards["AVX512"], f) {
			t.Errorf("the AVX512 guard read from cpu_amd64.go lacks %s: %v", f, guards["AVX512"])
		}
	}
}

func TestCheckARM64(t *testing.T) {
	good := `// func fNEON()
// Requires: NEON
TEXT ·fNEON(SB), NOSPLIT, $0
	WORD $0x4e24f400 // FMAX V0.4S, V0.4S, V4.4S
	WORD $0x4ea0c804 // FCMGT V4.4S, V0.4S, #0.0
	WORD $0x4fa31a41 // FMLA V1.4S, V18.4S, V3.S[3]
	WORD $0x6ee4e5c5 // FCMGT V5.2D, V14.2D, V4.2D
	WORD $0x6e60dc00 // FMUL V0.2D, V0.2D, V0.2D
	RET
`
	assert := func(cond bool, format string, args ...any) {
		t.Helper()
		if !cond {
			t.Errorf(format, args...)
		}
	}
	problems := checkARM64("good.s", good)
	assert(len(problems) == 0, "correct WORDs were rejected: %q", problems)

	bad := map[string]string{
		"wrong register":      "\tWORD $0x4e24f401 // FMAX V0.4S, V0.4S, V4.4S\n",
		"wrong instruction":   "\tWORD $0x4e24f400 // FMIN V0.4S, V0.4S, V4.4S\n",
		"no comment":          "\tWORD $0x4e24f400\n",
		"unknown instruction": "\tWORD $0x4e24f400 // FROB V0.4S, V0.4S, V4.4S\n",
		"reserved register":   "\tMOVD R18, R0\n",
		"single as double":    "\tWORD $0x6ea4e5c5 // FCMGT V5.2D, V14.2D, V4.2D\n",
		"mixed arrangements":  "\tWORD $0x6ee4e5c5 // FCMGT V5.2D, V14.4S, V4.2D\n",
		"double by element":   "\tWORD $0x4fa31a41 // FMLA V1.2D, V18.2D, V3.S[3]\n",
	}
	for name, line := range bad {
		src := "// func fNEON()\n// Requires: NEON\nTEXT ·fNEON(SB), NOSPLIT, $0\n" + line + "\tRET\n"
		assert(len(checkARM64("bad.s", src)) > 0, "%s: %q passed the check", name, line)
	}
}
