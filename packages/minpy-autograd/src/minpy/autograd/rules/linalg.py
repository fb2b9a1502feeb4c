"""Rules of the products and of ``numpy.linalg``: dot, matmul, tensordot, einsum,
inner, outer, vdot, kron, multi_dot, cross; inv, det, slogdet, solve, matrix_power,
cholesky, eigh, eigvalsh, svd (reduced, distinct singular values), pinv (full rank),
qr (reduced, at least as many rows as columns).

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
        return _in_order(r, fa + [ia[ib.index(j)] for j in sorted(ib)])

    def gb(g):
        r = np.tensordot(a, g, axes=(fa, list(range(nfa))))
        return _in_order(r, [ib[ia.index(i)] for i in sorted(ia)] + fb)
    return ga, gb


def _in_order(r, order):
    """``r``, whose axes are the operand's axes in ``order``, in the operand's order
    (no transpose, hence no copy, when they already are: ``dot``'s usual case)."""
    if order == sorted(order):
        return r
    return np.transpose(r, tuple(_onp.argsort(order)))


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


# -- kron, multi_dot, matrix_power, cross ----------------------------------------------
def _kron_maker(which):
    def maker(ans, a, b):
        sa, sb = shape_of(a), shape_of(b)
        nd = max(len(sa), len(sb))
        fa, fb = (1,) * (nd - len(sa)) + tuple(sa), (1,) * (nd - len(sb)) + tuple(sb)
        # kron(a, b) reshaped to (a0, b0, a1, b1, ...) is the outer product of a and b.
        interleaved = tuple(x for pair in zip(fa, fb) for x in pair)
        mine, other = (sa, b) if which == 0 else (sb, a)
        summed = list(range(1 - which, 2 * nd, 2))   # the other operand's axes

        def vjp(g):
            r = np.tensordot(np.reshape(g, interleaved), np.reshape(other, fb if which == 0
                                                                       else fa),
                             axes=(summed, list(range(nd))))
            return np.reshape(r, mine)
        return vjp
    return maker


defvjp("kron", _kron_maker(0), _kron_maker(1))


def _chain(mats):
    """The product of ``mats`` (2-D), or ``None`` for an empty list (the identity)."""
    out = None
    for m in mats:
        out = m if out is None else np.matmul(out, m)
    return out


@rule("linalg.multi_dot")
def _multi_dot(ans, arrays, *, out=None):
    shapes = [shape_of(x) for x in arrays]
    last = len(arrays) - 1
    # The 1-D ends as matrices: a row vector first, a column vector last.
    mats = [np.reshape(x, (1, -1)) if i == 0 and len(s) == 1 else
            np.reshape(x, (-1, 1)) if i == last and len(s) == 1 else x
            for i, (x, s) in enumerate(zip(arrays, shapes))]

    def vjp(g):
        g = np.reshape(g, (shape_of(mats[0])[0], shape_of(mats[-1])[1]))
        out = []
        for i, s in enumerate(shapes):
            left, right = _chain(mats[:i]), _chain(mats[i + 1:])
            r = g if right is None else np.matmul(g, _T(right))
            r = r if left is None else np.matmul(_T(left), r)
            out.append(np.reshape(r, s))
        return out
    return vjp


def _power_vjp(g, at, m):
    """The cotangent of ``x`` in ``x ** m`` (matrix power) given ``at = x^T``:
    sum over k of ``at^k g at^(m-1-k)``."""
    pows = [None]   # at^0: the identity
    for _ in range(m - 1):
        pows.append(at if pows[-1] is None else np.matmul(pows[-1], at))
    total = None
    for k in range(m):
        t = g if pows[k] is None else np.matmul(pows[k], g)
        t = t if pows[m - 1 - k] is None else np.matmul(t, pows[m - 1 - k])
        total = t if total is None else total + t
    return total


@rule("linalg.matrix_power")
def _matrix_power(ans, a, n):
    n = int(n)

    def vjp(g):
        if n == 0:
            return g * 0.0
        if n > 0:
            return _power_vjp(g, _T(a), n)
        bt = _T(np.linalg.inv(a))           # a^n = inv(a)^|n|, then the rule of inv
        return -np.matmul(np.matmul(bt, _power_vjp(g, bt, -n)), bt)
    return vjp


def _cross_maker(which):
    def maker(ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
        if axis is not None:
            axisa = axisb = axisc = axis
        if shape_of(a)[axisa] != 3 or shape_of(b)[axisb] != 3:
            raise NotImplementedError(
                "no gradient rule for minpy.numpy.cross of 2-vectors; pad them to 3")
        me, other, ax_me, ax_other = (a, b, axisa, axisb) if which == 0 else (b, a, axisb,
                                                                                axisa)

        def vjp(g):
            gm, om = np.moveaxis(g, axisc, -1), np.moveaxis(other, ax_other, -1)
            # <g, a x b> = <a, b x g> = <b, g x a>
            r = np.cross(om, gm) if which == 0 else np.cross(gm, om)
            return np.moveaxis(unbroadcast(r, np.moveaxis(me, ax_me, -1)), -1, ax_me)
        return vjp
    return maker


defvjp("cross", _cross_maker(0), _cross_maker(1))


# -- decompositions: svd, pinv, qr ---------------------------------------------------
def _row(x):
    """``(..., k)`` as ``(..., 1, k)``: scales the columns of a matrix it multiplies."""
    return np.reshape(x, shape_of(x)[:-1] + (1, shape_of(x)[-1]))


def _col(x):
    return np.reshape(x, shape_of(x) + (1,))


def _svd_grad(a, u, s, vh, gu, gs, gvh):
    # Townsend (2016), real case, reduced SVD with distinct singular values:
    # A_bar = U [(F o (U^T U_bar - U_bar^T U)) S + diag(S_bar)
    #            + S (F o (V^T V_bar - V_bar^T V))] V^T
    #         + (I - U U^T) U_bar S^-1 V^T + U S^-1 V_bar^T (I - V V^T),
    # F_ij = 1 / (s_j^2 - s_i^2) off the diagonal, 0 on it.
    m, n = shape_of(a)[-2:]
    k = shape_of(s)[-1]
    eye = np.eye(k, dtype=s.dtype)
    s2 = s * s
    f = (1.0 - eye) / (_row(s2) - _col(s2) + eye)
    v, gv = _T(vh), _T(gvh)
    utgu, vtgv = np.matmul(_T(u), gu), np.matmul(vh, gv)
    inner = (f * (utgu - _T(utgu)) * _row(s) + eye * _row(gs)
             + _col(s) * (f * (vtgv - _T(vtgv))))
    out = np.matmul(np.matmul(u, inner), vh)
    if m > k:
        proj = np.eye(m, dtype=s.dtype) - np.matmul(u, _T(u))
        out = out + np.matmul(np.matmul(proj, gu) / _row(s), vh)
    if n > k:
        proj = np.eye(n, dtype=s.dtype) - np.matmul(v, vh)
        out = out + np.matmul(u / _row(s), np.matmul(_T(gv), proj))
    return out


@rule("linalg.svd")
def _svd(ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    m, n = shape_of(a)[-2:]
    if full_matrices and compute_uv and m != n:
        raise NotImplementedError("no gradient rule for minpy.numpy.linalg.svd with "
                                  "full_matrices=True of a non-square matrix")

    def vjp(g):
        if not compute_uv:   # ans is S alone
            u, s, vh = np.linalg.svd(a, full_matrices=False)
            return np.matmul(u * _row(g), vh)
        u, s, vh = ans
        return _svd_grad(a, u, s, vh, *g)
    return vjp


@rule("linalg.pinv")
def _pinv(ans, a, *args, **kwargs):
    # For a full-rank A with P = pinv(A):
    # A_bar = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A).
    def vjp(g):
        m, n = shape_of(a)[-2:]
        p, pt, gt = ans, _T(ans), _T(g)
        out = -np.matmul(np.matmul(pt, g), pt)
        left = np.eye(m, dtype=a.dtype) - np.matmul(a, p)
        right = np.eye(n, dtype=a.dtype) - np.matmul(p, a)
        out = out + np.matmul(np.matmul(left, gt), np.matmul(p, pt))
        return out + np.matmul(np.matmul(pt, p), np.matmul(gt, right))
    return vjp


@rule("linalg.qr")
def _qr(ans, a, mode="reduced"):
    m, n = shape_of(a)[-2:]
    if mode != "reduced" or m < n:
        raise NotImplementedError("no gradient rule for minpy.numpy.linalg.qr other than "
                                  "mode='reduced' with at least as many rows as columns")

    # Liao et al. (2019): M = R R_bar^T - Q_bar^T Q,
    # A_bar = (Q_bar + Q copyltu(M)) R^-T, copyltu(M) = tril(M) + tril(M, -1)^T.
    def vjp(g):
        q, r = ans
        gq, gr = g
        mm = np.matmul(r, _T(gr)) - np.matmul(_T(gq), q)
        b = gq + np.matmul(q, np.tril(mm) + _T(np.tril(mm, -1)))
        return _T(np.linalg.solve(r, _T(b)))
    return vjp
