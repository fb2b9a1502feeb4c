"""Bad input for every op-table entry, under every policy, in subprocesses.

A library must not let any argument kill the interpreter, so the bad-input cases run in
worker subprocesses (this file run as a script): a case that kills its worker (SIGSEGV,
SIGFPE, abort) is a failure of that case, not a lost run. The cases of one op are:

* the conformance strategies' bad calls (:func:`strategies.error_strategy`: shape
  mismatches, bad axes, bad indices, ...), drawn by Hypothesis;
* generic bad arguments put in each argument position of a valid call: ``None``,
  strings, ragged and object data in array positions; ``None``, strings, negative,
  huge (``2**31``, ``2**63``, ``2**64``), fractional and malformed values in every
  other parameter (axes, shapes, bounds, sizes, counts) and in each keyword MXNet takes.

Each case runs in NumPy and in MinPy: where NumPy raises, MinPy must raise the same
exception type ('only_mxnet' may raise NotImplementedError instead); where NumPy
succeeds, MinPy must too, with NumPy's dtype and shape.

Speed: two workers run at once, each over half of the ops and every policy (NumPy's
answer to a case is computed once for the four policies); a worker that dies is
restarted after the case that killed it, so a crash costs one restart.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
POLICIES = ("prefer_mxnet", "only_numpy", "auto", "only_mxnet")
#: Seconds one worker may run before the rest of its cases count as hung.
WORKER_TIMEOUT = float(os.environ.get("MINPY_BAD_INPUT_TIMEOUT", "300"))
#: Seconds one call may take (NumPy loops ``n`` times in ``diff(a, n=2**31)``).
CASE_SECONDS = 2.0

_BAD_OPERANDS = (None, "abc", [[1.0, 2.0], [3.0]], "object", "strings", 2 ** 64)
_BAD_PARAMS = (None, "abc", -100, 2 ** 31, 2 ** 63, 1.5, (1, -5), [[1], [2, 3]])
_BAD_KW = ("axis", "axes", "k", "n", "ddof", "decimals", "size", "shape", "offset",
           "axis1", "axis2", "ind", "dtype", "keepdims", "endpoint", "mode",
           "constant_values")


# -- the worker (runs in a subprocess) ---------------------------------------------------
def _bad_value(v):
    import numpy as np
    if isinstance(v, str) and v == "object":
        return np.array([object(), 1], dtype=object)
    if isinstance(v, str) and v == "strings":
        return np.array(["a", "b"])
    return v


def _base_call(name):
    """A valid call of ``name`` with non-empty arrays: the first such example the
    strategies draw (derandomised, no shrinking: ``find`` would cost seconds per op)."""
    import numpy as np
    from hypothesis import HealthCheck, Phase, given, settings

    import strategies

    class Found(Exception):
        pass

    def nonempty(call):
        for a in call.args:
            for x in (a if isinstance(a, (list, tuple)) else (a,)):
                if isinstance(x, np.ndarray) and x.size == 0:
                    return False
        return True
    found = []

    @settings(database=None, derandomize=True, max_examples=30, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None, print_blob=False)
    @given(call=strategies.strategy(name))
    def grab(call):
        if nonempty(call):
            found.append(call)
            raise Found()
    try:
        grab()
    except Found:
        pass
    return found[0] if found else None


def _array_positions(op, args):
    spec = op.arrays
    if spec == "all":
        return set(range(len(args)))
    if spec == "seq0":
        return {0}
    return {i for i in spec if i < len(args)}


def generic_cases(name):
    """``[(label, args, kwargs)]``: bad values in each position of a valid call."""
    from minpy.numpy._table import TABLE
    op = TABLE[name]
    base = _base_call(name)
    if base is None:
        return []
    args, kwargs = tuple(base.args), dict(base.kwargs)
    arrays = _array_positions(op, args)
    out = []
    for i in range(len(args)):
        if op.arrays == "seq0" and i == 0:
            for v in _BAD_OPERANDS:
                seq = list(args[0])
                seq[-1] = v
                out.append((f"seq[-1]={v!r}", (seq,) + args[1:], kwargs))
            continue
        for v in (_BAD_OPERANDS if i in arrays else _BAD_PARAMS):
            out.append((f"arg{i}={v!r}", args[:i] + (v,) + args[i + 1:], kwargs))
    accepted = set().union(*[i.kwargs for i in op.impls.values() if i.kwargs is not None])
    for k in sorted((accepted | set(kwargs)) & set(_BAD_KW)):
        for v in _BAD_PARAMS:
            out.append((f"{k}={v!r}", args, dict(kwargs, **{k: v})))
    return out


def _to_minpy(x, device, resident=False):
    """NumPy arrays in ``x`` as Arrays on ``device`` (object arrays stay NumPy's); with
    ``resident``, those MXNet holds start in their MXNet form only."""
    import numpy as np

    import harness
    if isinstance(x, np.ndarray) and x.dtype != object:
        return harness.to_minpy(x, device, resident)
    if type(x) in (list, tuple):
        return type(x)(_to_minpy(v, device, resident) for v in x)
    return x


class _Slow(BaseException):
    """A case ran past :data:`CASE_SECONDS` (raised by SIGALRM)."""


@contextlib.contextmanager
def _time_limit():
    def alarm(signum, frame):
        raise _Slow()
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _reference(name, args, kwargs):
    """NumPy's answer: ``(result, exception)``, or ``None`` when NumPy itself runs past
    :data:`CASE_SECONDS` (``diff(a, n=2**31)`` loops ``n`` times): nothing to compare."""
    import numpy as np

    import harness
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            with _time_limit():
                return harness.numpy_ref(name)(*args, **kwargs), None
        except _Slow:
            return None
        except Exception as exc:  # noqa: BLE001
            return None, exc


def _outcome(name, args, kwargs, policy, device, reference=None, resident=False):
    """``None`` when MinPy behaved as NumPy on this call, else what differed."""
    import numpy as np

    import harness
    import minpy.core as core
    import minpy.numpy as mnp
    from minpy.core.convert import to_host
    args = tuple(_bad_value(a) for a in args)
    kwargs = {k: _bad_value(v) for k, v in kwargs.items()}
    if reference is None:
        reference = _reference(name, args, kwargs)
        if reference is None:
            return None
    ref, ref_exc = reference
    res = res_exc = None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        margs, mkw = _to_minpy(args, device, resident), _to_minpy(kwargs, device, resident)
        with mnp.policy(policy), core.device(device):
            try:
                with _time_limit():
                    res = harness.minpy_fn(name)(*margs, **mkw)
            except _Slow:
                return f"MinPy took over {CASE_SECONDS} s where NumPy answered"
            except Exception as exc:  # noqa: BLE001
                res_exc = exc
    if isinstance(res_exc, NotImplementedError) and policy == "only_mxnet":
        return None
    if ref_exc is not None:
        if res_exc is None:
            return f"NumPy raised {type(ref_exc).__name__}: {ref_exc}; MinPy returned"
        if not isinstance(res_exc, type(ref_exc)):
            return (f"NumPy raised {type(ref_exc).__name__}: {ref_exc}; MinPy raised "
                    f"{type(res_exc).__name__}: {res_exc}")
        return None
    if res_exc is not None:
        return f"NumPy succeeded; MinPy raised {type(res_exc).__name__}: {res_exc}"
    refs = ref if isinstance(ref, (tuple, list)) else (ref,)
    ress = res if isinstance(res, (tuple, list)) else (res,)
    for r, m in zip(refs, ress):
        r, m = np.asarray(r), np.asarray(to_host(m))
        if (r.dtype, r.shape) != (m.dtype, m.shape):
            return f"NumPy gave {r.dtype}{r.shape}, MinPy {m.dtype}{m.shape}"
    return None


def _strategy_outcome(name, policy, device):
    """The strategies' bad calls for ``name`` (Hypothesis): ``None`` or a failure."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    import strategies
    strategy = strategies.error_strategy(name)
    if strategy is None:
        return None
    failures = []
    thorough = os.environ.get("MINPY_TEST_PROFILE") == "thorough"

    @settings(max_examples=200 if thorough else 15, deadline=None, derandomize=not thorough,
              database=None, suppress_health_check=list(HealthCheck), print_blob=False)
    @given(call=strategy, resident=st.booleans())
    def run(call, resident):
        problem = _outcome(name, call.args, call.kwargs, policy, device, resident=resident)
        if problem:
            failures.append(f"{call!r}: {problem}")
            raise AssertionError(problem)
    try:
        run()
    except AssertionError:
        pass
    return failures[-1] if failures else None


def _limit_memory(extra=3 * 2 ** 30):
    """Cap the worker's address space (NumPy accepts ``arange(2**31)``: 16 GB): a huge
    allocation raises MemoryError in NumPy instead of swapping the machine."""
    try:
        import resource
        with open("/proc/self/statm") as fh:
            size = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (size + extra, size + extra))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: no cap


