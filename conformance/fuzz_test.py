"""A differential program fuzzer: random NumPy programs run by MinPy and by NumPy.

A *program* is a list of :class:`Step` s over a pool of arrays (slots ``s0``, ``s1``, ...):
the inputs first, then every array a step makes. Steps are drawn from the op table
(elementwise, reductions, matmul, joins, ``where``, ``clip``), views (basic slicing,
``.T``, ``transpose``, ``reshape``, ``swapaxes``, ``flip``, ``diagonal``, ...), writes
(``a[key] = v`` with basic and advanced keys, ``a[key] += v``, in-place operators, ``out=``,
``fill``, in-place ``sort``, NumPy's writers ``copyto``/``putmask``/``place``/``put``/
``fill_diagonal``/``add.at``), dtype changes (``astype``, promotions), NumPy fallbacks
(functions without a table entry), policy switches and device reads (a step computed
under 'prefer_mxnet' from the cached MXNet form; ``asmxnet()`` making that form).

Programs are drawn by :func:`programs` (Hypothesis) while NumPy runs them, so each step
fits the arrays it meets (shapes, dtypes, aliasing); a step NumPy rejects is kept, and
MinPy must raise the same exception. A program runs in one of four *modes*:

* ``eager``: MinPy runs it under a policy; every step's result is compared with NumPy's
  as it is made (values, dtype, shape, exception type), then every slot (values, dtype,
  shape, writeability, and which slots share memory);
* ``grad``: the program (float64, smooth steps only) is a function of its inputs ending
  in a fixed weighted sum of its slots; ``minpy.autograd.grad`` of it must match
  central finite differences of NumPy's run, and its value NumPy's;
* ``jit``: the program inside ``minpy.jit.jit``, called twice on fresh inputs (a capture,
  then a replay): both calls' slots are compared with NumPy's;
* ``jit+grad``: ``jit(grad(f))``, twice, against finite differences.

Values stay exact where they can: inputs hold small integers (as floats too), and a
float slot made by an inexact op (``exp``, ``true_divide``, ``mean``...) is *tainted*:
it is compared within a tolerance, and steps whose result jumps with a last-bit change
of their input (``floor``, comparisons, ``astype`` to integers, ``argmax``, domain
edges of ``sqrt``/``log``/division) are not drawn on it. A stale device form, a write
that misses an alias or a wrong dtype shows as a large or exact difference.

Every program prints as the Python it runs (``repr``), so a failure is a regression
test to paste: :data:`REGRESSIONS` holds the programs that found bugs, replayed first.

The module holds no tests (``conformance/test_fuzz.py`` runs it); its ``_test`` suffix
keeps Hypothesis from seeding every other conformance test's examples with this
module's literals (it does so for local modules other than test files).
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings

import numpy as np
from hypothesis import strategies as st

__all__ = ["Step", "Program", "programs", "run_eager", "run_grad", "run_jit", "check",
           "MODES", "POLICIES", "REGRESSIONS", "compare_pools", "S"]

MODES = ("eager", "grad", "jit", "jit+grad")
POLICIES = ("prefer_mxnet", "only_numpy", "auto", "only_mxnet")
#: Largest magnitude a slot may reach (beyond it integer-valued floats stop being exact
#: in float16/float32 arithmetic and integer products near overflow): a step that would
#: exceed it is drawn again.
BIG = 2 ** 10
DTYPES = ("float64", "float32", "int64", "int32", "bool", "float16")


# -- program representation -------------------------------------------------------------
class S(int):
    """A slot reference inside a step's arguments (prints as ``s3``)."""

    def __repr__(self):
        return f"s{int(self)}"


@dataclasses.dataclass(frozen=True)
class Step:
    """One statement. ``kind`` says how :func:`_execute_step` runs it; ``args`` are
    plain data and slot references (:class:`S`); ``makes`` whether it adds a slot."""

    kind: str
    name: str
    args: tuple = ()
    kwargs: tuple = ()
    makes: bool = True

    def __repr__(self):
        return _source(self)


@dataclasses.dataclass
class Program:
    """Inputs (NumPy arrays) and steps."""

    inputs: list
    steps: list
    resident: tuple = ()      # which inputs start with only an MXNet form
    mode: str = "eager"

    def __repr__(self):
        lines = [f"s{i} = np.array({a.tolist()!r}, dtype={str(a.dtype)!r})"
                 + ("  # MXNet-resident" if i in self.resident else "")
                 for i, a in enumerate(self.inputs)]
        n = len(self.inputs)
        for step in self.steps:
            text = repr(step)
            if step.makes:
                text = f"s{n} = {text}"
                n += 1
            lines.append(text)
        return "\n".join(lines)


def _fmt(x):
    if isinstance(x, S):
        return repr(x)
    if isinstance(x, np.ndarray):
        return f"np.array({x.tolist()!r}, dtype={str(x.dtype)!r})"
    if isinstance(x, tuple):
        return "(" + ", ".join(_fmt(e) for e in x) + ("," if len(x) == 1 else "") + ")"
    if isinstance(x, slice):
        return ":".join("" if v is None else str(v) for v in (x.start, x.stop, x.step))
    if x is Ellipsis:
        return "..."
    return repr(x)


def _key_text(key):
    parts = key if isinstance(key, tuple) else (key,)
    return ", ".join(_fmt(p) for p in parts) if parts else "()"


def _source(step):
    k, name, a = step.kind, step.name, step.args
    kw = "".join(f", {key}={_fmt(v)}" for key, v in step.kwargs)
    if k == "call":
        return f"np.{name}({', '.join(_fmt(x) for x in a)}{kw})"
    if k == "method":
        return f"{_fmt(a[0])}.{name}({', '.join(_fmt(x) for x in a[1:])}{kw})"
    if k == "attr":
        return f"{_fmt(a[0])}.{name}"
    if k == "getitem":
        return f"{_fmt(a[0])}[{_key_text(a[1])}]"
    if k == "setitem":
        return f"{_fmt(a[0])}[{_key_text(a[1])}] = {_fmt(a[2])}"
    if k == "isetitem":
        return f"{_fmt(a[0])}[{_key_text(a[1])}] {name}= {_fmt(a[2])}"
    if k == "iop":
        return f"{_fmt(a[0])} {name}= {_fmt(a[1])}"
    if k == "binop":
        return f"{_fmt(a[0])} {name} {_fmt(a[1])}"
    if k == "policy":
        return f"np.set_global_policy({name!r})"
    if k == "device":
        return f"device_read({_fmt(a[0])})  # {name} under 'prefer_mxnet'"
    if k == "cache":
        return f"{_fmt(a[0])}.asmxnet()"
    raise ValueError(k)


# -- running ----------------------------------------------------------------------------
class Raised:
    """An observation: the step raised ``exc``."""

    def __init__(self, exc):
        self.exc = exc

    def __repr__(self):
        return f"Raised({type(self.exc).__name__}: {str(self.exc)[:200]})"


def _resolve(x, pool):
    if isinstance(x, S):
        return pool[int(x)]
    if isinstance(x, tuple):
        return tuple(_resolve(e, pool) for e in x)
    if isinstance(x, list):
        return [_resolve(e, pool) for e in x]
    return x


