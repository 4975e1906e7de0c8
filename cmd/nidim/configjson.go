package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/imagedir"
)

// fullConfigJSON returns cfg as a JSON object under the keys that the
// checkpoint stores it with, in field order, for the "config" key of
// train --json and eval --json. The checkpoint leaves out some fields
// when they are zero (omitempty), such as self_weight and test_fraction,
// but a script that reruns a training or recovers its split needs every
// setting, so this object contains all of them. Its image_fit is the
// --image-fit value, squeeze where the checkpoint stores none.
func fullConfigJSON(cfg dim.Config) (json.RawMessage, error) {
	if cfg.ImageFit == "" {
		cfg.ImageFit = imagedir.Squeeze.String()
	}
	v := reflect.ValueOf(cfg)
	t := v.Type()
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" || !t.Field(i).IsExported() {
			continue
		}
		key, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(v.Field(i).Interface())
		if err != nil {
			return nil, err
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
