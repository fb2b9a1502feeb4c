"""Regression programs: short multi-step NumPy programs that MinPy must run as NumPy
does, under every policy, with cached device forms in play.

A program is a function ``program(xp, env)`` written once for both libraries: ``xp`` is
``numpy`` or ``minpy.numpy``; ``env`` is what differs between a run on NumPy and on
MinPy (:class:`NumpyEnv`, :class:`MinpyEnv`):

* ``env.cache(*arrays)`` gives the arrays a cached device form (an MXNet form, or the
  CuPy test double's): a later write must not leave it stale;
* ``env.device(fn)`` computes ``fn()`` on the device backend (reading those forms);
* ``env.step(fn, *args, **kwargs)`` is one step under test (a write).

It returns its observations (arrays, scalars, :class:`Raised`), compared with NumPy's by
:func:`same`. :data:`PROGRAMS` holds issue 26's snippets and one program (or more) for
every NumPy function and method that writes into an argument
(``minpy.core._handoff.WRITERS``, ``ARRAY_WRITERS`` and ``out=``), each saying which
writers it covers. ``conformance/test_writers.py`` runs them; the program fuzzer
(issue 23) is to take them as its first regression cases (this module imports nothing
from pytest, and holds no tests).

The ``_test`` suffix keeps Hypothesis from mixing this module's literals into the
examples it draws for the whole suite: Hypothesis seeds its generation with the
constants of every local module loaded, test files excepted
(``hypothesis.internal.constants_ast.is_local_module_file``), so a helper module under
another name changes the examples of unrelated conformance tests.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np

__all__ = ["Raised", "NumpyEnv", "MinpyEnv", "PROGRAMS", "same", "run"]

_NUMPY1 = int(np.__version__.split(".")[0]) < 2


class Raised:
    """An observation: the step raised ``exc``."""

    def __init__(self, exc):
        self.exc = exc

    def __repr__(self):
        return f"Raised({type(self.exc).__name__}: {self.exc})"


def attempt(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 (an observation: NumPy's must match)
        return Raised(exc)


class NumpyEnv:
    """The reference run: no device forms, every step NumPy's."""

    refused = 0

    def cache(self, *arrays):
        pass

    def device(self, fn):
        return fn()

    def step(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)


class MinpyEnv:
    """A MinPy run whose steps run under ``policy`` (the rest of the program under the
    caller's), device forms read under ``device_policy`` (MXNet's 'only_mxnet', or
    'prefer_mxnet' for the CuPy double on a GPU device).

    Under a strict policy a step NumPy alone implements raises NotImplementedError (the
    policy's contract): it must then have written nothing; it is counted in
    :attr:`refused` and run under 'prefer_mxnet', so the program goes on."""

    def __init__(self, mnp, policy, device_policy="only_mxnet"):
        self.np, self.policy, self.device_policy = mnp, policy, device_policy
        self.refused = 0

    def cache(self, *arrays):
        from minpy.core import mx_holdable
        for a in arrays:
            if a._device.is_gpu and a._device.backend == "cupy":
                a.ascupy()
            elif mx_holdable(a.dtype):
                a.asmxnet()

    def device(self, fn):
        try:
            with self.np.policy(self.device_policy):
                return fn()
        except NotImplementedError:  # a read MXNet cannot do: still compared
            with self.np.policy("prefer_mxnet"):
                return fn()

    def step(self, fn, *args, **kwargs):
        if not self.policy.startswith("only_") or self.policy == "only_numpy":
            with self.np.policy(self.policy):
                return fn(*args, **kwargs)
        before = [(a, a.asnumpy()) for a in _arrays(args, kwargs)]
        try:
            with self.np.policy(self.policy):
                return fn(*args, **kwargs)
        except NotImplementedError:
            for a, host in before:
                assert np.array_equal(a.asnumpy(), host, equal_nan=True), (
                    f"{fn} wrote into an argument before refusing under {self.policy}")
            self.refused += 1
            with self.np.policy("prefer_mxnet"):
                return fn(*args, **kwargs)