def _inplace(name):
    return {"+": "__iadd__", "-": "__isub__", "*": "__imul__", "/": "__itruediv__",
            "//": "__ifloordiv__", "**": "__ipow__", "&": "__iand__", "|": "__ior__",
            "%": "__imod__"}[name]


_BINOPS = {"+": "__add__", "-": "__sub__", "*": "__mul__", "/": "__truediv__",
           "//": "__floordiv__", "**": "__pow__", "@": "__matmul__", "%": "__mod__",
           "<": "__lt__", "==": "__eq__", ">=": "__ge__", "&": "__and__"}


def _function(xp, name):
    obj = xp
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _execute_step(xp, step, pool, env):
    """Run ``step`` in module ``xp`` on ``pool``; the new array (or ``None``)."""
    k, name = step.kind, step.name
    args = _resolve(step.args, pool)
    kwargs = {key: _resolve(v, pool) for key, v in step.kwargs}
    if k == "call":
        return _function(xp, name)(*args, **kwargs)
    if k == "method":
        return getattr(args[0], name)(*args[1:], **kwargs)
    if k == "attr":
        return getattr(args[0], name)
    if k == "getitem":
        return args[0][args[1]]
    if k == "setitem":
        args[0][args[1]] = args[2]
        return None
    if k == "isetitem":
        target, key, value = args
        # ``a[key] op= v``: Python's own three steps (the augmented subscript).
        cur = target[key]
        target[key] = getattr(cur, _inplace(name))(value)
        return None
    if k == "iop":
        res = getattr(args[0], _inplace(name))(args[1])
        if res is NotImplemented:
            raise TypeError(f"unsupported operand for {name}=")
        return None
    if k == "binop":
        res = getattr(args[0], _BINOPS[name])(args[1])
        if res is NotImplemented:
            raise TypeError(f"unsupported operands for {name}")
        return res
    if k == "policy":
        env.set_policy(name)
        return None
    if k == "device":
        return env.device_read(args[0])
    if k == "cache":
        env.cache(args[0])
        return None
    raise ValueError(k)


class NumpyEnv:
    """The reference run: policies and devices mean nothing to NumPy."""

    def set_policy(self, name):
        pass

    def device_read(self, a):
        return a + 0

    def cache(self, a):
        pass

    @contextlib.contextmanager
    def step(self):
        yield


class MinpyEnv:
    """A MinPy run under ``policy`` (changed by policy steps)."""

    def __init__(self, mnp, policy):
        self.np = mnp
        self.policy = policy
        self.refused = 0

    def set_policy(self, name):
        self.policy = name

    def device_read(self, a):
        with self.np.policy("prefer_mxnet"):
            return a + 0

    def cache(self, a):
        from minpy.core import Array, mx_holdable
        if isinstance(a, Array) and mx_holdable(a.dtype):  # not a traced value
            a.asmxnet()

    @contextlib.contextmanager
    def step(self):
        with self.np.policy(self.policy):
            yield


def _quiet():
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    stack.enter_context(np.errstate(all="ignore"))
    return stack


def run_numpy(program, inputs=None):
    """NumPy's run: ``(pool, observations)``, an observation per step (the new array,
    ``None`` for a write, or :class:`Raised`)."""
    pool = [a.copy() for a in (program.inputs if inputs is None else inputs)]
    env = NumpyEnv()
    obs = []
    with _quiet():
        for step in program.steps:
            try:
                res = _execute_step(np, step, pool, env)
            except Exception as exc:  # noqa: BLE001 (an observation)
                obs.append(Raised(exc))
                continue
            if step.makes:
                pool.append(res)
            # the value as this step left it (a later write may change a view of it)
            obs.append(np.array(res, copy=True) if isinstance(res, np.ndarray) else res)
    return pool, obs


def minpy_inputs(program, mnp):
    """The program's inputs as MinPy Arrays (resident ones with only an MXNet form)."""
    from minpy.core import Array, mx_holdable
    out = []
    for i, a in enumerate(program.inputs):
        arr = mnp.array(a.copy())
        if i in program.resident and mx_holdable(a.dtype):
            arr.asmxnet()
            if arr._view is None:
                arr._host = None
        assert isinstance(arr, Array)
        out.append(arr)
    return out


def _host(x):
    if hasattr(x, "asnumpy"):
        return x.asnumpy()
    return np.asarray(x)


# -- comparing --------------------------------------------------------------------------
_RTOL = {"float16": 4e-3, "float32": 2e-5, "float64": 1e-11}


def close(ref, got, tainted, scale, where):
    """MinPy's array ``got`` is NumPy's ``ref``: dtype and shape exactly; values exactly
    (NaN and infinities where NumPy has them) or, for a tainted float slot, within a
    relative tolerance of the dtype scaled by the program's largest magnitude."""
    r = np.asarray(ref)
    g = _host(got)
    assert g.dtype == r.dtype, f"{where}: dtype NumPy {r.dtype}, MinPy {g.dtype}"
    assert g.shape == r.shape, f"{where}: shape NumPy {r.shape}, MinPy {g.shape}"
    if r.dtype.kind in "fc" and tainted:
        rtol = _RTOL.get(str(r.dtype), 1e-11)
        ok = np.allclose(g, r, rtol=rtol, atol=rtol * scale, equal_nan=True)
        ok = ok and np.array_equal(np.isnan(g), np.isnan(r))
        fin = np.isfinite(r) & np.isfinite(g)
        ok = ok and np.array_equal(g[~fin], r[~fin], equal_nan=True)
    else:
        ok = np.array_equal(g, r, equal_nan=r.dtype.kind in "fc")
    assert ok, f"{where}: values differ\n  NumPy {r!r}\n  MinPy {g!r}"


def same_exception(ref, got, where):
    assert isinstance(got, Raised), f"{where}: NumPy raised {ref}, MinPy gave {got!r}"
    assert isinstance(got.exc, type(ref.exc)) or type(got.exc).__name__ == type(
        ref.exc).__name__, f"{where}: NumPy raised {ref}, MinPy {got}"


def compare_pools(ref_pool, pool, tainted, scale, mnp, where="end", skip=()):
    """Every slot: values (but those of ``skip``), dtype, shape, writeability; and which
    pairs of slots share memory, as NumPy's do."""
    assert len(pool) == len(ref_pool), f"{where}: {len(pool)} slots, NumPy {len(ref_pool)}"
    for i, (r, m) in enumerate(zip(ref_pool, pool)):
        if i in skip:
            assert _host(m).shape == np.shape(r), f"{where} s{i}: shape"
            continue
        close(r, m, i in tainted, scale, f"{where} s{i}")
        if isinstance(r, np.ndarray) and hasattr(m, "flags"):
            assert bool(m.flags.writeable) == bool(r.flags.writeable), (
                f"{where} s{i}: writeable NumPy {r.flags.writeable}, MinPy "
                f"{m.flags.writeable}")
    arrays = [i for i, r in enumerate(ref_pool) if isinstance(r, np.ndarray) and r.ndim]
    with mnp.policy("only_numpy"):
        for x in arrays:
            for y in arrays:
                if y <= x:
                    continue
                want = bool(np.shares_memory(ref_pool[x], ref_pool[y]))
                got = bool(mnp.shares_memory(pool[x], pool[y]))
                assert got == want, (f"{where}: s{x} and s{y} share memory in NumPy: "
                                     f"{want}, in MinPy: {got}")


