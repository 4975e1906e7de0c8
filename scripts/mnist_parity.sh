#!/usr/bin/env bash
# mnist_parity.sh OUTDIR: the MNIST acceptance comparison of "nidim train"
# with the PyTorch reference recipe (nidim_torch.py), run side by side.
#
# For every setting and seed it runs nidim, then the reference, one after
# the other (never in parallel, so that their speed figures share the same
# load), and writes for each run under OUTDIR:
#   NAME.json  the run's JSON (nidim train --json, or nidim_torch.py --out)
#   NAME.log   its progress output
#   NAME.meta  the command, wall time and load average before and after
# Then it checks that the same seed gives byte-identical checkpoints, times
# one CNN epoch on both sides, and writes OUTDIR/results.md with
# scripts/parity_table.py. A run whose NAME.json exists is skipped, so an
# interrupted comparison resumes where it stopped.
#
# Environment:
#   SEEDS           seeds of the two main settings (default "0 1 2")
#   ABLATION_SEEDS  seeds of the noiseless ablation (default "0 1 2")
#   ABLATION_SETTINGS  D:SIGMA pairs of the noiseless ablation, where sigma
#                   only sets the initial temperature 2 sigma^2 (default "4:1")
#   EPOCHS          training epochs (default 15)
#   THREADS         threads on both sides (default 2)
#   STEPS           which parts to run, in order (default
#                   "main ablation crosscheck determinism cnn table"; "norecal"
#                   is an extra step: nidim with --no-recalibrate, as the
#                   reference. "speed" times training alone, MLP and CNN.
#                   "crosscheck" recomputes the KS distance and
#                   the correlation of nidim's test embeddings with scipy)
#   NIDIM           the nidim binary (default: built from this tree into OUTDIR)
#   REF             the reference script (default ../shared/anchors/nidim_torch.py beside the repository)
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
case "$out/" in
"$repo"/*)
	echo "mnist_parity.sh: OUTDIR $out is inside the repository; give a folder outside it, such as /tmp/parity" >&2
	exit 2
	;;
esac

SEEDS=${SEEDS:-"0 1 2"}
ABLATION_SEEDS=${ABLATION_SEEDS:-"0 1 2"}
ABLATION_SETTINGS=${ABLATION_SETTINGS:-"4:1"}
EPOCHS=${EPOCHS:-15}
THREADS=${THREADS:-2}
STEPS=${STEPS:-"main ablation crosscheck determinism cnn table"}
REF=${REF:-$repo/../shared/anchors/nidim_torch.py}
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE

# The reference recipe, spelled out so that nidim's defaults may differ.
# It has noise on both views, symmetric InfoNCE and the Euclidean critic
# with a learned temperature, batch 256 and Adam at 1e-3. Its views are
# shifted by up to 2 pixels with pixel noise 0.1. Later flags on a command
# line override these.
RECIPE=(--noise-views both --loss infonce --critic euclidean --fixed-tau=false --batch 256 --lr 0.001
	--schedule constant --hidden 512 --shift 2 --pixel-noise 0.1)

# These steps run the reference, which is not part of this repository.
for step in $STEPS; do
	case $step in main | ablation | norecal | cnn | speed) ;; *) continue ;; esac
	if [[ ! -f $REF ]]; then
		echo "mnist_parity.sh: the reference script $REF does not exist; set REF to nidim_torch.py, which this repository does not ship" >&2
		exit 2
	fi
	if ! "$PY" -c 'import torch, scipy, sklearn' 2>/dev/null; then
		echo "mnist_parity.sh: $PY cannot import torch, scipy and sklearn; install python3-torch, python3-scipy and python3-sklearn" >&2
		exit 2
	fi
	break
done

if [[ -z "${NIDIM:-}" ]]; then
	NIDIM=$out/nidim
	(cd "$repo" && CGO_ENABLED=0 go build -o "$NIDIM" ./cmd/nidim)
	(cd "$repo" && git rev-parse HEAD && git status --short) >"$out/nidim.version" 2>&1 || true
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }

# run NAME JSONSTDOUT CMD...: runs CMD unless NAME.json exists. With
# JSONSTDOUT=1 the command prints its JSON on stdout; otherwise it writes
# it to NAME.json.tmp itself (the caller passes that path).
run() {
	local name=$1 jsonstdout=$2
	shift 2
	local j=$out/$name.json
	if [[ -s $j ]]; then
		echo "== $name: done before, skipped"
		return 0
	fi
	echo "== $name: $*"
	local l0 t0 t1 rc=0
	l0=$(load)
	t0=$(date +%s.%N)
	if [[ $jsonstdout == 1 ]]; then
		"$@" >"$j.tmp" 2>"$out/$name.log" || rc=$?
	else
		"$@" >"$out/$name.log" 2>&1 || rc=$?
	fi
	t1=$(date +%s.%N)
	{
		echo "command=$*"
		echo "start=$(date -u -d "@$t0" +%FT%TZ)"
		echo "wall_s=$(echo "$t1 - $t0" | bc)"
		echo "load_before=$l0"
		echo "load_after=$(load)"
		echo "exit=$rc"
	} >"$out/$name.meta"
	if [[ $rc -eq 0 && -s $j.tmp ]]; then
		mv "$j.tmp" "$j"
	else
		echo "   $name failed with status $rc; see $out/$name.log" >&2
		failed+=("$name")
	fi
	return 0
}
failed=()

# pair D SIGMA SEED TAG NIDIMFLAGS REFFLAGS: nidim, then the reference.
pair() {
	local d=$1 s=$2 seed=$3 tag=$4 nflags=$5 rflags=$6
	local base=d${d}_${tag}_seed${seed}
	# shellcheck disable=SC2086
	run "nidim_$base" 1 "$NIDIM" train "${RECIPE[@]}" --dim "$d" --sigma "$s" --epochs "$EPOCHS" --seed "$seed" \
		--threads "$THREADS" $nflags --out "$out/nidim_$base.safetensors" --json
	# shellcheck disable=SC2086
	run "torch_$base" 0 "$PY" "$REF" --d "$d" --sigma "$s" --epochs "$EPOCHS" --seed "$seed" \
		--threads "$THREADS" $rflags --out "$out/torch_$base.json.tmp"
}

for step in $STEPS; do
	case $step in
	main)
		for seed in $SEEDS; do
			pair 4 1 "$seed" s1 "" ""
			pair 16 0.5 "$seed" s0.5 "" ""
		done
		;;
	ablation)
		# The noiseless run is --noise-views none, where sigma only sets
		# the initial temperature 2 sigma^2 (--sigma 0 also trains without
		# noise, but from the temperature of sigma 0.1). The reference divides by sigma
		# in its capacity figures, so it runs at sigma 1e-6 (noise far below
		# the float32 resolution of unit-scale embeddings) with the same
		# initial temperature.
		for setting in $ABLATION_SETTINGS; do
			d=${setting%%:*}
			s=${setting#*:}
			tau=$(echo "2 * $s * $s" | bc -l)
			for seed in $ABLATION_SEEDS; do
				run "nidim_d${d}_nonoise_seed$seed" 1 "$NIDIM" train "${RECIPE[@]}" --dim "$d" --sigma "$s" --noise-views none \
					--epochs "$EPOCHS" --seed "$seed" --threads "$THREADS" \
					--out "$out/nidim_d${d}_nonoise_seed$seed.safetensors" --json
				run "torch_d${d}_nonoise_seed$seed" 0 "$PY" "$REF" --d "$d" --sigma 1e-6 --tau_init "$tau" \
					--epochs "$EPOCHS" --seed "$seed" --threads "$THREADS" \
					--out "$out/torch_d${d}_nonoise_seed$seed.json.tmp"
			done
		done
		;;
	norecal)
		# nidim recomputes the normalization statistics on clean training
		# inputs after training; the reference keeps the running statistics
		# of the augmented training batches. This runs nidim as the
		# reference does, for the seeds in SEEDS.
		for seed in $SEEDS; do
			run "nidim_d4_s1norecal_seed$seed" 1 "$NIDIM" train "${RECIPE[@]}" --dim 4 --sigma 1 --epochs "$EPOCHS" --seed "$seed" \
				--threads "$THREADS" --no-recalibrate --out "$out/nidim_d4_s1norecal_seed$seed.safetensors" --json
			run "nidim_d16_s0.5norecal_seed$seed" 1 "$NIDIM" train "${RECIPE[@]}" --dim 16 --sigma 0.5 --epochs "$EPOCHS" --seed "$seed" \
				--threads "$THREADS" --no-recalibrate --out "$out/nidim_d16_s0.5norecal_seed$seed.safetensors" --json
		done
		;;
	crosscheck)
		# Embeds the test split with every nidim checkpoint of the main
		# settings, so that parity_table.py recomputes the KS distance and
		# the correlation with scipy and numpy, as the reference does.
		for f in "$out"/nidim_d*_seed*.safetensors; do
			[[ -e $f && ! -s ${f%.safetensors}.test.npy ]] || continue
			"$NIDIM" embed --model "$f" --split test --threads "$THREADS" --out "${f%.safetensors}.test.npy"
		done
		;;
	determinism)
		for i in 1 2; do
			run "det_$i" 1 "$NIDIM" train "${RECIPE[@]}" --dim 4 --sigma 1 --epochs 1 --seed 7 --threads "$THREADS" \
				--no-eval --json --out "$out/det_$i.safetensors"
		done
		if cmp "$out/det_1.safetensors" "$out/det_2.safetensors"; then
			echo "identical" >"$out/determinism.txt"
		else
			echo "different" >"$out/determinism.txt"
		fi
		sha256sum "$out"/det_?.safetensors >>"$out/determinism.txt"
		echo "== determinism: $(head -1 "$out/determinism.txt")"
		;;
	cnn)
		run nidim_cnn 1 "$NIDIM" train "${RECIPE[@]}" --encoder cnn --dim 4 --sigma 1 --epochs 1 --seed 0 \
			--threads "$THREADS" --out "$out/nidim_cnn.safetensors" --json
		if [[ ! -s $out/nidim_cnn.json ]]; then
			# The evaluation after CNN training failed: time training alone.
			run nidim_cnn_noeval 1 "$NIDIM" train "${RECIPE[@]}" --encoder cnn --dim 4 --sigma 1 --epochs 1 --seed 0 \
				--threads "$THREADS" --no-eval --out "$out/nidim_cnn_noeval.safetensors" --json
		fi
		run torch_cnn 0 "$PY" "$REF" --arch cnn --d 4 --sigma 1 --epochs 1 --seed 0 \
			--threads "$THREADS" --no_eval --out "$out/torch_cnn.json.tmp"
		;;
	speed)
		# Training speed alone, back to back: three MLP epochs and one CNN
		# epoch on each side, without evaluation.
		run nidim_speed_mlp 1 "$NIDIM" train "${RECIPE[@]}" --dim 4 --sigma 1 --epochs 3 --seed 0 --threads "$THREADS" \
			--no-eval --out "$out/nidim_speed_mlp.safetensors" --json
		run torch_speed_mlp 0 "$PY" "$REF" --d 4 --sigma 1 --epochs 3 --seed 0 --threads "$THREADS" \
			--no_eval --out "$out/torch_speed_mlp.json.tmp"
		run nidim_speed_cnn 1 "$NIDIM" train "${RECIPE[@]}" --encoder cnn --dim 4 --sigma 1 --epochs 1 --seed 0 \
			--threads "$THREADS" --no-eval --out "$out/nidim_speed_cnn.safetensors" --json
		run torch_speed_cnn 0 "$PY" "$REF" --arch cnn --d 4 --sigma 1 --epochs 1 --seed 0 \
			--threads "$THREADS" --no_eval --out "$out/torch_speed_cnn.json.tmp"
		;;
	table)
		"$PY" "$repo/scripts/parity_table.py" "$out" >"$out/results.md"
		echo "== table: $out/results.md"
		;;
	*)
		echo "mnist_parity.sh: unknown step $step; use main, ablation, norecal, crosscheck, determinism, cnn, speed or table" >&2
		exit 2
		;;
	esac
done

# A failed run does not stop the others, but the comparison is incomplete.
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "mnist_parity.sh: ${#failed[@]} runs failed: ${failed[*]}; rerun the same command to retry them" >&2
	exit 1
fi