def _arrays(args, kwargs):
    from minpy.core import Array
    found = []
    for x in list(args) + list(kwargs.values()):
        if isinstance(x, Array):
            found.append(x)
        elif isinstance(x, (list, tuple)):
            found.extend(e for e in x if isinstance(e, Array))
    return found


def _host(x):
    if hasattr(x, "asnumpy"):
        return x.asnumpy()
    return x


def same(ref, got, where="") -> None:
    """Assert that MinPy's observation ``got`` is NumPy's ``ref``: the same exception
    type (or a subclass: NumPy's private ``_UFuncOutputCastingError``), or the same
    shape, dtype and values (floats within a few ulps of their dtype: MXNet's kernels
    are not bit-exact; a stale value is far off)."""
    if isinstance(ref, (list, tuple)) and not isinstance(ref, np.ndarray):
        assert isinstance(got, (list, tuple)) and len(got) == len(ref), (where, ref, got)
        for i, (r, g) in enumerate(zip(ref, got)):
            same(r, g, f"{where}[{i}]")
        return
    if isinstance(ref, Raised):
        assert isinstance(got, Raised), f"{where}: NumPy raised {ref}, MinPy gave {got!r}"
        assert isinstance(got.exc, type(ref.exc)) or type(got.exc).__name__ == type(
            ref.exc).__name__, f"{where}: NumPy raised {ref}, MinPy {got}"
        return
    assert not isinstance(got, Raised), f"{where}: MinPy raised {got}, NumPy gave {ref!r}"
    if ref is None or isinstance(ref, (str, bool, type)):
        assert got == ref if not isinstance(ref, type) else got is ref, (where, ref, got)
        return
    r, g = np.asarray(ref), np.asarray(_host(got))
    assert r.shape == g.shape and r.dtype == g.dtype, (
        f"{where}: NumPy {r.dtype}{r.shape}, MinPy {g.dtype}{g.shape}")
    if r.dtype.kind in "fc":
        tol = 8 * np.finfo(r.dtype).eps
        ok = np.allclose(g, r, rtol=tol, atol=tol, equal_nan=True)
    elif r.dtype.names is not None:
        ok = r.tobytes() == g.tobytes()
    else:
        ok = np.array_equal(g, r)
    assert ok, f"{where}: NumPy {r!r}, MinPy {g!r}"