# -- generating -------------------------------------------------------------------------
def _el(dtype):
    if dtype == "bool":
        return st.booleans()
    return st.integers(-4, 4)


@st.composite
def input_array(draw, dtypes=DTYPES, smooth=False):
    ndim = draw(st.integers(0, 3)) if not smooth else draw(st.integers(1, 3))
    side = 4 if not smooth else 3
    shape = tuple(draw(st.lists(st.integers(1, side), min_size=ndim, max_size=ndim)))
    if smooth:
        # Distinct values (no ties for max/maximum to split), none near 0: a grid in
        # [-1.8, 1.8] shuffled, each moved by less than half its spacing.
        n = int(np.prod(shape))
        grid = np.linspace(-1.8, 1.8, n + (n % 2 == 1))
        grid = grid[np.abs(grid) > 1e-9][:n]
        order = draw(st.permutations(list(range(n))))
        jitter = draw(st.lists(st.floats(-0.04, 0.04), min_size=n, max_size=n))
        vals = grid[list(order)] + np.array(jitter)
        return vals.astype("float64").reshape(shape)
    dtype = draw(st.sampled_from(dtypes))
    n = int(np.prod(shape))
    vals = draw(st.lists(_el(dtype), min_size=n, max_size=n))
    return np.array(vals, dtype=dtype).reshape(shape)


# Elementwise ops: name -> (exact on exact input?, domain-sensitive?, discontinuous?)
UNARY = {
    "negative": (True, False, False), "absolute": (True, False, False),
    "square": (True, False, False), "positive": (True, False, False),
    "floor": (True, False, True), "sign": (True, False, True), "rint": (True, False, True),
    "exp": (False, False, False), "tanh": (False, False, False),
    "sin": (False, False, False), "cos": (False, False, False),
    "sqrt": (False, True, False), "log1p": (False, True, False),
    "isnan": (True, False, True), "logical_not": (True, False, True),
}
SMOOTH_UNARY = ("negative", "square", "tanh", "sin", "cos", "exp")
BINARY = {
    "add": (True, False, False), "subtract": (True, False, False),
    "multiply": (True, False, False), "maximum": (True, False, False),
    "minimum": (True, False, False), "true_divide": (False, True, False),
    "power": (True, True, False), "less": (True, False, True),
    "equal": (True, False, True), "greater_equal": (True, False, True),
    "floor_divide": (True, True, True), "mod": (True, True, True),
    "logaddexp": (False, False, False), "fmax": (True, False, False),
    "heaviside": (True, False, True), "arctan2": (False, True, False),
}
SMOOTH_BINARY = ("add", "subtract", "multiply", "maximum")
REDUCE = {"sum": True, "prod": True, "max": True, "min": True, "mean": False,
          "cumsum": True, "std": False, "any": True, "all": True, "argmax": True,
          "cumprod": True, "ptp": True, "nansum": True}
SMOOTH_REDUCE = ("sum", "mean", "cumsum", "prod", "max")
IOPS = ("+", "-", "*", "/", "//", "**", "&", "|")
SMOOTH_IOPS = ("+", "-", "*")
WRITERS = ("copyto", "putmask", "place", "put", "fill_diagonal", "fill", "sort", "add.at")


class _Gen:
    """The state of one program being drawn: NumPy's pool, taint, ``grad`` mode."""

    def __init__(self, draw, inputs, smooth):
        self.draw = draw
        self.inputs = inputs
        self.pool = [a.copy() for a in inputs]
        self.tainted = set()
        self.smooth = smooth
        self.steps = []
        self.done = False

    # -- helpers
    def slot(self, pred=lambda a: True):
        cands = [i for i, a in enumerate(self.pool) if isinstance(a, np.ndarray) and pred(a)]
        if not cands:
            return None
        return self.draw(st.sampled_from(cands))

    def exact_float_ok(self, i):
        """Whether discontinuous or domain-sensitive ops may read slot ``i``."""
        return i not in self.tainted or self.pool[i].dtype.kind not in "fc"

    def scalar(self, dtype):
        kind = np.dtype(dtype).kind
        if kind == "b":
            return self.draw(st.booleans())
        if kind == "f" and self.draw(st.integers(0, 4)) == 0:
            return self.draw(st.sampled_from([0.5, -1.5, 2.0]))
        return self.draw(st.integers(-3, 3))

    def try_step(self, step, taint=False):
        """Run ``step`` on NumPy's pool; keep it when its result stays small (an
        exception is kept too: MinPy must raise alike)."""
        taint = taint or _rounding_power(step, self.pool)
        with _quiet():
            try:
                res = _execute_step(np, step, self.pool, NumpyEnv())
            except Exception:  # noqa: BLE001
                if self.smooth:  # grad programs only hold steps NumPy runs
                    self._undo()
                    return False
                self.steps.append(step)  # MinPy must raise alike
                if not step.makes:
                    # NumPy may have written part of the target before raising (an
                    # integer ``**=`` with a negative exponent writes, then raises):
                    # what the target holds now is no contract; the program ends here.
                    self.done = True
                return True
            values = self.pool + ([res] if step.makes else [])
            if any(isinstance(v, np.ndarray) and v.dtype.kind in "fiu" and v.size
                   and np.nanmax(np.abs(np.where(np.isfinite(v), v, 0))) > BIG
                   for v in values):
                self._undo()
                return False
            if self.smooth and (any(isinstance(v, np.ndarray) and not np.all(np.isfinite(v))
                                    for v in values) or _near_kink(step, self.pool)):
                self._undo()
                return False
        if step.makes:
            self.pool.append(res)
            if taint or any(isinstance(a, S) and int(a) in self.tainted for a in
                            _flat(step.args)):
                self.tainted.add(len(self.pool) - 1)
        elif taint or any(isinstance(a, S) and int(a) in self.tainted
                          for a in _flat(step.args)[1:]):
            # a write of inexact values taints the target and what shares its memory
            target = _flat(step.args)[0]
            if isinstance(target, S):
                for j, a in enumerate(self.pool):
                    if isinstance(a, np.ndarray) and np.shares_memory(
                            a, self.pool[int(target)]):
                        self.tainted.add(j)
        self.steps.append(step)
        return True

    def _undo(self):
        """NumPy's pool as the accepted steps leave it (replayed: copies would lose
        which slots share memory)."""
        self.pool, _ = run_numpy(Program(self.inputs, self.steps))

    def sole_owner(self, i):
        """Whether slot ``i`` shares memory with no other slot (grad mode may write it)."""
        a = self.pool[i]
        return not any(j != i and isinstance(b, np.ndarray) and np.shares_memory(a, b)
                       for j, b in enumerate(self.pool))


