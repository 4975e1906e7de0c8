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
				if col < size {
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
		if col != size {
			return nil, 0, inputSizeError(n, col, size), true
		}
		if nonFinite != nil {
			return nil, 0, nonFinite, true
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
	v, err := strconv.ParseFloat(string(b[start:i]), 64)
	if err != nil {
		return 0, false
	}
	p.i = i
	return v, true
}
