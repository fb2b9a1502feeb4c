"""Rules of the products and of ``numpy.linalg``: dot, matmul, tensordot, einsum,
inner, outer, vdot, kron-free; inv, det, slogdet, solve, cholesky, eigh, eigvalsh.

Decompositions assume what their NumPy functions assume: ``cholesky`` and ``eigh``
read a symmetric matrix, and their rules give the gradient for symmetric perturbations
(symmetrised).
"""

from __future__ import annotations

import numpy as _onp

from ._util import defvjp, np, rule, shape_of, unbroadcast

_NUMPY2 = int(_onp.__version__.split(".")[0]) >= 2


def _T(a):
    return np.swapaxes(a, -1, -2)


# -- tensordot (and dot, inner, which are special cases) ----------------------------
def _td_axes(axes, na, nb):
    if isinstance(axes, int):
        return list(range(na - axes, na)), list(range(axes))
    ia, ib = axes
    ia = [ia] if isinstance(ia, int) else list(ia)
    ib = [ib] if isinstance(ib, int) else list(ib)
    return [i % na for i in ia], [i % nb for i in ib]


def _tensordot_vjps(a, b, ia, ib):
    na, nb = len(shape_of(a)), len(shape_of(b))
    fa = [i for i in range(na) if i not in ia]
    fb = [i for i in range(nb) if i not in ib]
    nfa = len(fa)

    def ga(g):
        # g has axes fa + fb; contract its fb part with b's free axes.
        r = np.tensordot(g, b, axes=(list(range(nfa, nfa + len(fb))), fb))
        # r has a's free axes, then the axes of a paired with b's contracted axes
        # taken in b's axis order: put them back in a's order.
        order = fa + [ia[ib.index(j)] for j in sorted(ib)]
        return np.transpose(r, tuple(_onp.argsort(order)))

    def gb(g):
        r = np.tensordot(a, g, axes=(fa, list(range(nfa))))
        order = [ib[ia.index(i)] for i in sorted(ia)] + fb
        return np.transpose(r, tuple(_onp.argsort(order)))
    return ga, gb


def _tensordot_a(ans, a, b, axes=2):
    ia, ib = _td_axes(axes, len(shape_of(a)), len(shape_of(b)))
    return _tensordot_vjps(a, b, ia, ib)[0]


def _tensordot_b(ans, a, b, axes=2):
    ia, ib = _td_axes(axes, len(shape_of(a)), len(shape_of(b)))
    return _tensordot_vjps(a, b, ia, ib)[1]


defvjp("tensordot", _tensordot_a, _tensordot_b)


def _dot_maker(which):
    def maker(ans, a, b, *args):
        na, nb = len(shape_of(a)), len(shape_of(b))
        if na == 0 or nb == 0:
            return _dot_scalar(ans, a, b, which)
        ga, gb = _tensordot_vjps(a, b, [na - 1], [max(nb - 2, 0)])
        return ga if which == 0 else gb
    return maker


defvjp("dot", _dot_maker(0), _dot_maker(1))


def _scalar_aware_sum(g, other, me):
    """Gradient for ``me`` in ``me * other`` where one of them is 0-d."""
    return unbroadcast(g * other, me)


def _dot_scalar(ans, a, b, which):
    return lambda g: _scalar_aware_sum(g, b if which == 0 else a, a if which == 0 else b)


def _inner_maker(which):
    def maker(ans, a, b):
        na, nb = len(shape_of(a)), len(shape_of(b))
        if na == 0 or nb == 0:
            return _dot_scalar(ans, a, b, which)
        return _tensordot_vjps(a, b, [na - 1], [nb - 1])[which]
    return maker


defvjp("inner", _inner_maker(0), _inner_maker(1))


def _outer_a(ans, a, b, out=None):
    return lambda g: np.reshape(np.dot(g, np.ravel(b)), shape_of(a))


def _outer_b(ans, a, b, out=None):
    return lambda g: np.reshape(np.dot(np.ravel(a), g), shape_of(b))


defvjp("outer", _outer_a, _outer_b)
defvjp("vdot", lambda ans, a, b: lambda g: np.reshape(g * np.ravel(np.conj(b)), shape_of(a)),
       lambda ans, a, b: lambda g: np.reshape(g * np.ravel(np.conj(a)), shape_of(b)))


# -- matmul -------------------------------------------------------------------------
def _matmul_a(ans, a, b, *args, **kwargs):
    def vjp(g):
        if a.ndim == 1 and b.ndim == 1:
            return g * b
        if b.ndim == 1:  # g: (..., n)
            r = np.reshape(g, shape_of(g) + (1,)) * b
        elif a.ndim == 1:  # g: (..., m); a: (k,), b: (..., k, m)
            r = np.matmul(b, np.reshape(g, shape_of(g) + (1,)))  # (..., k, 1)
            r = np.reshape(r, shape_of(r)[:-1])
        else:
            r = np.matmul(g, _T(b))
        return unbroadcast(r, a)
    return vjp


def _matmul_b(ans, a, b, *args, **kwargs):
    def vjp(g):
        if a.ndim == 1 and b.ndim == 1:
            return g * a
        if a.ndim == 1:  # g: (..., m)
            r = np.reshape(a, (-1, 1)) * np.reshape(g, shape_of(g)[:-1] + (1, g.shape[-1]))
        elif b.ndim == 1:  # g: (..., n); a: (..., n, k)
            r = np.matmul(_T(a), np.reshape(g, shape_of(g) + (1,)))
            r = np.reshape(r, shape_of(r)[:-1])
        else:
            r = np.matmul(_T(a), g)
        return unbroadcast(r, b)
    return vjp


