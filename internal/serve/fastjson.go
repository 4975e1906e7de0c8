package serve

import (
	"math"
	"strconv"
)

// parseInputsFast parses the common request body {"inputs": [[x, ...],
// ...]}, with any JSON whitespace, without reflection. It returns ok =
// false for anything else, including valid JSON of another form, and then
// decodeJSON parses the body with encoding/json, which also writes the
// error messages. Numbers are read with strconv.ParseFloat as encoding/json
// reads them, so both paths give the same values.
func parseInputsFast(body []byte, size int) (rows []float32, n int, apiErr *apiError, ok bool) {
	p := fastParser{b: body}
	if !p.literal('{') || !p.key("inputs") || !p.literal(':') || !p.literal('[') {
		return nil, 0, nil, false
	}
	if p.literal(']') {
		if !p.literal('}') || !p.end() {
			return nil, 0, nil, false
		}
		return nil, 0, badRequest("empty_batch", "\"inputs\" is empty; send at least one row"), true
	}
	// A row error is kept until the end, because encoding/json reports a
	// syntax error anywhere in the body before any row error.
	var rowErr *apiError
	for {
		if !p.literal('[') {
			return nil, 0, nil, false
		}
		col := 0
		var nonFinite *apiError
		if !p.literal(']') {
			for {
				v, good := p.number()
				if !good {
					return nil, 0, nil, false
				}
				f := float32(v)
				if math.IsInf(float64(f), 0) && nonFinite == nil {
					nonFinite = nonFiniteError(n, col, v)
				}
				if col < size && rowErr == nil {
					rows = append(rows, f)
				}
				col++
				if p.literal(']') {
					break
				}
				if !p.literal(',') {
					return nil, 0, nil, false
				}
			}
		}
		if rowErr == nil && col != size {
			rowErr = inputSizeError(n, col, size)
		}
		if rowErr == nil && nonFinite != nil {
			rowErr = nonFinite
		}
		n++
		if p.literal(']') {
			break
		}
		if !p.literal(',') {
			return nil, 0, nil, false
		}
	}
	if !p.literal('}') || !p.end() {
		return nil, 0, nil, false
	}
	if rowErr != nil {
		return nil, 0, rowErr, true
	}
	return rows, n, nil, true
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) skipSpace() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// literal consumes c after optional whitespace.
func (p *fastParser) literal(c byte) bool {
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// key consumes the string "k", which must contain no escapes.
func (p *fastParser) key(k string) bool {
	p.skipSpace()
	end := p.i + len(k) + 2
	if end > len(p.b) || p.b[p.i] != '"' || string(p.b[p.i+1:end-1]) != k || p.b[end-1] != '"' {
		return false
	}
	p.i = end
	return true
}

func (p *fastParser) end() bool {
	p.skipSpace()
	return p.i == len(p.b)
}

// number consumes a number of the JSON grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *fastParser) number() (float64, bool) {
	p.skipSpace()
	start := p.i
	b := p.b
	i := p.i
	if i < len(b) && b[i] == '-' {
		i++
	}

	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0, false
	}

	if i < len(b) && b[i] == '.' {
		i++
		digits := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == digits {
			return 0, false
		}
	}

	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		digits := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == digits {
			return 0, false
		}
	}

	v, exact := exactDecimal(b[start:i])
	if !exact {
		var err error
		if v, err = strconv.ParseFloat(string(b[start:i]), 64); err != nil {
			return 0, false
		}
	}
	p.i = i
	return v, true
}

// pow10 contains the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exactDecimal returns the value of a number that has passed the JSON
// grammar check when its significant digits form an integer m <= 2^53 and
// its decimal exponent e has |e| <= 22. Then m and 10^|e| are exact
// float64 values, and one multiplication or division rounds the exact
// decimal value correctly, so the result equals that of the correctly
// rounded strconv.ParseFloat. Go 1.26's strconv takes the same fast path
// first (atof64exact in internal/strconv/atof.go). It returns false for
// any other number.
func exactDecimal(b []byte) (float64, bool) {
	i := 0
	negative := b[0] == '-'
	if negative {
		i++
	}

	var mantissa uint64
	exp := 0
	for ; i < len(b) && b[i] != '.' && b[i] != 'e' && b[i] != 'E'; i++ {
		if mantissa > (1<<53)/10 {
			return 0, false
		}
		mantissa = 10*mantissa + uint64(b[i]-'0')
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && b[i] != 'e' && b[i] != 'E'; i++ {
			if mantissa > (1<<53)/10 {
				return 0, false
			}
			mantissa = 10*mantissa + uint64(b[i]-'0')
			exp--
		}
	}
	if i < len(b) {
		i++ // 'e' or 'E'
		sign := 1
		if b[i] == '+' || b[i] == '-' {
			if b[i] == '-' {
				sign = -1
			}
			i++
		}
		explicit := 0
		for ; i < len(b); i++ {
			if explicit > 1000 {
				return 0, false
			}
			explicit = 10*explicit + int(b[i]-'0')
		}
		exp += sign * explicit
	}
	if mantissa > 1<<53 {
		return 0, false
	}

	v := float64(mantissa)
	switch {
	case exp == 0:
	case exp > 0 && exp <= 22:
		v *= pow10[exp]
	case exp < 0 && exp >= -22:
		v /= pow10[-exp]
	default:
		return 0, false
	}
	if negative {
		v = math.Copysign(v, -1)
	}
	return v, true
}