#: How far a differentiated program keeps from the kinks of max/maximum (ties): finite
#: differences across a kink measure neither side's slope.
KINK_MARGIN = 1e-3


def _near_kink(step, pool):
    """Whether ``step`` (already run on ``pool``) compares values closer than
    :data:`KINK_MARGIN`: ``maximum``/``minimum`` of nearly equal operands, ``max``/
    ``min`` reductions whose two largest (smallest) are nearly equal, ``clip`` of values
    near a bound."""
    name = step.name
    args = _resolve(step.args, pool)
    if name in ("maximum", "minimum", "fmax"):
        a, b = (np.asarray(x, np.float64) for x in args[:2])
        return bool((np.abs(a - b) < KINK_MARGIN).any())
    if name == "clip":
        a = np.asarray(args[0], np.float64)
        return bool(any((np.abs(a - b) < KINK_MARGIN).any() for b in args[1:3]
                        if b is not None))
    if name in ("max", "min"):
        a = np.asarray(args[0], np.float64)
        axis = dict(step.kwargs).get("axis")
        if a.size < 2 or (axis is not None and a.shape[axis] < 2):
            return False
        s = np.sort(a, axis=axis)
        if axis is None:
            s, axis = s.ravel(), 0
        top = np.take(s, [-1, -2] if name == "max" else [0, 1], axis=axis)
        gap = np.abs(np.take(top, [0], axis=axis) - np.take(top, [1], axis=axis))
        return bool((gap < KINK_MARGIN).any())
    return False


def _rounding_power(step, pool):
    """Whether ``step`` is a power whose float result may round: an exponent that is
    negative or not an integer (``3.0 ** -3``, ``4.5 ** 4.5``). There NumPy's and MXNet's
    ``pow`` may differ in the last bit (found by the --thorough run: 869.87396 against
    869.8739 in float32), so the result is compared within a tolerance (tainted)."""
    if not ((step.kind == "call" and step.name == "power")
            or (step.kind in ("iop", "binop") and step.name == "**")):
        return False
    base, exponent = (np.asarray(x) for x in _resolve(step.args[:2], pool))
    with _quiet():
        try:
            kind = np.result_type(base, exponent).kind
        except TypeError:
            return False
        return kind in "fc" and not bool(np.all((exponent >= 0) & (exponent % 1 == 0)))


def _flat(args):
    out = []
    for a in args:
        if isinstance(a, tuple):
            out.extend(_flat(a))
        else:
            out.append(a)
    return out


def _axis(gen, a):
    if a.ndim == 0 or gen.draw(st.integers(0, 2)) == 0:
        return ()
    return (("axis", gen.draw(st.integers(-a.ndim, a.ndim - 1))),)


