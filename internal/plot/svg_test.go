package plot

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

// svgDoc is what parseSVG learns from a document.
type svgDoc struct {
	width, height float64
	counts        map[string]int // elements by local name
	texts         []string       // character data of the text elements
	classes       map[string]int // circles by class attribute
}

// parseSVG parses data with encoding/xml and checks the structure every
// figure must have. The root svg element has a viewBox that starts at 0 0
// and matches its width and height. Numeric attributes are finite and put
// every shape, path point and estimated text box inside the viewBox.
func parseSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	doc := svgDoc{counts: map[string]int{}, classes: map[string]int{}}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []xml.StartElement
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := el.Name.Local
			doc.counts[name]++
			attrs := map[string]string{}
			for _, a := range el.Attr {
				attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				doc.width, doc.height = checkRoot(t, name, attrs)
			} else {
				checkElement(t, doc, name, attrs)
			}
			if name == "circle" {
				doc.classes[attrs["class"]]++
			}
			stack = append(stack, el)
			text.Reset()
		case xml.CharData:
			text.Write(el)
		case xml.EndElement:
			top := stack[len(stack)-1]
			if top.Name.Local == "text" {
				doc.texts = append(doc.texts, text.String())
				checkTextBox(t, doc, top, text.String())
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Fatalf("SVG ends with %d unclosed elements", len(stack))
	}
	return doc
}

func checkRoot(t *testing.T, name string, attrs map[string]string) (width, height float64) {
	t.Helper()
	if name != "svg" {
		t.Fatalf("root element is %q, want svg", name)
	}
	fields := strings.Fields(attrs["viewBox"])
	if len(fields) != 4 || fields[0] != "0" || fields[1] != "0" {
		t.Fatalf("viewBox is %q, want \"0 0 W H\"", attrs["viewBox"])
	}
	width, height = parseNumber(t, fields[2]), parseNumber(t, fields[3])
	if width <= 0 || height <= 0 {
		t.Fatalf("viewBox size %v x %v is not positive", width, height)
	}
	if w := parseNumber(t, attrs["width"]); w != width {
		t.Errorf("width attribute %v differs from the viewBox width %v", w, width)
	}
	if h := parseNumber(t, attrs["height"]); h != height {
		t.Errorf("height attribute %v differs from the viewBox height %v", h, height)
	}
	return width, height
}

func parseNumber(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("attribute value %q is not a number", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		t.Fatalf("attribute value %q is not finite", s)
	}
	return v
}

// checkElement checks the coordinates of one shape against the viewBox.
func checkElement(t *testing.T, doc svgDoc, name string, attrs map[string]string) {
	t.Helper()
	num := func(key string) float64 {
		s, ok := attrs[key]
		if !ok {
			t.Fatalf("<%s> has no %s attribute", name, key)
		}
		return parseNumber(t, s)
	}
	switch name {
	case "rect":
		x, y, w, h := num("x"), num("y"), num("width"), num("height")
		if w < 0 || h < 0 {
			t.Errorf("<rect> has negative size %v x %v", w, h)
		}
		checkPoint(t, doc, name, x, y)
		checkPoint(t, doc, name, x+w, y+h)
	case "circle":
		if r := num("r"); r <= 0 || r > 10 {
			t.Errorf("<circle> radius %v is outside (0, 10]", r)
		}
		checkPoint(t, doc, name, num("cx"), num("cy"))
	case "line":
		checkPoint(t, doc, name, num("x1"), num("y1"))
		checkPoint(t, doc, name, num("x2"), num("y2"))
	case "text":
		checkPoint(t, doc, name, num("x"), num("y"))
	case "path":
		d := attrs["d"]
		if d == "" || (d[0] != 'M') {
			t.Errorf("<path> d %q does not start with M", d)
		}
		fields := strings.Fields(strings.NewReplacer("M", " ", "L", " ").Replace(d))
		if len(fields)%2 != 0 {
			t.Errorf("<path> d has an odd number of coordinates: %q", d)
			return
		}
		for i := 0; i < len(fields); i += 2 {
			checkPoint(t, doc, name, parseNumber(t, fields[i]), parseNumber(t, fields[i+1]))
		}
	}
}

func checkPoint(t *testing.T, doc svgDoc, name string, x, y float64) {
	t.Helper()
	if x < 0 || x > doc.width || y < 0 || y > doc.height {
		t.Errorf("<%s> point (%v, %v) lies outside the viewBox 0 0 %v %v", name, x, y, doc.width, doc.height)
	}
}

// checkTextBox checks that the estimated box of a text element lies inside
// the viewBox, so that no label is clipped at the edge of the figure.
func checkTextBox(t *testing.T, doc svgDoc, el xml.StartElement, s string) {
	t.Helper()
	attrs := map[string]string{}
	for _, a := range el.Attr {
		attrs[a.Name.Local] = a.Value
	}
	x, y, size := parseNumber(t, attrs["x"]), parseNumber(t, attrs["y"]), parseNumber(t, attrs["font-size"])
	w := textWidth(s, size)
	start := 0.0
	switch attrs["text-anchor"] {
	case "middle":
		start = -w / 2
	case "end":
		start = -w
	}
	if strings.HasPrefix(attrs["transform"], "rotate(-90") {
		// Rotated text runs upwards from (x, y).
		if y-start-w < -0.5 || y-start > doc.height+0.5 || x-size < -0.5 {
			t.Errorf("rotated text %q at (%v, %v) runs outside the viewBox", s, x, y)
		}
		return
	}
	if x+start < -0.5 || x+start+w > doc.width+0.5 || y-size < -0.5 {
		t.Errorf("text %q at (%v, %v), about %.0f px wide, runs outside the viewBox width %v", s, x, y, w, doc.width)
	}
}
