#!/usr/bin/env bash
# MinPy's GPU check (issue 14), in one go, on a machine with an NVIDIA GPU and CuPy:
#
#   1. installs MinPy from this working tree into a fresh venv that sees the system's
#      packages (CuPy, NumPy, torch, JAX...): pip --no-deps --no-build-isolation, so
#      nothing is downloaded; pytest/hypothesis come from the system or from wheels in
#      bench/.wheels (see bench/README.md);
#   2. the conformance suite's GPU leg: every op-table entry on gpu(0) under 'auto' and
#      'only_cupy' (conformance/test_ops.py), and the autograd gradient checks on gpu(0)
#      (conformance/test_grads.py);
#   3. the GPU benchmark (bench/bench_gpu.py): MinPy vs raw CuPy, JAX jit, PyTorch.
#
# Everything goes to one folder: $OUT if set, else build/gpu_check/. Each stage has its
# own time limit (STAGE_*_S) so that the whole check fits in about 8 minutes; a stage
# that runs out says so in summary.txt and the next one still runs.
#
#   bash bench/gpu_check.sh            # the check
#   QUICK=1 bash bench/gpu_check.sh    # smaller benchmark sizes, fewer examples
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/build/gpu_check}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
VENV=${VENV:-/tmp/minpy_gpu_venv}
STAGE_OPS_S=${STAGE_OPS_S:-210}
STAGE_GRADS_S=${STAGE_GRADS_S:-120}
STAGE_BENCH_S=${STAGE_BENCH_S:-150}
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }
T0=$(date +%s)

say "MinPy GPU check, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
{ nvidia-smi || true; "$PY" -c "
import sys, numpy; print('python', sys.version.split()[0], 'numpy', numpy.__version__)
for m in ('cupy', 'torch', 'jax', 'mxnet', 'pytest', 'hypothesis', 'setuptools'):
    try:
        mod = __import__(m); print(m, getattr(mod, '__version__', '?'))
    except Exception as e:
        print(m, 'missing:', type(e).__name__, e)
"; } > "$OUT/environment.txt" 2>&1
say "environment: $(grep -E '^(python|cupy|torch|jax|mxnet|pytest|hypothesis)' "$OUT/environment.txt" | tr '\n' ';')"

# -- 1. install -------------------------------------------------------------------------
if ! "$PY" -c "import setuptools" 2>/dev/null; then
    say "FATAL: setuptools is missing: pip install --no-build-isolation needs it"; exit 2
fi
rm -rf "$VENV"
"$PY" -m venv --system-site-packages "$VENV" > "$OUT/install.log" 2>&1 || {
    say "FATAL: cannot create the venv (see install.log)"; exit 2; }
VPY=$VENV/bin/python
if [ -d bench/.wheels ]; then   # pytest/hypothesis brought along (no network there)
    "$VPY" -m pip install --no-index --find-links bench/.wheels -q pytest hypothesis \
        >> "$OUT/install.log" 2>&1 || say "warning: wheels in bench/.wheels did not install"
fi
if "$VPY" -m pip install --no-deps --no-build-isolation -q packages/minpy-core \
    packages/minpy-numpy packages/minpy-autograd packages/minpy-symbol packages/minpy \
    >> "$OUT/install.log" 2>&1; then
    say "install: pip --no-deps --no-build-isolation"
else
    # e.g. a setuptools older than 70.1 without the 'wheel' package (no bdist_wheel):
    # put the working tree's sources on the venv's path instead (the same code).
    SITE=$("$VPY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    ls -d "$ROOT"/packages/*/src > "$SITE/minpy_working_tree.pth"
    "$VPY" -c "import minpy.numpy, minpy.autograd" >> "$OUT/install.log" 2>&1 || {
        say "FATAL: MinPy neither installs nor imports (see install.log)"; exit 2; }
    say "install: pip failed (see install.log); the tree's packages/*/src are on the path"
fi
"$VPY" - > "$OUT/devices.txt" 2>&1 <<'EOF'
import minpy.core as core
print("available_devices:", core.available_devices())
for d in core.available_devices():
    print(d, core.backend_info(d))
print("CuPy:", core.cupy_unavailable_reason() or "available")
EOF
say "devices: $(tr '\n' ' ' < "$OUT/devices.txt")"
cd "$OUT"   # the installed MinPy, not the tree's sources, is imported below
export MINPY_TEST_DEVICE=gpu PYTHONDONTWRITEBYTECODE=1
if [ -n "${QUICK:-}" ]; then export MINPY_GRAD_EXAMPLES=3; fi

# -- 2. conformance GPU leg ---------------------------------------------------------------
run_stage() {  # name, seconds, command...
    local name=$1 limit=$2; shift 2
    local t=$(date +%s)
    timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
    local rc=$?
    local tail_line; tail_line=$(grep -E "passed|failed|skipped|error|rows," "$OUT/$name.log" | tail -1)
    if [ $rc -eq 124 ]; then
        say "$name: TIMED OUT after ${limit}s (partial log: $name.log) $tail_line"
    else
        say "$name: rc=$rc in $(( $(date +%s) - t ))s: $tail_line"
    fi
}
run_stage conformance_ops "$STAGE_OPS_S" env MINPY_TEST_POLICIES=auto,only_cupy \
    "$VPY" -m pytest "$ROOT/conformance/test_ops.py" -q -p no:cacheprovider \
    -k "test_op_matches_numpy" --junitxml="$OUT/conformance_ops.xml" -rs
cp "$ROOT"/build/conformance/report-*.txt "$OUT/" 2>/dev/null || true
run_stage conformance_grads "$STAGE_GRADS_S" "$VPY" -m pytest \
    "$ROOT/conformance/test_grads.py" -q -p no:cacheprovider \
    --junitxml="$OUT/conformance_grads.xml" -rs

# -- 3. benchmark ---------------------------------------------------------------------------
run_stage bench_gpu "$STAGE_BENCH_S" "$VPY" "$ROOT/bench/bench_gpu.py" \
    --json "$OUT/bench_gpu.json" ${QUICK:+--quick}

say "total $(( $(date +%s) - T0 ))s; results in $OUT"
