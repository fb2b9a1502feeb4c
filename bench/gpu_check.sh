#!/usr/bin/env bash
# MinPy's GPU check (issues 14 and 19), in one go, in at most 6 minutes.
#
#   bash bench/gpu_check.sh --prepare      # here, with the network: the wheels it needs
#   bash bench/gpu_check.sh [OUT]          # on the GPU image: no network, no installs
#   bash bench/gpu_check.sh --standin [OUT]  # the same stages on a CPU machine, against
#                                          # the CuPy stand-in: NOT a GPU run
#
# The GPU image is taken as it is: Python 3.12, NumPy, CuPy 14 for CUDA 13, no network,
# perhaps no venv/ensurepip, no setuptools, no pytest. Nothing is installed: --prepare
# puts pure-Python wheels (pytest, Hypothesis and their dependencies) into
# bench/gpu_deps/ (in the working tree, NOT git-ignored so that it travels with the tree,
# and NOT to be committed: see bench/README.md); the check unzips them into a temporary
# folder and runs MinPy from its sources (PYTHONPATH=packages/*/src).
#
# Stages, each with its own time limit (STAGE_*_S) inside one overall deadline
# (TOTAL_S=345), each writing into OUT ($OUT if set, else build/gpu_check/) as it goes:
#   environment  environment.txt, devices.txt
#   warmup       CuPy's first-use kernel compilation, measured (warmup.json) and paid
#                once into a kernel cache every later stage shares (CUPY_CACHE_DIR)
#   conformance  the conformance suite's GPU leg: every op-table entry on gpu(0) under
#                'auto' and 'only_cupy' (conformance_ops.log/.xml, the suite's report)
#   nn_conv      minpy.nn's convolution and pooling, forward and gradient (nn_conv.json)
#   bench        bench/bench_gpu.py: MinPy vs raw CuPy, the MLP step vs CuPy by hand,
#                minpy.jit, JAX jit and PyTorch where present (bench_gpu.json)
#   grads        the gradient checks on gpu(0), only if time is left (conformance_grads)
# summary.txt has one line per stage as it ends (and a line as it starts, so a killed run
# shows where it was). A stage that runs out of time is interrupted (SIGINT: pytest still
# writes its XML) and the next one runs.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
DEPS=$ROOT/bench/gpu_deps
MODE=gpu
case "${1:-}" in
    --prepare) MODE=prepare; shift ;;
    --standin) MODE=standin; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
esac
PY=${PYTHON:-python3}

