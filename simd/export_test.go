package simd

// StartLevel exposes startLevel, the level Active starts with, so that
// tests can check the NIDIM_SIMD cap without restarting the process.
var StartLevel = startLevel