def worker(part, parts, start_op, start_case, start_policy):
    """Run the cases of every ``parts``-th op (from the ``part``-th) under every policy,
    from case ``start_case`` of op ``start_op`` and policy ``start_policy`` on; print one
    JSON line per case begun and per case finished (the parent reads which case a crash
    interrupted). NumPy's answer to a generic case is computed once for all policies."""
    sys.path.insert(0, str(HERE))
    import minpy.core as core
    import minpy.numpy.random  # noqa: F401  (registers the random entries)
    from minpy.numpy._table import TABLE
    devices = [core.cpu()] + ([core.gpu(0)] if core.num_gpus() else [])
    _limit_memory()
    for name in sorted(TABLE)[part::parts]:
        if name < start_op:
            continue
        units = [("strategy", None, None)] + generic_cases(name)
        for index, (label, args, kwargs) in enumerate(units):
            if name == start_op and index < start_case:
                continue
            reference = None
            if label != "strategy":
                reference = _reference(name, tuple(_bad_value(a) for a in args),
                                       {k: _bad_value(v) for k, v in kwargs.items()})
                if reference is None:
                    continue
            for pi, policy in enumerate(POLICIES):
                if name == start_op and index == start_case and pi < start_policy:
                    continue
                print(json.dumps({"begin": [name, index, pi], "case": label}), flush=True)
                problem = None
                for device in devices:
                    try:
                        problem = (_strategy_outcome(name, policy, device)
                                   if label == "strategy" else
                                   _outcome(name, args, kwargs, policy, device, reference))
                    except Exception as exc:  # noqa: BLE001 (the harness itself failed)
                        problem = f"harness error {type(exc).__name__}: {exc}"
                    if problem:
                        problem = f"{device}: {problem}"
                        break
                print(json.dumps({"end": [name, index, pi], "case": label,
                                  "problem": problem}), flush=True)
    print(json.dumps({"done": True}), flush=True)