defvjp("matmul", _matmul_a, _matmul_b)


# -- einsum -------------------------------------------------------------------------
def _parse_einsum(subscripts, nops):
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise NotImplementedError(
            "no gradient rule for minpy.numpy.einsum with '...' subscripts; spell the "
            "axes out")
    if "->" in spec:
        ins, out = spec.split("->")
    else:
        ins = spec
        letters = ins.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    ins = ins.split(",")
    if len(ins) != nops:
        raise ValueError("einsum: subscripts do not match the number of operands")
    return ins, out


def _einsum_maker(argnum):
    def maker(ans, subscripts, *operands, **kwargs):
        if not isinstance(subscripts, str):
            raise NotImplementedError(
                "no gradient rule for minpy.numpy.einsum in its interleaved form")
        ins, out = _parse_einsum(subscripts, len(operands))
        k = argnum - 1
        mine = ins[k]
        if len(set(mine)) != len(mine):
            raise NotImplementedError(
                f"no gradient rule for minpy.numpy.einsum with a repeated index in "
                f"operand {k} ({mine!r})")
        others = [s for i, s in enumerate(ins) if i != k]
        ops = [o for i, o in enumerate(operands) if i != k]
        present = set(out) | set("".join(others))
        target = "".join(c for c in mine if c in present)
        shape = shape_of(operands[k])

        def vjp(g):
            r = np.einsum(",".join([out] + others) + "->" + target, g, *ops)
            if target != mine:  # indices summed only in this operand: broadcast back
                kept = tuple(s if c in present else 1 for c, s in zip(mine, shape))
                r = np.broadcast_to(np.reshape(r, kept), shape)
            return r
        return vjp
    return maker


defvjp("einsum", *[_einsum_maker(i) for i in range(1, 16)], argnums=tuple(range(1, 16)))


# -- numpy.linalg -----------------------------------------------------------------
@rule("linalg.inv")
def _inv(ans, a):
    return lambda g: -np.matmul(np.matmul(_T(ans), g), _T(ans))


def _expand2(x):
    return np.reshape(x, shape_of(x) + (1, 1))


@rule("linalg.det")
def _det(ans, a):
    return lambda g: _expand2(g * ans) * _T(np.linalg.inv(a))


def _slogdet(ans, a):
    return lambda g: _expand2(g[1]) * _T(np.linalg.inv(a))


defvjp("linalg.slogdet", _slogdet)


def _vector_rhs(a, b):
    nb = len(shape_of(b))
    return nb == 1 if _NUMPY2 else nb == len(shape_of(a)) - 1


def _solve_a(ans, a, b):
    def vjp(g):
        if _vector_rhs(a, b):
            gb = np.linalg.solve(_T(a), np.reshape(g, shape_of(g) + (1,)))
            return -gb * np.reshape(ans, shape_of(ans)[:-1] + (1, shape_of(ans)[-1]))
        return -np.matmul(np.linalg.solve(_T(a), g), _T(ans))
    return vjp


def _solve_b(ans, a, b):
    def vjp(g):
        if _vector_rhs(a, b):
            gb = np.linalg.solve(_T(a), np.reshape(g, shape_of(g) + (1,)))
            return unbroadcast(np.reshape(gb, shape_of(gb)[:-1]), b)
        return unbroadcast(np.linalg.solve(_T(a), g), b)
    return vjp


defvjp("linalg.solve", _solve_a, _solve_b)


def _sym(x):
    return (x + _T(x)) * 0.5


@rule("linalg.cholesky")
def _cholesky(ans, a, *args, **kwargs):
    # A = L L^T; with phi(X) = tril(X) with its diagonal halved,
    # dA = sym(L^-T phi(L^T dL) L^-1).
    def vjp(g):
        n = shape_of(ans)[-1]
        half = 1.0 - 0.5 * np.eye(n, dtype=ans.dtype)
        phi = np.tril(np.matmul(_T(ans), g)) * half
        linv = np.linalg.inv(ans)
        return _sym(np.matmul(np.matmul(_T(linv), phi), linv))
    return vjp


@rule("linalg.eigh")
def _eigh(ans, a, UPLO="L"):
    w, v = ans

    def vjp(g):
        gw, gv = g
        n = shape_of(w)[-1]
        eye = np.eye(n, dtype=w.dtype)
        wi = np.reshape(w, shape_of(w) + (1,))
        wj = np.reshape(w, shape_of(w)[:-1] + (1, n))
        # F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it.
        f = (1.0 - eye) / (wj - wi + eye)
        inner = f * np.matmul(_T(v), gv) + eye * np.reshape(gw, shape_of(gw)[:-1] + (1, n))
        return _sym(np.matmul(np.matmul(v, inner), _T(v)))
    return vjp


@rule("linalg.eigvalsh")
def _eigvalsh(ans, a, UPLO="L"):
    def vjp(g):
        v = np.linalg.eigh(a, UPLO)[1]
        n = shape_of(ans)[-1]
        return _sym(np.matmul(v * np.reshape(g, shape_of(g)[:-1] + (1, n)), _T(v)))
    return vjp
