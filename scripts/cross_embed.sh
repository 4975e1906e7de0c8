#!/usr/bin/env bash
# Trains a small model with the native build of nidim, embeds the same data
# with the linux/arm64 build under qemu-aarch64, and checks that the two
# embeddings agree. A model trained on a server must give the same
# embeddings on an ARM device. Only rounding may differ, from fused
# multiply-adds and from the order in which the SIMD kernels sum.
#
# usage: scripts/cross_embed.sh [WORKDIR]   (needs qemu-aarch64 and awk)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
tol=1e-4 # largest absolute difference allowed, in units of the prior's SD

# Feature vectors: 3 clusters of 200 rows in 12 dimensions. awk's generator
# only has to be consistent within this run, since both builds read the
# same file.
awk 'BEGIN {
	srand(7)
	for (i = 0; i < 600; i++) {
		c = i % 3
		line = ""
		for (j = 0; j < 12; j++) {
			v = (j % 3 == c ? 2 : 0) + (rand() + rand() + rand() - 1.5)
			line = line (j ? "," : "") sprintf("%.6f", v)
		}
		print line > "'"$work"'/x.csv"
		print c > "'"$work"'/y.csv"
	}
}'

(cd "$repo" && CGO_ENABLED=0 go build -o "$work/nidim" ./cmd/nidim)
(cd "$repo" && CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -o "$work/nidim-arm64" ./cmd/nidim)

data=(--data "$work/x.csv")
"$work/nidim" train "${data[@]}" --labels "$work/y.csv" --recipe reference --dim 3 --hidden 32 \
	--batch 64 --epochs 3 --seed 1 --threads 1 --no-eval --out "$work/model.safetensors" 2>"$work/train.log"
"$work/nidim" embed "$work/model.safetensors" "${data[@]}" --out "$work/native.csv" 2>/dev/null
qemu-aarch64 "$work/nidim-arm64" embed "$work/model.safetensors" "${data[@]}" --out "$work/arm64.csv" 2>/dev/null

awk -F, -v tol="$tol" '
	NR == FNR { for (j = 1; j <= NF; j++) a[FNR, j] = $j; rows = FNR; cols = NF; next }
	{
		if (NF != cols) { printf "row %d: %d columns on arm64, %d native\n", FNR, NF, cols; bad = 1; exit 1 }
		for (j = 1; j <= NF; j++) {
			d = $j - a[FNR, j]; if (d < 0) d = -d
			if (d > worst) worst = d
		}
		n = FNR
	}
	END {
		if (bad) exit 1
		if (n != rows) { printf "%d rows on arm64, %d native\n", n, rows; exit 1 }
		printf "%d x %d embeddings, largest difference arm64 - native %.2g (limit %g)\n", n, cols, worst, tol
		if (worst > tol) exit 1
	}' "$work/native.csv" "$work/arm64.csv"
