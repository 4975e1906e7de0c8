#!/usr/bin/env bash
# Runs nidim's speed benchmarks and the comparison anchors side by side, in
# alternating rounds, and keeps every raw result under OUT_DIR.
#
# Usage: scripts/bench_side_by_side.sh OUT_DIR [ROUNDS]
#
# Needs the anchors folder (../shared/anchors from the repository root, or
# ANCHORS=DIR), Debian's python3-numpy, python3-scipy and python3-torch, and
# /usr/bin/python3. OpenBLAS reads OPENBLAS_CORETYPE before it loads, so the
# GEMM anchor runs with that variable unset and the script picks the kernel
# with --kernel. Run it on a quiet machine: two-thread figures swing by up to
# 2x when anything else runs.
set -euo pipefail

out=${1:?usage: scripts/bench_side_by_side.sh OUT_DIR [ROUNDS]}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
anchors=${ANCHORS:-$root/../shared/anchors}
python=/usr/bin/python3
mkdir -p "$out"

go build -o "$out/nidim" "$root/cmd/nidim"
nidim=$out/nidim
uptime >"$out/load-start.txt"
lscpu >"$out/lscpu.txt"

openblas() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" "$anchors/sgemm.py" --json "$@"; }

for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  r=$out/round$round
  mkdir -p "$r"

  openblas --kernel avx512 --threads 1 --training >"$r/openblas-avx512-t1.json"
  "$nidim" bench gemm --level avx512 --threads 1 --training --json >"$r/nidim-avx512-t1.json"
  openblas --kernel haswell --threads 1 --sizes 512,1024,2048 >"$r/openblas-haswell-t1.json"
  "$nidim" bench gemm --level avx2 --threads 1 --sizes 512,1024,2048 --json >"$r/nidim-avx2-t1.json"
  openblas --kernel avx512 --threads 2 --sizes 1024,2048 >"$r/openblas-avx512-t2.json"
  "$nidim" bench gemm --level avx512 --threads 2 --sizes 1024,2048 --json >"$r/nidim-avx512-t2.json"

  "$python" "$anchors/torch_step.py" --threads 2 --json >"$r/torch-step.json"
  "$nidim" bench step --model all --threads 2 --json >"$r/nidim-step.json"
done

(cd "$anchors/gonum-sgemm" && GOMAXPROCS=1 go run . -sizes 512,1024 -json) >"$out/gonum-t1.json" || echo "gonum anchor failed" >&2
"$python" "$anchors/stats_speed.py" --json >"$out/scipy-stats.json"
(cd "$root" && go test -run '^$' -bench 'ReportGaussian|ShapiroWilk5000' -benchtime 5x ./stats) >"$out/nidim-stats.txt"
uptime >"$out/load-end.txt"
echo "results in $out" >&2