def run(program, xp, env):
    """``program(xp, env)`` with NumPy's warnings silenced (both runs alike)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return program(xp, env)


#: name -> (what it covers, program). Covered names: ``minpy.core._handoff.WRITERS``
#: keys, ``ARRAY_WRITERS`` entries, ``'out'`` (the ``out=`` of functions).
PROGRAMS: dict = {}


def program(*covers):
    def register(fn):
        PROGRAMS[fn.__name__] = (covers, fn)
        return fn
    return register


def _f(xp, n=6, shape=None):
    a = xp.arange(1.0, n + 1.0)
    return a.reshape(shape) if shape is not None else a


def _reads(xp, env, *arrays):
    """What a program observes of ``arrays`` after a write: their host values, and
    their sum and exp computed on the device from the (possibly cached) forms."""
    out = []
    for a in arrays:
        out += [a, env.device(lambda a=a: a.sum()), env.device(lambda a=a: xp.exp(a))]
    return out


# -- issue 26's snippets --------------------------------------------------------------
@program("copyto")
def issue26_copyto_after_linspace(xp, env):
    a = xp.linspace(0, 10, 3)
    env.cache(a)
    env.step(xp.copyto, a, xp.array([-1, 1, 9]))
    return [xp.exp(a), a.sum()] + _reads(xp, env, a)


@program("copyto")
def issue26_copyto_scalar_after_a_device_sum(xp, env):
    a = xp.arange(4.0)
    env.device(lambda: a.sum())
    env.step(xp.copyto, a, 7.0)
    return [env.device(lambda: a.sum()), a]


@program("out")
def issue26_out_broadcast_stays_writable(xp, env):
    a = xp.zeros(2)
    env.step(xp.add, xp.ones(1), 1, out=a)
    a[0] = 5
    return [a, a.flags.writeable, env.device(lambda: a.sum())]


def issue26_compare_with_numpy_scalars(xp, env):
    cases = [(xp.array([False, True]), np.float64(-1.5), "less"),
             (xp.array([-1, 1], "int8"), np.float64(-1.5), "equal"),
             (xp.array([1, 3], "int8"), np.float16(1.5), "not_equal"),
             (xp.array([1, 100], "int8"), np.int32(44), "greater"),
             (xp.array([1.5], "float32"), np.float64(1.5000001), "less"),
             (xp.array([3], "int64"), np.float32(3.0000001), "equal")]
    out = []
    for a, s, name in cases:
        env.cache(a)
        out += [attempt(env.step, getattr(xp, name), a, s),
                attempt(env.step, getattr(xp, name), s, a)]
    out += [attempt(env.step, lambda: cases[0][0] < np.float64(-1.5)),
            attempt(env.step, lambda: cases[1][0] == np.float64(-1.5)),
            attempt(env.step, lambda: cases[2][0] != np.float16(1.5))]
    return out


PROGRAMS["issue26_compare_with_numpy_scalars"] = ((), issue26_compare_with_numpy_scalars)


def issue26_power_operator_special_exponents(xp, env):
    out = []
    for dtype in ("bool", "int8", "int64", "float16", "float32", "float64"):
        values = [-np.inf, -0.0, 0.0, 2.0, -2.0, np.nan] if dtype[0] == "f" else [0, 1, 2]
        for e in (2, 0.5, -1, 1, 0, 2.0, 3):
            a, b, c = (xp.array(values, dtype) for _ in range(3))
            out.append(attempt(env.step, lambda: a ** e))
            out.append(attempt(env.step, b.__ipow__, e))
            out.append(attempt(env.step, xp.power, c, e))
    return out


PROGRAMS["issue26_power_operator_special_exponents"] = (
    (), issue26_power_operator_special_exponents)


def issue26_inplace_casting_error_first(xp, env):
    out = []
    for other in (xp.ones((2, 3)), xp.ones(4), 1.5):
        a = xp.zeros(3, "int32")
        out.append(attempt(env.step, a.__iadd__, other))
        out.append(attempt(env.step, xp.add, other, 1, out=xp.zeros(3, "int32")))
    b = xp.array([True, False])
    out += [attempt(env.step, b.__ipow__, 2), attempt(env.step, b.__ipow__, -1)]
    f = xp.zeros(3)
    out.append(attempt(env.step, f.__iadd__, xp.ones(4)))
    return out


PROGRAMS["issue26_inplace_casting_error_first"] = ((), issue26_inplace_casting_error_first)


# -- NumPy's functions that write into an argument -------------------------------------
@program("copyto", "place", "put", "putmask", "put_along_axis", "fill_diagonal")
def writers_into_first_argument(xp, env):
    out = []
    steps = [
        (xp.copyto, lambda a: (a, _f(xp, 9, (3, 3)) * -1)),
        (xp.copyto, lambda a: (a, 2.5)),
        (lambda a, b: xp.copyto(a, b, where=a > 4), lambda a: (a, -a)),
        (xp.place, lambda a: (a, a > 4, [10.0, 20.0])),
        (xp.put, lambda a: (a, [0, 4, 8], [-1.0, -2.0, -3.0])),
        (xp.putmask, lambda a: (a, a < 3, a * 100)),
        (xp.put_along_axis, lambda a: (a, xp.array([[0], [2], [1]]), -7.0, 1)),
        (xp.fill_diagonal, lambda a: (a, 0.5)),
    ]
    for fn, args in steps:
        a = _f(xp, 9, (3, 3))
        env.cache(a)
        env.step(fn, *args(a))
        out += _reads(xp, env, a)
    return out


@program("copyto", "put", "putmask", "fill_diagonal")
def writers_through_views_of_a_family(xp, env):
    out = []
    a = _f(xp, 12, (3, 4))
    row, col, t = a[1], a[:, 2], a.T
    env.cache(a, row, col, t)
    env.step(xp.copyto, row, -1.0)
    out += _reads(xp, env, a, row, col, t)
    env.step(xp.put, col, [0], [99.0])
    out += _reads(xp, env, a, row, col, t)
    env.step(xp.putmask, t, t > 10, 0.0)
    out += _reads(xp, env, a, row, col, t)
    sq = a[:, :3]
    env.cache(sq, a)
    env.step(xp.fill_diagonal, sq, 7.0)
    out += _reads(xp, env, a, sq)
    return out


@program("nan_to_num")
def nan_to_num_in_place(xp, env):
    a = xp.array([1.0, np.nan, np.inf, -np.inf])
    env.cache(a)
    r = env.step(xp.nan_to_num, a, copy=False)
    b = xp.array([np.nan, 2.0])
    env.cache(b)
    c = env.step(xp.nan_to_num, b)  # a copy: b keeps its nan
    return [r is a, a, c, b] + _reads(xp, env, a, b)


@program("rot90")
def rot90_reduces_an_array_k(xp, env):
    k = xp.array(5)
    env.cache(k)
    m = env.step(xp.rot90, _f(xp, 4, (2, 2)), k)
    return [m, k, env.device(lambda: k + 0)]


@program("array_repr", "array_str", "array2string")
def printing_with_an_array_line_width(xp, env):
    out = []
    for fn in (xp.array_repr, xp.array_str, xp.array2string):
        width = xp.array(75)
        env.cache(width)
        out += [env.step(fn, _f(xp, 3), width), width, env.device(lambda w=width: w + 0)]
    return out


@program("nditer", "nested_iters")
def iterators_that_write(xp, env):
    a = _f(xp, 6)
    env.cache(a)
    it = env.step(xp.nditer, a, op_flags=["readwrite"])
    with it:
        for x in it:
            x[...] = 2 * x
    out = _reads(xp, env, a)
    for x in xp.nditer(a, op_flags=["readwrite"]):  # after a device read
        x[...] = x + 1
    out += _reads(xp, env, a)
    b = _f(xp, 6, (2, 3))
    env.cache(b)
    outer, inner = env.step(xp.nested_iters, [b], [[0], [1]], op_flags=[["readwrite"]])
    for _ in outer:
        for y in inner:
            y[...] = -y
    out += _reads(xp, env, b)
    c = _f(xp, 3)
    env.cache(c)
    for _ in xp.nditer(c):  # read-only: nothing written, forms stay
        pass
    return out + _reads(xp, env, c)


@program("random.shuffle", "random.RandomState.shuffle", "random.Generator.shuffle")
def shuffles(xp, env):
    out = []
    for make in (lambda: None, lambda: xp.random.RandomState(3),
                 lambda: xp.random.default_rng(3)):
        for shape in ((8,), (4, 2)):
            a = _f(xp, 8, shape)
            env.cache(a)
            rng = make()
            if rng is None:
                xp.random.seed(3)
                env.step(xp.random.shuffle, a)
            else:
                env.step(rng.shuffle, a)
            out += _reads(xp, env, a)
    return out


@program("out", "random.Generator.random",
         "random.Generator.standard_normal", "random.Generator.standard_exponential",
         "random.Generator.standard_gamma")
def generators_with_out(xp, env):
    rng = xp.random.default_rng(7)
    out = []
    a = _f(xp, 6, (2, 3))
    env.cache(a)
    r = env.step(rng.permuted, a, axis=1, out=a)
    out += [r is a] + _reads(xp, env, a)
    for name, args in (("random", ()), ("standard_normal", ()),
                       ("standard_exponential", ()), ("standard_gamma", (2.0,))):
        b = _f(xp, 4)
        env.cache(b)
        r = env.step(getattr(rng, name), *args, out=b)
        out += [r is b] + _reads(xp, env, b)
    c = _f(xp, 4)
    env.cache(c)
    env.step(rng.random, None, np.float64, c)  # out by position
    return out + _reads(xp, env, c)


@program("ufunc.at", "ufunc.reduce", "ufunc.accumulate", "ufunc.reduceat")
def ufunc_methods(xp, env):
    out = []
    a = _f(xp, 5)
    env.cache(a)
    env.step(xp.add.at, a, [0, 0, 3], 10.0)
    out += _reads(xp, env, a)
    env.step(xp.negative.at, a, [1, 2])
    out += _reads(xp, env, a)
    m = _f(xp, 6, (2, 3))
    # (method, arguments, the arguments before a positional out)
    for method, args, before_out in (("reduce", (m, 0), (m, 0, None)),
                                     ("accumulate", (m, 0), (m, 0, None)),
                                     ("reduceat", (_f(xp, 6), [0, 2]),
                                      (_f(xp, 6), [0, 2], 0, None))):
        shape = np.shape(getattr(np.add, method)(*[np.asarray(_host(x)) for x in args]))
        o = xp.zeros(shape)
        env.cache(o)
        env.step(getattr(xp.add, method), *args, out=o)
        out += _reads(xp, env, o)
        o2 = xp.zeros(shape)
        env.cache(o2)
        env.step(getattr(xp.add, method), *before_out, o2)  # out by position
        out += _reads(xp, env, o2)
    o = xp.zeros((2, 3))
    env.cache(o)
    env.step(xp.multiply.outer, xp.ones(2), _f(xp, 3), out=o)
    return out + _reads(xp, env, o)


@program("out")
def out_of_functions(xp, env):
    out = []
    x, y = _f(xp, 6, (2, 3)), _f(xp, 6, (2, 3))[::-1]
    calls = [
        (lambda o: xp.add(x, y, out=o), (2, 3), "float64"),
        (lambda o: xp.add(x, y, o), (2, 3), "float64"),             # out by position
        (lambda o: xp.add(x[0], 1, out=o), (2, 3), "float64"),      # broadcast into out
        (lambda o: xp.multiply(x, 2, out=o, where=x > 2), (2, 3), "float64"),
        (lambda o: xp.sum(x, axis=0, out=o), (3,), "float64"),
        (lambda o: xp.mean(x, axis=1, out=o), (2,), "float64"),
        (lambda o: xp.cumsum(x, axis=1, out=o), (2, 3), "float64"),
        (lambda o: xp.clip(x, 2, 4, out=o), (2, 3), "float64"),
        (lambda o: xp.dot(x, y.T, out=o), (2, 2), "float64"),
        (lambda o: xp.matmul(x, y.T, out=o), (2, 2), "float64"),
        (lambda o: xp.take(x, [0, 2], axis=1, out=o), (2, 2), "float64"),
        (lambda o: xp.concatenate([x, y], out=o), (4, 3), "float64"),
        (lambda o: xp.einsum("ij->j", x, out=o), (3,), "float64"),
        (lambda o: xp.around(x / 3, 1, out=o), (2, 3), "float64"),
        (lambda o: xp.add(x, 1, out=o), (2, 3), "int32"),           # casting error
        (lambda o: xp.add(x, 1, out=o, casting="unsafe"), (2, 3), "int32"),
        (lambda o: xp.negative(x, out=o), (2, 3), "float32"),       # same_kind cast
    ]
    for call, shape, dtype in calls:
        o = xp.full(shape, -1.0).astype(dtype)
        env.cache(o)
        out.append(attempt(env.step, call, o))
        out += _reads(xp, env, o)
    q, r = xp.zeros((2, 3)), xp.zeros((2, 3))
    env.cache(q, r)
    env.step(xp.divmod, x, 4.0, q, r)                               # two outs
    out += _reads(xp, env, q, r)
    v = _f(xp, 8)[::2]
    env.cache(v)
    env.step(xp.add, v, 1, out=v)                                   # into a view
    return out + _reads(xp, env, v)


@program("lib.recfunctions.assign_fields_by_name", "lib.recfunctions.recursive_fill_fields")
def structured_fields(xp, env):
    from numpy.lib import recfunctions as rf
    dt = [("a", "f8"), ("b", "i8")]
    dst = xp.zeros(3, dtype=dt)
    src = xp.array([(1.0, 2), (3.0, 4), (5.0, 6)], dtype=dt)
    env.step(rf.assign_fields_by_name, dst, src)
    out = [dst]
    filled = xp.zeros(4, dtype=dt)
    env.step(rf.recursive_fill_fields, src, filled)
    return out + [filled]


def sliding_window_writes(xp, env):
    a = _f(xp, 6)
    env.cache(a)
    v = xp.lib.stride_tricks.sliding_window_view(a, 3, writeable=True)
    w = xp.lib.stride_tricks.sliding_window_view(a, 3)
    v[1, 1] = -5.0  # element 2 of a
    return [v.flags.writeable, w.flags.writeable, attempt(w.__setitem__, 0, 1.0)] + _reads(
        xp, env, a, v)


PROGRAMS["sliding_window_writes"] = ((), sliding_window_writes)


# -- ndarray methods and attributes that write ------------------------------------------
@program("fill", "sort", "partition", "put", "resize", "setfield", "byteswap", "itemset")
def array_methods(xp, env):
    out = []
    steps = [
        ("fill", (3.5,)), ("sort", ()), ("partition", (2,)), ("put", ([0, 5], [9.0, 8.0])),
        ("setfield", (-2.0, "f8")),
        ("byteswap", (True,)),
    ] + ([("itemset", (2, 100.0))] if _NUMPY1 else [])
    for name, args in steps:
        a = xp.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0])
        env.cache(a)
        r = env.step(getattr(a, name), *args)
        out += [r is a if name == "byteswap" else r] + _reads(xp, env, a)
    b = _f(xp, 4)
    env.cache(b)
    env.step(b.resize, (2, 3), refcheck=False)
    out += _reads(xp, env, b)
    return out


@program("__setitem__", "__i<op>__", "flat", "real", "imag", "shape", "setflags")
def array_assignments(xp, env):
    out = []
    writes = [
        lambda a: a.__setitem__(1, -3.0),
        lambda a: a.__setitem__((slice(None), 0), 7.0),
        lambda a: a.__setitem__(a > 3, 0.0),
        lambda a: a.__setitem__(([0, 1], [2, 2]), [5.0, 6.0]),
        lambda a: a.flat.__setitem__([0, 5], 11.0),
        lambda a: setattr(a, "flat", [1.0, 2.0]),
        lambda a: setattr(a, "real", -a),
        lambda a: setattr(a, "shape", (3, 2)),
    ]
    for ops in ("+=", "-=", "*=", "/=", "//=", "%=", "**="):
        writes.append(lambda a, op=ops: exec(f"a {op} 2.0", {"a": a}))
    for write in writes:
        a = _f(xp, 6, (2, 3))
        v = a[1]
        env.cache(a, v)
        env.step(write, a)
        out += _reads(xp, env, a, v)
    for ops in ("&=", "|=", "^=", "<<=", ">>="):
        i = xp.arange(6)
        env.cache(i)
        env.step(lambda a, op=ops: exec(f"a {op} 3", {"a": a}), i)
        out += [i, env.device(lambda i=i: i + 0)]
    if not _NUMPY1 or np.lib.NumpyVersion(np.__version__) >= "1.25.0":  # '@=' is 1.25's
        m = _f(xp, 4, (2, 2))
        env.cache(m)
        env.step(lambda a: a.__imatmul__(a), m)
        out += _reads(xp, env, m)
    z = xp.zeros(2, "complex128")
    z.imag = xp.array([1.0, 2.0])
    out.append(z)
    f = _f(xp, 3)
    env.cache(f)
    f.setflags(write=False)
    out += [attempt(f.__setitem__, 0, 1.0), attempt(xp.copyto, f, 2.0), f.flags.writeable]
    f.setflags(write=True)
    f[0] = -1.0
    return out + _reads(xp, env, f)


def pickled_state_round_trip(xp, env):
    a = _f(xp, 6, (2, 3))
    env.cache(a)
    b = pickle.loads(pickle.dumps(a))
    return [b] + _reads(xp, env, b)


PROGRAMS["pickled_state_round_trip"] = ((), pickled_state_round_trip)

