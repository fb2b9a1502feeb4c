"""Out of memory on each backend raises MemoryError and leaves MinPy usable (issue 23).

Each case runs in a fresh interpreter whose address space is capped a gigabyte above
what it uses after warming up (``RLIMIT_AS``), so that a multi-gigabyte allocation fails
at once in the allocator, as on a full machine or GPU, and never reaches the real
machine's memory. The allocation fails

* in MXNet's CPU storage (``Failed to allocate CPU Memory``, an ``MXNetError``) under
  'prefer_mxnet' and 'only_mxnet': MinPy raises ``MemoryError`` and does not retry the
  call in NumPy (the host is the same memory);
* inside a ``minpy.symbol.Function`` (its CachedOp's outputs);
* in CuPy (the stand-in, whose allocations fail as CuPy's ``OutOfMemoryError``, a
  ``MemoryError``) under 'only_cupy' and 'prefer_mxnet' on gpu(0);
* in NumPy (the host) under 'only_numpy'.

After each failure the same session computes a small expression on the same backend and
gets NumPy's values.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

if not sys.platform.startswith("linux"):  # pragma: no cover
    pytest.skip("RLIMIT_AS caps the address space on Linux", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[3]

_PROGRAM = textwrap.dedent("""
    import json, resource, sys, warnings
    warnings.simplefilter("ignore")
    backend = sys.argv[1]
    if backend == "cupy":
        sys.path.insert(0, sys.argv[2])
        import cupy_standin
        cupy_standin.install()
    import numpy as onp
    import minpy.core as core
    import minpy.numpy as np

    device = core.gpu(0) if backend == "cupy" else core.cpu()
    policies = {"cupy": ["only_cupy", "prefer_mxnet"],
                "mxnet": ["prefer_mxnet", "only_mxnet"],
                "numpy": ["only_numpy"]}[backend]

    def small():
        x = np.arange(6).reshape(2, 3) * 1.0
        return (np.exp(x) @ np.ones((3, 2)) + x.sum()).asnumpy()

    expected = (onp.exp(onp.arange(6.0).reshape(2, 3)) @ onp.ones((3, 2)) + 15.0)
    with core.device(device):
        for pol in policies:
            with np.policy(pol):
                small()
        fn = None
        if backend == "mxnet":
            import mxnet as mx
            from minpy.symbol import Function
            net = mx.sym.FullyConnected(mx.sym.Variable("x"), num_hidden=2 ** 20,
                                        no_bias=True, name="fc")
            fn = Function(net)
            fn(x=np.ones((1, 2)), fc_weight=np.ones((2 ** 20, 2)))

    with open("/proc/self/statm") as fh:
        used = int(fh.read().split()[0]) * 4096
    cap = used + 2 ** 30
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    out = []
    huge = 2 ** 28 + 7  # float64: 2 GiB, twice the headroom
    with core.device(device):
        cases = [(pol, "ones", lambda: np.ones((huge,))) for pol in policies]
        cases += [(pol, "add", lambda: np.zeros((huge // 2,)) + 1.0) for pol in policies]
        if fn is not None:
            cases.append(("prefer_mxnet", "Function",
                          lambda: fn(x=np.ones((2 ** 9, 2)), fc_weight=np.ones((2 ** 20, 2)))))
        for pol, what, make in cases:
            try:
                with np.policy(pol):
                    r = make()
                    r.asnumpy()
                err = None
            except BaseException as exc:  # noqa: BLE001 (reported to the test)
                err = [type(exc).__name__, isinstance(exc, MemoryError), str(exc)[:300]]
            with np.policy(pol):
                ok = bool(onp.allclose(small(), expected))
            out.append({"policy": pol, "what": what, "error": err, "usable": ok})
    print("RESULT " + json.dumps(out))
""")


def _run(backend):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", _PROGRAM, backend,
                           str(ROOT / "conformance")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def _check(results, backend_words):
    assert results
    for r in results:
        assert r["error"] is not None, f"{r}: the allocation did not fail"
        name, is_memory_error, text = r["error"]
        assert is_memory_error, f"{r}: raised {name}, not a MemoryError"
        assert any(w in text for w in backend_words), (
            f"{r}: the MemoryError does not come from the expected backend")
        assert r["usable"], f"{r}: MinPy gave wrong values after the failure"


def test_mxnet_out_of_memory():
    from minpy.core import _mxnet
    if not _mxnet.available():
        pytest.skip(f"MXNet is not available: {_mxnet.unavailable_reason()}")
    _check(_run("mxnet"), ("Failed to allocate",))


def test_cupy_standin_out_of_memory():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _standin import cupy_standin
    reason = cupy_standin.unavailable_reason()
    if reason:
        pytest.skip(reason)
    _check(_run("cupy"), ("Out of memory allocating",))


def test_numpy_out_of_memory():
    _check(_run("numpy"), ("Unable to allocate",))
