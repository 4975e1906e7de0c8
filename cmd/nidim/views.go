package main

import (
	"fmt"
	"strings"

	"github.com/nidim/nidim/dim"
)

// imageViewFlags and vectorViewFlags are the augmentation flags of train
// and sweep. Training uses the image ones for samples of shape [C H W] and
// the vector ones for all other samples, and ignores the rest.
var (
	imageViewFlags  = []string{"shift", "rotate", "zoom", "pixel-noise"}
	vectorViewFlags = []string{"feature-noise", "mask"}
)

// checkViewFlags returns an error when the command line set a view flag
// to a nonzero value that training would ignore for samples of the given
// shape. explicit contains only the flags given on the command line, so a
// value that a recipe set does not count. It also rejects --clean-view
// with --shared-view: the shared draw then copies the clean first view,
// so neither view is augmented and every augmentation flag is ignored.
// Without augmentation, as in the match recipe, both views are the clean
// input, so it rejects --clean-view and --shared-view alone too.
func checkViewFlags(explicit map[string]bool, cfg dim.Config, shape []int) error {
	if cfg.CleanFirstView && cfg.SharedView {
		return fmt.Errorf("--clean-view and --shared-view together feed both views the clean input, so no view is augmented; drop --shared-view to augment the second view, or drop --clean-view to give both views one augmented draw")
	}
	values := map[string]float64{
		"shift": float64(cfg.MaxShift), "rotate": cfg.MaxRotate, "zoom": cfg.MaxScale, "pixel-noise": cfg.PixelNoise,
		"feature-noise": cfg.FeatureNoise, "mask": cfg.MaskProb,
	}
	image := len(shape) == 3
	ignored, used := imageViewFlags, vectorViewFlags
	if image {
		ignored, used = vectorViewFlags, imageViewFlags
	}
	if err := checkCleanSharedView(explicit, cfg, values, used); err != nil {
		return err
	}
	for _, name := range ignored {
		if !explicit[name] || values[name] == 0 {
			continue
		}
		if image {
			return fmt.Errorf("--%s %v applies to feature vectors, but the samples are images of shape %v; drop it, and set the image views with --shift, --rotate, --zoom and --pixel-noise",
				name, values[name], shape)
		}
		return fmt.Errorf("--%s %v applies to images, but the samples are feature vectors of shape %v; drop it and set the vector views with --feature-noise and --mask, or pass --image-shape C,H,W if each row is an image",
			name, values[name], shape)
	}
	return nil
}

// checkCleanSharedView returns an error when the command line set
// --clean-view or --shared-view but every augmentation flag in used, the
// view flags that apply to the samples, is 0. dim.Continue then feeds
// both views the clean input whatever the two flags are set to. values
// contains the setting of each view flag.
func checkCleanSharedView(explicit map[string]bool, cfg dim.Config, values map[string]float64, used []string) error {
	name := ""
	switch {
	case explicit["clean-view"] && cfg.CleanFirstView:
		name = "--clean-view"
	case explicit["shared-view"] && cfg.SharedView:
		name = "--shared-view"
	default:
		return nil
	}
	var set []string
	for _, flagName := range used {
		if values[flagName] != 0 {
			return nil
		}
		set = append(set, "--"+flagName)
	}
	others := strings.Join(set[:len(set)-1], ", ")
	last := set[len(set)-1]
	return fmt.Errorf("%s has no effect, because the views are not augmented (%s and %s are 0), so both views are the clean input already; drop %s, or augment the views with %s or %s",
		name, others, last, name, others, last)
}