# -- --prepare: the wheels, downloaded here ---------------------------------------------------
if [ "$MODE" = prepare ]; then
    rm -rf "$DEPS"
    mkdir -p "$DEPS/wheels"
    # Pure-Python wheels for Python 3.12 (the GPU image's), whatever Python runs this.
    "$PY" -m pip download --quiet --only-binary=:all: --python-version 3.12 \
        --implementation py --abi none --platform any -d "$DEPS/wheels" \
        "pytest>=8" "hypothesis>=6.100" || { echo "pip download failed" >&2; exit 2; }
    {
        echo "Wheels for bench/gpu_check.sh (made by --prepare on $(date -u +%FT%TZ))."
        echo "DO NOT COMMIT: third-party wheels. Not git-ignored on purpose: the folder"
        echo "must travel with the working tree to the GPU machine. Delete it after use."
        (cd "$DEPS/wheels" && sha256sum ./*.whl)
    } > "$DEPS/MANIFEST.txt"
    echo "prepared $DEPS ($(du -sh "$DEPS" | cut -f1)): $(ls "$DEPS/wheels" | tr '\n' ' ')"
    exit 0
fi

OUT=${1:-${OUT:-$ROOT/build/gpu_check}}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }
T0=$(date +%s)
TOTAL_S=${TOTAL_S:-345}
STAGE_WARMUP_S=${STAGE_WARMUP_S:-60}
STAGE_OPS_S=${STAGE_OPS_S:-150}
STAGE_NN_S=${STAGE_NN_S:-40}
STAGE_BENCH_S=${STAGE_BENCH_S:-90}
# 8 examples per op test instead of 15: on a GPU each new dtype combination compiles a
# kernel. MINPY_TEST_EXAMPLES=15 for the full count when the time allows.
export MINPY_TEST_EXAMPLES=${MINPY_TEST_EXAMPLES:-8}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/minpy_gpu_check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CUPY_CACHE_DIR=${CUPY_CACHE_DIR:-$WORK/cupy_kernels}
export HYPOTHESIS_STORAGE_DIRECTORY=$WORK/hypothesis

# -- the Python environment: sources, unzipped wheels, nothing installed ------------------------
SITE=$WORK/site
mkdir -p "$SITE"
if [ -d "$DEPS/wheels" ]; then
    for w in "$DEPS"/wheels/*.whl; do
        "$PY" -m zipfile -e "$w" "$SITE" || say "warning: cannot unzip $w"
    done
fi
SRC=$(ls -d "$ROOT"/packages/*/src | tr '\n' ':')
export PYTHONPATH=$SITE:$SRC$ROOT/bench${PYTHONPATH:+:$PYTHONPATH}
export PYTHONDONTWRITEBYTECODE=1 MINPY_DEV_SRC=1
RUN=("$PY")
if [ "$MODE" = standin ]; then
    # Every Python stage imports the stand-in as cupy (conformance/cupy_standin.py).
    RUN=("$PY" "$ROOT/conformance/cupy_standin.py")
    export MINPY_CUPY_STANDIN=1
    QUICK=1
fi

say "MinPy GPU check ($MODE), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
[ "$MODE" = standin ] && say "CuPy STAND-IN RUN: NumPy on the host behind the real CuPy 14's names (conformance/cupy_standin.py); NOT a GPU run: its times are not GPU figures"

remaining() { echo $(( TOTAL_S - ($(date +%s) - T0) )); }

run_stage() {  # name, seconds, command...: interrupted (SIGINT) at min(seconds, deadline)
    local name=$1 limit=$2; shift 2
    local left; left=$(remaining)
    [ "$left" -lt "$limit" ] && limit=$left
    if [ "$limit" -lt 10 ]; then
        say "$name: SKIPPED, $left s left of the ${TOTAL_S} s budget"
        return
    fi
    echo "$name: started at +$(( $(date +%s) - T0 ))s, limit ${limit}s" >> "$SUMMARY"
    local t; t=$(date +%s)
    timeout -s INT -k 15 "$limit" "$@" > "$OUT/$name.log" 2>&1
    local rc=$?
    local tail_line
    tail_line=$(grep -E "passed|failed|error|rows,|kernels warmed|OK |WRONG|FAILED" \
        "$OUT/$name.log" | tail -1)
    if [ $rc -eq 124 ] || [ $rc -eq 130 ] || [ $rc -eq 137 ]; then
        say "$name: TIMED OUT after ${limit}s (rc=$rc; partial results kept) $tail_line"
    else
        say "$name: rc=$rc in $(( $(date +%s) - t ))s: $tail_line"
    fi
}

# -- environment -----------------------------------------------------------------------------------
{ command -v nvidia-smi >/dev/null && nvidia-smi; "${RUN[@]}" - <<'EOF'
import sys, numpy
from importlib import metadata
print("python", sys.version.split()[0], "numpy", numpy.__version__)
import cupy  # imported: the stand-in says so
print("cupy", cupy.__version__, "(stand-in)" if getattr(cupy, "__standin__", False) else "")
for m in ("torch", "jax", "mxnet", "pytest", "hypothesis", "setuptools"):
    try:  # the version only: importing torch or JAX costs seconds
        print(m, metadata.version(m))
    except metadata.PackageNotFoundError:
        try:
            print(m, __import__(m).__version__)
        except Exception as e:
            print(m, "missing:", type(e).__name__, e)
EOF
} > "$OUT/environment.txt" 2>&1
say "environment: $(grep -E '^(python|cupy|torch|jax|mxnet|pytest|hypothesis)' "$OUT/environment.txt" | tr '\n' ';')"
"${RUN[@]}" - > "$OUT/devices.txt" 2>&1 <<'EOF'
import minpy.core as core
print("available_devices:", core.available_devices())
for d in core.available_devices():
    print(d, core.backend_info(d))
print("CuPy:", core.cupy_unavailable_reason() or "available")
EOF
say "devices: $(tr '\n' ' ' < "$OUT/devices.txt")"
HAVE_PYTEST=1
"$PY" -c "import pytest, hypothesis" 2>/dev/null || {
    HAVE_PYTEST=0
    say "pytest/hypothesis unavailable (run 'bash bench/gpu_check.sh --prepare' with the network first): the conformance stages are skipped"; }

cd "$OUT"   # pytest's cache and the benchmarks' files stay out of the tree

# -- stages ------------------------------------------------------------------------------------
run_stage warmup "$STAGE_WARMUP_S" "${RUN[@]}" "$ROOT/bench/gpu_warmup.py" \
    --json "$OUT/warmup.json" --budget "$(( STAGE_WARMUP_S - 10 ))"

if [ $HAVE_PYTEST = 1 ]; then
    touch "$WORK/ops_start"
    run_stage conformance_ops "$STAGE_OPS_S" env MINPY_TEST_DEVICE=gpu \
        MINPY_TEST_POLICIES=auto,only_cupy "${RUN[@]}" -m pytest \
        "$ROOT/conformance/test_ops.py" -q -p no:cacheprovider -rfEsxX \
        --junitxml="$OUT/conformance_ops.xml" -o junit_logging=no
    find "$ROOT/build/conformance" -name 'report-*.txt' -newer "$WORK/ops_start" \
        -exec cp {} "$OUT/" \; 2>/dev/null
fi

run_stage nn_conv "$STAGE_NN_S" "${RUN[@]}" "$ROOT/bench/gpu_nn_check.py" \
    --json "$OUT/nn_conv.json" ${QUICK:+--quick}

run_stage bench_gpu "$STAGE_BENCH_S" "${RUN[@]}" "$ROOT/bench/bench_gpu.py" \
    --json "$OUT/bench_gpu.json" ${QUICK:+--quick}

if [ $HAVE_PYTEST = 1 ] && [ "$(remaining)" -ge 45 ]; then
    run_stage conformance_grads "$(remaining)" env MINPY_TEST_DEVICE=gpu \
        MINPY_GRAD_EXAMPLES=3 "${RUN[@]}" -m pytest "$ROOT/conformance/test_grads.py" -q \
        -p no:cacheprovider -x --junitxml="$OUT/conformance_grads.xml"
else
    say "conformance_grads: SKIPPED ($(remaining) s left)"
fi

say "total $(( $(date +%s) - T0 ))s; results in $OUT"
