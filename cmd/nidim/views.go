package main

import (
	"fmt"

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
func checkViewFlags(explicit map[string]bool, cfg dim.Config, shape []int) error {
	if cfg.CleanFirstView && cfg.SharedView {
		return fmt.Errorf("--clean-view and --shared-view together feed both views the clean input, so no view is augmented; drop --shared-view to augment the second view, or drop --clean-view to give both views one augmented draw")
	}
	values := map[string]float64{
		"shift": float64(cfg.MaxShift), "rotate": cfg.MaxRotate, "zoom": cfg.MaxScale, "pixel-noise": cfg.PixelNoise,
		"feature-noise": cfg.FeatureNoise, "mask": cfg.MaskProb,
	}
	image := len(shape) == 3
	ignored := imageViewFlags
	if image {
		ignored = vectorViewFlags
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