def _basic_key(gen, shape):
    parts = []
    for n in shape:
        c = gen.draw(st.integers(0, 5))
        if c == 0 and n > 0:
            parts.append(gen.draw(st.integers(-n, n - 1)))
        elif c <= 3:
            start = gen.draw(st.sampled_from([None, 0, 1, -1]))
            stop = gen.draw(st.sampled_from([None, n, -1, n // 2 + 1]))
            step = gen.draw(st.sampled_from([None, 1, 2, -1]))
            parts.append(slice(start, stop, step))
        else:
            parts.append(slice(None))
    if parts and gen.draw(st.integers(0, 6)) == 0:
        parts.insert(gen.draw(st.integers(0, len(parts))), None)
    if parts and all(type(p) is int for p in parts):
        parts.append(Ellipsis)   # a view (a 0-d array), not a scalar
    return tuple(parts)


def _advanced_key(gen, a):
    if a.ndim == 0 or a.shape[0] == 0:
        return None
    if gen.draw(st.booleans()):
        mask = np.array(gen.draw(st.lists(st.booleans(), min_size=a.shape[0],
                                          max_size=a.shape[0])))
        return (mask,)
    n = a.shape[0]
    idx = gen.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3,
                            unique=gen.smooth))
    return (np.array(idx),)


def _value_for(gen, target_shape, dtype):
    """A scalar, or a slot broadcastable to ``target_shape``."""
    if gen.draw(st.booleans()):
        cands = [i for i, a in enumerate(gen.pool) if isinstance(a, np.ndarray) and (
            not gen.smooth or a.dtype == np.float64) and _broadcasts(a.shape, target_shape)]
        if cands:
            return S(gen.draw(st.sampled_from(cands)))
    return gen.scalar(dtype) if not gen.smooth else gen.draw(st.sampled_from([0.5, -2.0]))


def _broadcasts(src, dst):
    if len(src) > len(dst):
        return False
    return all(s in (1, d) for s, d in zip(src[::-1], dst[::-1]))


# Step builders: each returns a Step or None (not applicable now).
def _b_unary(gen):
    names = SMOOTH_UNARY if gen.smooth else tuple(UNARY)
    name = gen.draw(st.sampled_from(names))
    exact, domain, jump = UNARY.get(name, (False, False, False))
    i = gen.slot()
    if i is None or ((domain or jump) and not gen.exact_float_ok(i)):
        return None, False
    if name == "exp" and gen.smooth and np.abs(gen.pool[i]).max(initial=0) > 4:
        return None, False
    return Step("call", name, (S(i),)), not exact


def _b_binary(gen):
    names = SMOOTH_BINARY if gen.smooth else tuple(BINARY)
    name = gen.draw(st.sampled_from(names))
    exact, domain, jump = BINARY.get(name, (True, False, False))
    i = gen.slot()
    if i is None or ((domain or jump) and not gen.exact_float_ok(i)):
        return None, False
    a = gen.pool[i]
    if gen.draw(st.integers(0, 3)) == 0:
        other = gen.scalar(a.dtype) if not gen.smooth else 1.5
    else:
        j = gen.slot(lambda b: _broadcasts(b.shape, a.shape) or _broadcasts(a.shape, b.shape))
        if j is None or ((domain or jump) and not gen.exact_float_ok(j)):
            return None, False
        other = S(j)
    if name == "power" and not isinstance(other, S):
        other = gen.draw(st.sampled_from([2, 0, 3]))
    if gen.draw(st.integers(0, 3)) == 0 and not gen.smooth:
        op = {"add": "+", "subtract": "-", "multiply": "*", "true_divide": "/",
              "less": "<", "equal": "==", "greater_equal": ">=", "floor_divide": "//",
              "mod": "%"}.get(name)
        if op:
            return Step("binop", op, (S(i), other)), not exact
    return Step("call", name, (S(i), other)), not exact


def _b_reduce(gen):
    names = SMOOTH_REDUCE if gen.smooth else tuple(REDUCE)
    name = gen.draw(st.sampled_from(names))
    exact = REDUCE[name]
    i = gen.slot()
    if i is None or (name == "argmax" and not gen.exact_float_ok(i)):
        return None, False
    a = gen.pool[i]
    kw = _axis(gen, a)
    if name in ("sum", "mean", "max", "min", "prod", "any", "all", "std", "ptp", "nansum") \
            and kw and gen.draw(st.booleans()):
        kw = kw + (("keepdims", True),)
    if gen.draw(st.booleans()) and name not in ("ptp", "nansum", "cumprod"):
        return Step("method", name, (S(i),), kw), not exact
    return Step("call", name, (S(i),), kw), not exact


def _b_matmul(gen):
    i = gen.slot(lambda a: a.ndim in (1, 2))
    if i is None:
        return None, False
    a = gen.pool[i]
    k = a.shape[-1]
    j = gen.slot(lambda b: b.ndim in (1, 2) and b.shape[0] == k and (
        not gen.smooth or b.dtype == np.float64))
    if j is None:
        return None, False
    name = gen.draw(st.sampled_from(["matmul", "dot", "@"]))
    if name == "@":
        return Step("binop", "@", (S(i), S(j))), False
    return Step("call", name, (S(i), S(j))), False


def _b_view(gen):
    i = gen.slot()
    if i is None:
        return None, False
    a = gen.pool[i]
    kind = gen.draw(st.sampled_from(["getitem", "getitem", "T", "transpose", "reshape",
                                     "ravel", "swapaxes", "flip", "diagonal",
                                     "expand_dims", "squeeze", "broadcast_to", "view"]))
    if kind == "getitem":
        return Step("getitem", "", (S(i), _basic_key(gen, a.shape))), False
    if kind == "T":
        return Step("attr", "T", (S(i),)), False
    if kind == "transpose":
        axes = tuple(gen.draw(st.permutations(list(range(a.ndim)))))
        return Step("call", "transpose", (S(i), axes)), False
    if kind == "reshape":
        shape = (-1,) if a.ndim == 0 or gen.draw(st.booleans()) else (a.shape[0], -1)
        if a.size == 0:
            shape = a.shape
        return Step("method", "reshape", (S(i), shape)), False
    if kind == "ravel":
        return Step("call", "ravel", (S(i),)), False
    if kind == "swapaxes" and a.ndim >= 2:
        return Step("call", "swapaxes", (S(i), 0, -1)), False
    if kind == "flip" and a.ndim:
        return Step("call", "flip", (S(i), 0)), False
    if kind == "diagonal" and a.ndim >= 2:
        return Step("method", "diagonal", (S(i),)), False
    if kind == "expand_dims":
        return Step("call", "expand_dims", (S(i), gen.draw(st.integers(0, a.ndim)))), False
    if kind == "squeeze":
        return Step("call", "squeeze", (S(i),)), False
    if kind == "broadcast_to" and not gen.smooth:
        return Step("call", "broadcast_to", (S(i), (2,) + a.shape)), False
    if kind == "view":
        return Step("method", "view", (S(i),)), False
    return None, False


def _b_join(gen):
    i = gen.slot(lambda a: a.ndim >= 1)
    if i is None:
        return None, False
    name = gen.draw(st.sampled_from(["concatenate", "stack", "where", "clip", "tile",
                                     "repeat", "roll", "triu"]))
    a = gen.pool[i]
    if name in ("concatenate", "stack"):
        j = gen.slot(lambda b: b.shape == a.shape)
        return Step("call", name, ((S(i), S(j)),)), False
    if name == "where":
        c = gen.slot(lambda b: b.dtype == np.bool_ and _broadcasts(b.shape, a.shape))
        if c is None:
            return None, False
        return Step("call", "where", (S(c), S(i), gen.scalar(a.dtype) if not gen.smooth
                                      else 0.25)), False
    if name == "clip":
        lo, hi = (-1, 2) if a.dtype != np.bool_ else (False, True)
        return Step("call", "clip", (S(i), lo, hi)), False
    if name == "tile":
        return Step("call", "tile", (S(i), 2)), False
    if name == "repeat":
        return Step("call", "repeat", (S(i), 2), (("axis", 0),)), False
    if name == "roll":
        return Step("call", "roll", (S(i), 1), (("axis", 0),)), False
    if name == "triu" and a.ndim >= 2:
        return Step("call", "triu", (S(i),)), False
    return None, False


def _b_setitem(gen):
    i = gen.slot(lambda a: a.ndim >= 1 and a.flags.writeable)
    if i is None or (gen.smooth and not gen.sole_owner(i)):
        return None, False
    a = gen.pool[i]
    key = _advanced_key(gen, a) if gen.draw(st.integers(0, 2)) == 0 else _basic_key(
        gen, a.shape)
    if key is None:
        return None, False
    with _quiet():
        try:
            target_shape = a[key].shape
        except Exception:  # noqa: BLE001
            target_shape = ()
    value = _value_for(gen, target_shape, a.dtype)
    if gen.draw(st.integers(0, 2)) == 0:
        op = gen.draw(st.sampled_from(SMOOTH_IOPS if gen.smooth else ("+", "*", "-")))
        return Step("isetitem", op, (S(i), key, value), makes=False), False
    return Step("setitem", "", (S(i), key, value), makes=False), False


def _b_iop(gen):
    i = gen.slot(lambda a: a.flags.writeable)
    if i is None or (gen.smooth and not gen.sole_owner(i)):
        return None, False
    a = gen.pool[i]
    op = gen.draw(st.sampled_from(SMOOTH_IOPS if gen.smooth else IOPS))
    value = _value_for(gen, a.shape, a.dtype)
    if op in ("/", "//", "**") and (not gen.exact_float_ok(i) or (
            isinstance(value, S) and not gen.exact_float_ok(int(value)))):
        return None, False
    if op == "**" and not isinstance(value, S):
        value = gen.draw(st.sampled_from([2, 0]))
    return Step("iop", op, (S(i), value), makes=False), op == "/"


def _b_out(gen):
    o = gen.slot(lambda a: a.flags.writeable)
    if o is None or (gen.smooth and not gen.sole_owner(o)):
        return None, False
    out = gen.pool[o]
    name = gen.draw(st.sampled_from(("add", "multiply", "subtract") if gen.smooth else
                                    ("add", "multiply", "subtract", "negative",
                                     "maximum", "true_divide")))
    i = gen.slot(lambda b: _broadcasts(b.shape, out.shape) and (
        not gen.smooth or b.dtype == np.float64))
    if i is None:
        return None, False
    if name == "negative":
        return Step("call", name, (S(i),), (("out", S(o)),), makes=False), False
    if name == "true_divide" and not gen.exact_float_ok(i):
        return None, False
    other = _value_for(gen, out.shape, gen.pool[i].dtype)
    if name == "true_divide" and isinstance(other, S) and not gen.exact_float_ok(
            int(other)):
        return None, False
    return Step("call", name, (S(i), other), (("out", S(o)),), makes=False), \
        name == "true_divide"


def _b_writer(gen):
    name = gen.draw(st.sampled_from(WRITERS))
    i = gen.slot(lambda a: a.flags.writeable and a.ndim >= 1)
    if i is None:
        return None, False
    a = gen.pool[i]
    if name == "copyto":
        return Step("call", "copyto", (S(i), _value_for(gen, a.shape, a.dtype)),
                    makes=False), False
    if name in ("putmask", "place"):
        c = gen.slot(lambda b: b.dtype == np.bool_ and b.shape == a.shape)
        mask = S(c) if c is not None else np.array(
            gen.draw(st.lists(st.booleans(), min_size=a.size, max_size=a.size)),
            bool).reshape(a.shape)
        return Step("call", name, (S(i), mask, gen.scalar(a.dtype)), makes=False), False
    if name in ("put", "add.at") and a.size == 0:
        return None, False
    if name == "put":
        idx = np.array(gen.draw(st.lists(st.integers(0, a.size - 1), min_size=1,
                                         max_size=3)))
        return Step("call", "put", (S(i), idx, gen.scalar(a.dtype)), makes=False), False
    if name == "fill_diagonal" and a.ndim == 2:
        return Step("call", "fill_diagonal", (S(i), gen.scalar(a.dtype)),
                    makes=False), False
    if name == "fill":
        return Step("method", "fill", (S(i), gen.scalar(a.dtype)), makes=False), False
    if name == "sort":
        return Step("method", "sort", (S(i),), makes=False), False
    if name == "add.at":
        idx = np.array(gen.draw(st.lists(st.integers(0, a.shape[0] - 1), min_size=1,
                                         max_size=3)))
        return Step("call", "add.at", (S(i), idx, gen.scalar(a.dtype)), makes=False), False
    return None, False


def _b_more(gen):
    """NumPy fallbacks (no table entry), ufunc methods, Array methods, copies."""
    i = gen.slot()
    if i is None:
        return None, False
    a = gen.pool[i]
    exact_ok = gen.exact_float_ok(i)
    choice = gen.draw(st.sampled_from([
        "nan_to_num", "diff", "round", "flatnonzero", "sort", "argsort", "outer",
        "add.reduce", "multiply.accumulate", "take", "copy", "asarray", "flatten",
        "method_copy", "method_cumsum", "method_clip", "method_take", "nonzero",
        "trace", "einsum", "norm", "kron", "searchsorted"]))
    if choice == "nan_to_num":
        return Step("call", "nan_to_num", (S(i),)), False
    if choice == "diff" and a.ndim:
        return Step("call", "diff", (S(i),), (("axis", 0),)), False
    if choice == "round" and exact_ok:
        return Step("call", "round", (S(i), 1)), False
    if choice == "flatnonzero" and exact_ok:
        return Step("call", "flatnonzero", (S(i),)), False
    if choice == "sort" and a.ndim:
        return Step("call", "sort", (S(i),), (("axis", -1),)), False
    if choice == "argsort" and a.ndim and exact_ok:
        return Step("call", "argsort", (S(i),), (("axis", -1), ("kind", "stable"))), False
    if choice == "outer":
        j = gen.slot()
        return Step("call", "outer", (S(i), S(j))), False
    if choice == "add.reduce" and a.ndim:
        return Step("call", "add.reduce", (S(i),), (("axis", 0),)), False
    if choice == "multiply.accumulate" and a.ndim:
        return Step("call", "multiply.accumulate", (S(i),)), False
    if choice in ("take", "method_take") and a.ndim and a.shape[0]:
        idx = np.array(gen.draw(st.lists(st.integers(-a.shape[0], a.shape[0] - 1),
                                         min_size=1, max_size=3)))
        if choice == "take":
            return Step("call", "take", (S(i), idx), (("axis", 0),)), False
        return Step("method", "take", (S(i), idx)), False
    if choice == "copy":
        return Step("call", "copy", (S(i),)), False
    if choice == "asarray":
        return Step("call", "asarray", (S(i),)), False
    if choice == "flatten":
        return Step("method", "flatten", (S(i),)), False
    if choice == "method_copy":
        return Step("method", "copy", (S(i),)), False
    if choice == "method_cumsum" and a.ndim:
        return Step("method", "cumsum", (S(i),), (("axis", 0),)), False
    if choice == "method_clip" and a.dtype != np.bool_:
        return Step("method", "clip", (S(i), 0, 2)), False
    if choice == "nonzero" and exact_ok and a.ndim:
        return Step("call", "count_nonzero", (S(i),), (("axis", 0),)), False
    if choice == "trace" and a.ndim >= 2:
        return Step("call", "trace", (S(i),)), False
    if choice == "einsum" and a.ndim == 2:
        return Step("call", "einsum", ("ij->ji", S(i))), False
    if choice == "norm" and a.dtype.kind == "f":
        return Step("call", "linalg.norm", (S(i),)), True
    if choice == "kron" and a.ndim <= 2:
        return Step("call", "kron", (S(i), S(i))), False
    if choice == "searchsorted" and a.ndim == 1 and exact_ok:
        return Step("call", "searchsorted", (np.array([-2, 0, 1, 3]), S(i))), False
    return None, False


def _b_astype(gen):
    i = gen.slot()
    if i is None:
        return None, False
    dtype = gen.draw(st.sampled_from(DTYPES))
    if np.dtype(dtype).kind in "biu" and not gen.exact_float_ok(i):
        return None, False
    return Step("method", "astype", (S(i), dtype)), False


def _b_policy(gen):
    return Step("policy", gen.draw(st.sampled_from(POLICIES)), makes=False), False


def _b_device(gen):
    i = gen.slot()
    if i is None:
        return None, False
    if gen.draw(st.booleans()):
        return Step("cache", "", (S(i),), makes=False), False
    return Step("device", "a + 0", (S(i),)), False


#: builder -> weight, for programs that run eagerly (and under jit).
BUILDERS = {_b_unary: 3, _b_binary: 4, _b_reduce: 2, _b_matmul: 1, _b_view: 4,
            _b_join: 2, _b_setitem: 4, _b_iop: 3, _b_out: 2, _b_writer: 3,
            _b_astype: 1, _b_policy: 1, _b_device: 4, _b_more: 3}
#: ... and for programs differentiated (float64, smooth steps, no policy of their own).
SMOOTH_BUILDERS = {_b_unary: 3, _b_binary: 4, _b_reduce: 2, _b_matmul: 1, _b_view: 4,
                   _b_join: 1, _b_setitem: 3, _b_iop: 3, _b_out: 1, _b_device: 1}


@st.composite
def programs(draw, mode="eager", min_steps=3, max_steps=12):
    """A random program for ``mode`` (see the module docstring)."""
    smooth = "grad" in mode
    n_in = draw(st.integers(1, 3 if not smooth else 2))
    inputs = [draw(input_array(smooth=smooth)) for _ in range(n_in)]
    if not smooth and draw(st.booleans()):   # an input mask for where/putmask
        inputs.append(draw(input_array(dtypes=("bool",))))
    gen = _Gen(draw, inputs, smooth)
    builders = SMOOTH_BUILDERS if smooth else BUILDERS
    if mode.startswith("jit"):
        builders = {b: w for b, w in builders.items() if b is not _b_policy}
    choices = [b for b, w in builders.items() for _ in range(w)]
    # Hypothesis favours the first entry of a sampled list: long programs first.
    n_steps = draw(st.sampled_from(range(max_steps, min_steps - 1, -1)))
    attempts = 0
    while len(gen.steps) < n_steps and attempts < 4 * max_steps and not gen.done:
        attempts += 1
        step, taint = draw(st.sampled_from(choices))(gen)
        if step is not None:
            gen.try_step(step, taint)
    resident = tuple(i for i in range(len(inputs)) if draw(st.booleans()))
    return Program(inputs, gen.steps, resident, mode), frozenset(gen.tainted)


# -- the modes --------------------------------------------------------------------------
def _scale(pool):
    vals = [np.abs(np.asarray(a, np.float64)) for a in pool
            if isinstance(a, np.ndarray) and a.dtype.kind in "fiub" and a.size]
    vals = [v[np.isfinite(v)] for v in vals]
    return max([1.0] + [float(v.max()) for v in vals if v.size])


def run_eager(program, tainted, policy, mnp):
    """Run ``program`` in MinPy under ``policy`` beside NumPy; assert they agree."""
    ref_pool, ref_obs = run_numpy(program)
    scale = _scale(ref_pool)
    env = MinpyEnv(mnp, policy)
    pool = minpy_inputs(program, mnp)
    slot = len(pool)
    undefined = set()
    with _quiet():
        for k, (step, ref) in enumerate(zip(program.steps, ref_obs)):
            where = f"step {k} ({step!r})"
            got = _attempt_step(mnp, step, pool, env, ref)
            if isinstance(ref, Raised):
                same_exception(ref, got, where)
                undefined |= _failed_write(step, ref_pool)
                continue
            assert not isinstance(got, Raised), (
                f"{where}: MinPy raised {got}, NumPy gave {ref!r}")
            if step.makes:
                close(ref, got, slot in tainted, scale, where)
                pool.append(got)
                slot += 1
    compare_pools(ref_pool, pool, tainted, scale, mnp, skip=undefined)
    return env.refused


def _failed_write(step, ref_pool):
    """The slots whose values a write that raised leaves unspecified: its target and
    every slot sharing memory with it (NumPy may have written part of them)."""
    if step.makes or not step.args or not isinstance(step.args[0], S):
        return set()
    target = ref_pool[int(step.args[0])]
    return {j for j, a in enumerate(ref_pool)
            if isinstance(a, np.ndarray) and np.shares_memory(a, target)}


def _attempt_step(mnp, step, pool, env, ref):
    """One MinPy step; under a strict policy a step the backend cannot run raises
    NotImplementedError (its contract): it must have written nothing, and runs under
    'prefer_mxnet' instead so that the program goes on."""
    before = None
    strict = env.policy.startswith("only_") and env.policy != "only_numpy"
    if strict:
        before = [(a, _host(a)) for a in pool]
    try:
        with env.step():
            return _execute_step(mnp, step, pool, env)
    except NotImplementedError as exc:
        if not strict or isinstance(ref, Raised) and isinstance(ref.exc, NotImplementedError):
            return Raised(exc)
        for i, (a, host) in enumerate(before):
            assert np.array_equal(_host(a), host, equal_nan=True), (
                f"{step!r} wrote into s{i} before refusing under {env.policy}")
        env.refused += 1
        saved, env.policy = env.policy, "prefer_mxnet"
        try:
            return _attempt_step(mnp, step, pool, env, ref)
        finally:
            env.policy = saved
    except Exception as exc:  # noqa: BLE001 (an observation)
        return Raised(exc)


def _weights(pool):
    """Fixed weights for the loss ``sum_k sum(w_k * s_k)`` over the float slots."""
    out = []
    for k, a in enumerate(pool):
        if isinstance(a, np.ndarray) and a.dtype == np.float64:
            n = a.size
            out.append((k, (np.cos(np.arange(n) * 0.7 + k) + 0.1).reshape(a.shape)))
    return out


def _loss_numpy(program, weights, inputs):
    pool, obs = run_numpy(program, inputs)
    assert not any(isinstance(o, Raised) for o in obs), obs
    return sum(float(np.sum(pool[k] * w)) for k, w in weights)


def finite_differences(program, weights, eps=1e-6):
    grads = []
    for i, x in enumerate(program.inputs):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            vals = []
            for sign in (1, -1):
                inputs = [a.copy() for a in program.inputs]
                inputs[i][idx] += sign * eps
                vals.append(_loss_numpy(program, weights, inputs))
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        grads.append(g)
    return grads


class GradRefused(Exception):
    """MinPy refused a step under grad as documented: a write through a view of, or to
    an array with live views of, a traced array (docs/autograd.rst), or a strict
    policy's NotImplementedError for an op (or gradient rule) its backend cannot run.
    Not a wrong gradient: the example is counted, not compared."""


def _minpy_loss(program, weights, policy, mnp):
    def f(*xs):
        env = MinpyEnv(mnp, policy)
        pool = list(xs)
        with _quiet():
            for step in program.steps:
                try:
                    with env.step():
                        res = _execute_step(mnp, step, pool, env)
                except ValueError as exc:
                    if "in-place write to a traced array" in str(exc):
                        raise GradRefused(str(exc)) from None
                    raise
                except NotImplementedError as exc:
                    if env.policy.startswith("only_"):
                        raise GradRefused(str(exc)) from None
                    raise
                if step.makes:
                    pool.append(res)
        total = 0.0
        for k, w in weights:
            total = total + mnp.sum(pool[k] * w)
        return total
    return f


def run_grad(program, policy, mnp, use_jit=False):
    """``grad`` of the program's loss (eager, or ``jit(grad(...))`` called twice) against
    central finite differences of NumPy's run; the loss value against NumPy's."""
    from minpy.autograd import value_and_grad
    ref_pool, ref_obs = run_numpy(program)
    assert not any(isinstance(o, Raised) for o in ref_obs)
    weights = _weights(ref_pool)
    ref_loss = _loss_numpy(program, weights, None)
    fd = finite_differences(program, weights)
    argnum = tuple(range(len(program.inputs)))
    vg = value_and_grad(_minpy_loss(program, weights, policy, mnp), argnum=argnum)
    calls = 1
    if use_jit:
        from minpy.jit import jit
        vg = jit(vg)
        calls = 2
    for call in range(calls):
        inputs = minpy_inputs(program, mnp)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                value, grads = vg(*inputs)
            except NotImplementedError as exc:  # a rule the strict policy cannot run
                if not policy.startswith("only_"):
                    raise
                raise GradRefused(str(exc)) from None
        where = f"{'jit+grad' if use_jit else 'grad'} call {call}"
        assert abs(float(value) - ref_loss) <= 1e-9 * max(1.0, abs(ref_loss)), (
            f"{where}: loss NumPy {ref_loss!r}, MinPy {float(value)!r}")
        for i, (g, want) in enumerate(zip(grads, fd)):
            got = _host(g)
            assert got.shape == want.shape, (where, i, got.shape, want.shape)
            tol = 1e-5 * max(1.0, float(np.abs(want).max(initial=0)))
            assert np.allclose(got, want, rtol=1e-4, atol=tol), (
                f"{where}: gradient of input {i}\n  finite differences {want!r}\n"
                f"  MinPy {got!r}")


def run_jit(program, tainted, policy, mnp):
    """The program inside ``jit``, called twice on fresh inputs: a capture (an eager
    call) and a replay; each call's slots against NumPy's."""
    from minpy.jit import jit
    ref_pool, ref_obs = run_numpy(program)
    scale = _scale(ref_pool)
    raised = []

    def f(*xs):
        env = MinpyEnv(mnp, policy)
        pool = list(xs)
        for k, step in enumerate(program.steps):
            try:
                with env.step():
                    res = _execute_step(mnp, step, pool, env)
            except NotImplementedError:   # a strict policy declined: NumPy's verdict
                with mnp.policy("prefer_mxnet"):
                    try:
                        res = _execute_step(mnp, step, pool, env)
                    except Exception as exc:  # noqa: BLE001
                        raised.append((k, exc))
                        continue
            except Exception as exc:  # noqa: BLE001 (compared below)
                raised.append((k, exc))
                continue
            if step.makes:
                pool.append(res)
        return pool

    jf = jit(f)
    for call in range(2):
        raised.clear()
        with _quiet():
            pool = jf(*minpy_inputs(program, mnp))
        if call == 0:  # the capture runs the Python; a replay does not
            want = [(k, o) for k, o in enumerate(ref_obs) if isinstance(o, Raised)]
            assert [k for k, _ in raised] == [k for k, _ in want], (
                f"steps that raised: NumPy {want}, MinPy {raised}")
            for (k, exc), (_, ref) in zip(raised, want):
                same_exception(ref, Raised(exc), f"jit step {k}")
        undefined = set().union(*[_failed_write(program.steps[k], ref_pool)
                                  for k, o in enumerate(ref_obs) if isinstance(o, Raised)])
        compare_pools(ref_pool, list(pool), tainted, scale, mnp, where=f"jit call {call}",
                      skip=undefined)


@dataclasses.dataclass
class Regression:
    """A program that found a bug: replayed in ``modes`` under every policy."""

    name: str
    program: Program
    modes: tuple
    found: str            # what was wrong, and where it was fixed
    tainted: frozenset = frozenset()
    #: policies under which MinPy refuses a step as documented (a strict policy whose
    #: backend declines an op): there the replay must be refused, elsewhere compared
    refused_under: tuple = ()


def _f64(*rows):
    return np.array(rows, "float64")


#: Programs that found bugs, replayed in their modes under every policy (besides the
#: random ones). Each was a failing example of the fuzzer, shrunk and kept as it ran.
REGRESSIONS = [
    Regression(
        "jit_view_of_an_argument_written_in_place",
        Program([np.array([0, 0, 0, 0], "int64")], [
            Step("iop", "+", (S(0), 1), makes=False),
            Step("call", "negative", (S(0),)),
            Step("attr", "T", (S(0),)),
            Step("setitem", "", (S(2), (0,), 7), makes=False)]),
        ("eager", "jit"),
        "a jitted replay of 'x += 1; t = x.T' took the result's buffer over for x's "
        "values, so t was no view of the argument x (t[0] = 7 missed x); the host "
        "engine now writes into the argument's buffer (minpy/jit/_host.py)"),
    Regression(
        "einsum_relabelling_is_a_view",
        Program([_f64([0.0, 1.0, 2.0], [3.0, 4.0, 5.0])], [
            Step("call", "einsum", ("ij->ji", S(0))),
            Step("setitem", "", (S(1), (0, 1), 9.0), makes=False),
            Step("device", "a + 0", (S(0),))]),
        ("eager", "jit"),
        "np.einsum('ij->ji', a) is a view of a in NumPy; MXNet's einsum made a copy "
        "(writes through it were lost): relabelling einsums run in NumPy "
        "(minpy/numpy/_ops.py einsum_view)"),
    Regression(
        "view_of_a_traced_value",
        Program([_f64([0.5, -1.5])], [
            Step("method", "view", (S(0),)),
            Step("call", "multiply", (S(1), 3.0)),
            Step("method", "view", (S(2),))], mode="grad"),
        ("grad", "jit", "jit+grad"),
        "x.view() raised AttributeError on traced values (grad's and jit's boxes): "
        "ArrayMethods.view (minpy/core/operators.py)"),
    Regression(
        "grad_of_prod_at_a_zero",
        Program([_f64([0.5])], [
            Step("call", "subtract", (S(0), 0.5), (("out", S(0)),), makes=False),
            Step("call", "prod", (S(0),), (("axis", 0),)),
            Step("call", "prod", (S(0),)),
            Step("call", "multiply", (S(0), S(2)))], mode="grad"),
        ("grad", "jit+grad"),
        "grad of prod where a factor is 0 was nan (prod / x_i = 0 / 0); the rule now "
        "multiplies the products before and after each element "
        "(minpy/autograd/rules/reductions.py)"),
    Regression(
        "grad_of_prod_of_an_empty_array",
        Program([_f64([-1.8])[None]], [
            Step("getitem", "", (S(0), (None, slice(None), slice(None, -1), slice(None)))),
            Step("call", "prod", (S(1),), (("axis", 0),)),
            Step("call", "prod", (S(1),)),
            Step("call", "prod", (S(1),), (("axis", 2),)),
            Step("call", "negative", (S(0),))], mode="grad"),
        ("grad", "jit+grad"),
        "grad of prod of an array with no elements raised ValueError (the rule's reshape "
        "to (..., -1) is ambiguous with a 0 among the kept axes, and its ones were longer "
        "than an empty reduced axis); the rule now gives zeros of the input's shape "
        "(minpy/autograd/rules/reductions.py; found by the --thorough run)",
        refused_under=("only_mxnet",)),   # MXNet declines prod of an empty array
    Regression(
        "elementwise_result_keeps_the_operands_memory_order",
        Program([np.zeros((3, 4, 4))], [
            Step("attr", "T", (S(0),)),
            Step("call", "negative", (S(1),)),
            Step("method", "reshape", (S(2), (4, -1))),
            Step("setitem", "", (S(3), (0, 0), 5.0), makes=False)]),
        ("eager", "jit"),
        "NumPy's -x.T is F-ordered (ufuncs keep the operand's order), so its reshape "
        "copies; MXNet's result was C-ordered and the reshape a view that a write went "
        "through. Elementwise calls with an operand out of C order run in NumPy "
        "(minpy/numpy/_dispatch.py _keeps_layout; found by the --thorough run)"),
]


def check(program, tainted, mode, policy, mnp):
    """Run ``program`` in ``mode`` under ``policy``; an AssertionError shows the program
    as the Python it runs. Returns ``False`` when MinPy refused a step as documented
    (:class:`GradRefused`), else ``True``."""
    try:
        if mode == "eager":
            run_eager(program, tainted, policy, mnp)
        elif mode == "jit":
            run_jit(program, tainted, policy, mnp)
        else:
            run_grad(program, policy, mnp, use_jit=mode == "jit+grad")
    except GradRefused:
        return False
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n\nthe program ({mode}, policy {policy!r}; "
                             f"tainted slots {sorted(tainted)}):\n{program!r}") from None
    return True