# -- the parent (pytest) ----------------------------------------------------------------
#: Worker processes run at once, each over every PARTS-th op.
PARTS = 2


def _run_part(part):
    """{(policy, op): [failure, ...]} for ``part``: the worker is restarted after each
    case that kills it."""
    failures: dict = {}
    start = ["", 0, 0]
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    while True:
        try:
            proc = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--worker", str(part),
                 str(PARTS)] + [str(x) for x in start], capture_output=True, text=True,
                timeout=WORKER_TIMEOUT, cwd=str(HERE), env=env)
            stdout, rc, stderr = proc.stdout, proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as exc:
            stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (
                exc.stdout or "")
            rc, stderr = "timeout", ""
        begun = None
        for line in stdout.splitlines():
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            if "begin" in rec:
                begun = rec
            elif "end" in rec:
                begun = None
                name, index, pi = rec["end"]
                if rec["problem"]:
                    failures.setdefault((POLICIES[pi], name), []).append(
                        f"[{rec['case']}] {rec['problem']}")
            elif "done" in rec:
                return failures
        if begun is None:  # died outside any case: report it and stop
            failures.setdefault(("<worker>", str(part)), []).append(
                f"worker exited {rc}: {stderr[-2000:]}")
            return failures
        name, index, pi = begun["begin"]
        what = "hung" if rc == "timeout" else f"killed the process (exit status {rc})"
        failures.setdefault((POLICIES[pi], name), []).append(f"[{begun['case']}] {what}")
        if rc == "timeout":
            return failures
        start = [name, index, pi + 1] if pi + 1 < len(POLICIES) else [name, index + 1, 0]


@pytest.fixture(scope="module")
def bad_input_results():
    results: dict = {}
    with ThreadPoolExecutor(max_workers=PARTS) as pool:
        for part in pool.map(_run_part, range(PARTS)):
            results.update(part)
    return results


def _names():
    import minpy.numpy.random  # noqa: F401
    from minpy.numpy._table import TABLE
    return sorted(TABLE)


def test_workers_ran(bad_input_results):
    broken = {k: v for k, v in bad_input_results.items() if k[0] == "<worker>"}
    assert not broken, broken


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", _names())
def test_bad_input_raises_numpys_exception(name, policy, bad_input_results):
    """Every bad call: no crash, NumPy's exception type (or NumPy's success)."""
    problems = bad_input_results.get((policy, name))
    assert not problems, "\n".join(problems[:10])


if __name__ == "__main__" and len(sys.argv) == 7 and sys.argv[1] == "--worker":
    worker(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]),
           int(sys.argv[6]))
