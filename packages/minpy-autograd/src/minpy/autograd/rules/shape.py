"""Rules of the shape and layout operations: reshape, transpose, swapaxes, moveaxis,
expand_dims, squeeze, ravel, atleast_*d, flip/fliplr/flipud, rot90, broadcast_to, tile,
repeat, roll, concatenate, stack, vstack/hstack/dstack/column_stack/row_stack, split
family, append, pad (constant), tril/triu, diagonal/diag/diagflat, copy, astype, diff,
ediff1d."""

from __future__ import annotations

import numpy as _onp

from ._util import (
    composite_maker,
    defvjp,
    identity_rule,
    np,
    onto_diagonal,
    rule,
    shape_of,
    unbroadcast,
)


def _back_to_shape(ans, a, *args, **kwargs):
    shape = shape_of(a)
    return lambda g: np.reshape(g, shape)


for _name in ("expand_dims", "squeeze", "atleast_1d", "atleast_2d", "atleast_3d",
              "ascontiguousarray", "asfortranarray"):
    defvjp(_name, _back_to_shape)
defvjp("copy", identity_rule)


@rule("reshape")
def _reshape(ans, a, *args, order="C", **kwargs):
    if len(args) > 1:
        order = args[1]
    shape = shape_of(a)
    return lambda g: np.reshape(g, shape, order=order)


@rule("ravel")
def _ravel(ans, a, order="C"):
    shape = shape_of(a)
    return lambda g: np.reshape(g, shape, order=order)


@rule("transpose")
def _transpose(ans, a, axes=None):
    if axes is None:
        return lambda g: np.transpose(g)
    inverse = tuple(_onp.argsort([int(i) % len(shape_of(a)) for i in axes]))
    return lambda g: np.transpose(g, inverse)


@rule("swapaxes")
def _swapaxes(ans, a, axis1, axis2):
    return lambda g: np.swapaxes(g, axis1, axis2)


@rule("moveaxis")
def _moveaxis(ans, a, source, destination):
    return lambda g: np.moveaxis(g, destination, source)


@rule("flip")
def _flip(ans, m, axis=None):
    return lambda g: np.flip(g, axis)


defvjp("fliplr", lambda ans, m: lambda g: np.flip(g, 1))
defvjp("flipud", lambda ans, m: lambda g: np.flip(g, 0))


@rule("rot90")
def _rot90(ans, m, k=1, axes=(0, 1)):
    return lambda g: np.rot90(g, -k, axes)


@rule("broadcast_to")
def _broadcast_to(ans, a, shape, *args, **kwargs):
    return lambda g: unbroadcast(g, a)


@rule("tile")
def _tile(ans, a, reps):
    shape = shape_of(a)
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    d = max(len(shape), len(reps))
    full = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + reps
    # g as (rep, size) pairs of axes, the repeated ones summed; axes of length 1
    # dropped first (a sum over several axes, some of them of length 1, takes NumPy's
    # slow path: tiling a row 1000 times cost 1.2x the plain sum over the rows)
    dims, summed = [], []
    for rep, size in zip(reps, full):
        if rep != 1:
            summed.append(len(dims))
            dims.append(rep)
        if size != 1:
            dims.append(size)
    dims, summed = tuple(dims), tuple(summed)

    def vjp(g):
        r = g.reshape(dims)
        return (r.sum(axis=summed) if summed else r).reshape(shape)
    return vjp


@rule("repeat")
def _repeat(ans, a, repeats, axis=None):
    shape = shape_of(a)

    def vjp(g):
        if axis is None:
            flat_shape = (int(_onp.prod(shape)),)
            ax = 0
        else:
            flat_shape = shape
            ax = axis % len(shape)
        if isinstance(repeats, int):
            split = flat_shape[:ax] + (flat_shape[ax], repeats) + flat_shape[ax + 1:]
            return np.reshape(np.sum(np.reshape(g, split), axis=ax + 1), shape)
        from .._indexops import index_add
        idx = _onp.repeat(_onp.arange(flat_shape[ax]), _onp.asarray(repeats))
        key = (slice(None),) * ax + (idx,)
        return np.reshape(index_add(np.zeros(flat_shape, g.dtype), key, g), shape)
    return vjp


@rule("roll")
def _roll(ans, a, shift, axis=None):
    neg = tuple(-s for s in shift) if isinstance(shift, (tuple, list)) else -shift
    return lambda g: np.roll(g, neg, axis)


@rule("tril")
def _tril(ans, m, k=0):
    return lambda g: np.tril(g, k)


@rule("triu")
def _triu(ans, m, k=0):
    return lambda g: np.triu(g, k)


@rule("astype")
def _astype(ans, a, dtype, *args, **kwargs):
    def vjp(g):
        dt = a.dtype
        if dt.kind == "f" and g.dtype.kind == "c":
            g = np.real(g)
        return g.astype(dt) if g.dtype != dt else g
    return vjp


# -- joining and splitting ----------------------------------------------------------
def _slices_back(g, shapes, views, axis):
    """Cut ``g`` along ``axis`` into pieces the sizes of ``views`` (the inputs as they
    were joined) and reshape each to the input's own shape."""
    out = []
    start = 0
    for shape, view in zip(shapes, views):
        stop = start + view[axis]
        key = (slice(None),) * axis + (slice(start, stop),)
        out.append(np.reshape(g[key], shape))
        start = stop
    return out


def _join_rule(view_of, axis_of):
    def maker(ans, seq, *args, **kwargs):
        shapes = [shape_of(x) for x in seq]
        views = [view_of(s) for s in shapes]
        axis = axis_of(views, args, kwargs)
        return lambda g: _slices_back(g, shapes, views, axis)
    return maker


def _concat_maker(ans, seq, axis=0, *args, **kwargs):
    shapes = [shape_of(x) for x in seq]
    if axis is None:
        views = [(int(_onp.prod(s)),) for s in shapes]
        ax = 0
    else:
        views = shapes
        ax = axis % len(shapes[0])
    return lambda g: _slices_back(g, shapes, views, ax)


defvjp("concatenate", _concat_maker)


def _stack_maker(ans, seq, axis=0, *args, **kwargs):
    ndim = len(shape_of(ans))
    ax = axis % ndim

    def vjp(g):
        return [g[(slice(None),) * ax + (i,)] for i in range(len(seq))]
    return vjp


defvjp("stack", _stack_maker)


def _at_least(n, col=False):
    def view(shape):
        if len(shape) >= n:
            return shape
        if n == 2:
            return (shape[0], 1) if col and len(shape) == 1 else (1,) * (2 - len(shape)) + shape
        if len(shape) == 0:
            return (1, 1, 1)
        if len(shape) == 1:
            return (1, shape[0], 1)
        return shape + (1,)
    return view


def _fixed_axis(axis):
    return lambda views, args, kwargs: axis


defvjp("vstack", _join_rule(_at_least(2), _fixed_axis(0)))
defvjp("row_stack", _join_rule(_at_least(2), _fixed_axis(0)))
defvjp("dstack", _join_rule(_at_least(3), _fixed_axis(2)))
defvjp("column_stack", _join_rule(_at_least(2, col=True), _fixed_axis(1)))
defvjp("hstack", _join_rule(lambda s: s if s else (1,),
                            lambda views, args, kw: 0 if len(views[0]) == 1 else 1))


def _split_maker(axis_of):
    def maker(ans, ary, *args, **kwargs):
        shape = shape_of(ary)
        ax = axis_of(shape, args, kwargs)
        sections = args[0] if args else kwargs.get("indices_or_sections")
        if _onp.ndim(sections) == 0:     # equal (or nearly equal) consecutive pieces
            return lambda g: np.concatenate(list(g), axis=ax)
        # split points: the pieces are ary[b_k:b_k+1] with Python's slicing, so they
        # may be empty or overlap (unsorted or repeated points): add each one back
        bounds = [0] + [int(i) for i in _onp.ravel(sections)] + [shape[ax]]
        keys = [(slice(None),) * ax + (slice(lo, hi),) for lo, hi in zip(bounds, bounds[1:])]

        def vjp(g):
            from .._indexops import index_add
            out = np.zeros(shape, g[0].dtype)
            for key, piece in zip(keys, g):
                if 0 not in shape_of(piece):
                    out = index_add(out, key, piece)
            return out
        return vjp
    return maker


def _split_axis(shape, args, kwargs):
    axis = args[1] if len(args) > 1 else kwargs.get("axis", 0)
    return axis % len(shape)


defvjp("split", _split_maker(_split_axis))
defvjp("array_split", _split_maker(_split_axis))
defvjp("vsplit", _split_maker(lambda s, a, k: 0))
defvjp("hsplit", _split_maker(lambda s, a, k: 1 if len(s) > 1 else 0))
defvjp("dsplit", _split_maker(lambda s, a, k: 2))


def _append_maker(which):
    def maker(ans, arr, values, axis=None):
        shapes = [shape_of(arr), shape_of(values)]
        if axis is None:
            views = [(int(_onp.prod(s)),) for s in shapes]
            ax = 0
        else:
            views = shapes
            ax = axis % len(shapes[0])
        return lambda g: _slices_back(g, shapes, views, ax)[which]
    return maker


defvjp("append", _append_maker(0), _append_maker(1))


def _gather_rule(index_of):
    """Rule of an op whose output gathers elements of its input (with repeats):
    ``index_of(shape, *args, **kwargs)`` runs the op on the flat indices of the input
    and the cotangent is scattered back to them (``numpy.add.at``)."""
    def maker(ans, a, *args, **kwargs):
        shape = shape_of(a)
        n = int(_onp.prod(shape, dtype=int))
        idx = _onp.asarray(index_of(_onp.arange(n).reshape(shape), *args, **kwargs))

        def vjp(g):
            from .._indexops import index_add
            flat = index_add(np.zeros((n,), g.dtype), (_onp.ravel(idx),), np.ravel(g))
            return np.reshape(flat, shape)
        return vjp
    return maker


_COPY_MODES = ("edge", "reflect", "symmetric", "wrap", "empty")


_STAT_MODES = {"mean": "mean", "median": "median", "maximum": "max", "minimum": "min"}


def _pairs(value, ndim):
    """NumPy's ``_as_pairs``: ``value`` broadcast to ``ndim`` (before, after) pairs."""
    if value is None:
        return [(None, None)] * ndim
    return [tuple(p) for p in _onp.broadcast_to(_onp.asarray(value, dtype=object),
                                                (ndim, 2)).tolist()]


def _pad_composed(array, pad_width, mode="constant", stat_length=None, end_values=0,
                  **kwargs):
    """``numpy.pad`` for the modes 'mean', 'median', 'maximum', 'minimum' and
    'linear_ramp', in ``minpy.numpy`` operations. As NumPy does, the axes are padded in
    turn, each from the (already padded) result of the ones before it."""
    nd = len(shape_of(array))
    widths = _pairs(pad_width, nd)
    lengths = _pairs(stat_length, nd)
    ends = _pairs(end_values, nd)
    out = array
    for ax in range(nd):
        (lo, hi), n = (int(w) for w in widths[ax]), shape_of(out)[ax]

        def part(start, stop, ax=ax):
            return out[(slice(None),) * ax + (slice(start, stop),)]

        def tile(v, width, ax=ax):
            reps = [1] * nd
            reps[ax] = width
            return np.tile(v, reps)
        if mode == "linear_ramp":
            ramps = []
            for width, edge, end, flip in ((lo, part(0, 1), ends[ax][0], False),
                                           (hi, part(n - 1, n), ends[ax][1], True)):
                k = _onp.arange(width, dtype=float) / max(width, 1)
                k = k[::-1] if flip else k
                k = np.array(k.reshape((-1,) + (1,) * (nd - 1 - ax)))
                ramps.append(end + (edge - end) * k)
            left, right = ramps
        else:
            stat = getattr(np, _STAT_MODES[mode])
            sides = []
            for width, length, first in ((lo, lengths[ax][0], True),
                                         (hi, lengths[ax][1], False)):
                m = n if length is None or int(length) > n else int(length)
                chunk = part(0, m) if first else part(n - m, n)
                sides.append(tile(stat(chunk, axis=ax, keepdims=True), width))
            left, right = sides
        out = np.concatenate([left, out, right], axis=ax)
    return out


def _pad(ans, array, pad_width, mode="constant", **kwargs):
    shape = shape_of(array)
    if mode in _STAT_MODES or mode == "linear_ramp":
        return composite_maker(_pad_composed, 0)(ans, array, pad_width, mode, **kwargs)
    if callable(mode) or mode not in ("constant",) + _COPY_MODES:
        raise NotImplementedError(
            f"no gradient rule for minpy.numpy.pad with mode={mode!r}; the modes with a "
            f"rule are 'constant', {', '.join(map(repr, _COPY_MODES + tuple(_STAT_MODES)))}"
            " and 'linear_ramp'")
    if mode in ("constant", "empty"):
        # NumPy's own broadcasting of pad_width to (ndim, 2): int, (n,), (lo, hi), ...
        widths = _onp.broadcast_to(_onp.asarray(pad_width, dtype=int),
                                   (len(shape), 2)) if shape else _onp.zeros((0, 2), int)
        key = tuple(slice(int(lo), int(lo) + n) for (lo, _), n in zip(widths, shape))
        return lambda g: g[key]
    return _gather_rule(lambda ids, pw, **kw: _onp.pad(ids, pw, mode=mode, **kw))(
        ans, array, pad_width, **kwargs)


defvjp("pad", _pad)


@rule("rollaxis")
def _rollaxis(ans, a, axis, start=0):
    nd = len(shape_of(a))
    # the output's axes as input axes: rollaxis of a zero-strided array of shape 1..nd
    probe = _onp.lib.stride_tricks.as_strided(_onp.zeros(1), tuple(range(1, nd + 1)),
                                              (0,) * nd)
    perm = [s - 1 for s in _onp.rollaxis(probe, axis, start).shape]
    inverse = tuple(_onp.argsort(perm))
    return lambda g: np.transpose(g, inverse)


@rule("matrix_transpose", "linalg.matrix_transpose")
def _matrix_transpose(ans, x):
    return lambda g: np.swapaxes(g, -1, -2)


defvjp("delete", _gather_rule(lambda ids, obj, axis=None: _onp.delete(ids, obj, axis)))
defvjp("resize", _gather_rule(lambda ids, new_shape: _onp.resize(ids, new_shape)))
def _trim_zeros(ans, filt, trim="fb", *args, **kwargs):
    from minpy.core.tracing import unbox_all
    v = unbox_all(filt)
    host = v.asnumpy() if hasattr(v, "asnumpy") else _onp.asarray(v)
    nz = _onp.nonzero(host)[0]
    trim = trim.lower()
    if not len(nz):       # all zeros: everything is trimmed from either end
        lo = hi = 0 if ("f" in trim or "b" in trim) else len(host)
        lo = 0
    else:
        lo = int(nz[0]) if "f" in trim else 0
        hi = int(nz[-1]) + 1 if "b" in trim else len(host)
    n = shape_of(filt)[0]
    return lambda g: np.pad(g, ((lo, n - hi),))


defvjp("trim_zeros", _trim_zeros)


def _insert_arr(ans, arr, obj, values, axis=None):
    shape = shape_of(arr)
    n = int(_onp.prod(shape, dtype=int))
    # Insert -1 markers into the flat indices of arr: what is left are arr's elements.
    markers = _onp.full(shape_of(values), -1)      # as many as values NumPy inserts
    ids = _onp.insert(_onp.arange(n).reshape(shape), _host_of(obj), markers, axis)
    keep = _onp.nonzero(_onp.ravel(ids) >= 0)[0]
    order = _onp.ravel(ids)[keep]

    def vjp(g):
        from .._indexops import index_add
        flat = index_add(np.zeros((n,), g.dtype), (order,), np.ravel(g)[keep])
        return np.reshape(flat, shape)
    return vjp


def _insert_values(ans, arr, obj, values, axis=None):
    shape = shape_of(arr)
    n = int(_onp.prod(shape, dtype=int))
    vshape = shape_of(values)
    m = int(_onp.prod(vshape, dtype=int))
    # Insert the values' flat indices (offset past arr's) and read where they landed.
    vals = _onp.arange(n, n + m).reshape(vshape)
    ids = _onp.ravel(_onp.insert(_onp.arange(n).reshape(shape), _host_of(obj), vals, axis))
    where = _onp.nonzero(ids >= n)[0]
    src = ids[where] - n

    def vjp(g):
        from .._indexops import index_add
        flat = index_add(np.zeros((m,), g.dtype), (src,), np.ravel(g)[where])
        return np.reshape(flat, vshape)
    return vjp


def _host_of(x):
    from minpy.core.convert import to_host
    return to_host(x)


defvjp("insert", _insert_arr, _insert_values, argnums=(0, 2))


# -- diagonals ------------------------------------------------------------------------
@rule("diagonal")
def _diagonal(ans, a, offset=0, axis1=0, axis2=1):
    shape = shape_of(a)
    ax1, ax2 = axis1 % len(shape), axis2 % len(shape)
    return lambda g: onto_diagonal(g, shape, offset, ax1, ax2)


@rule("diag")
def _diag(ans, v, k=0):
    shape = shape_of(v)
    if len(shape) == 1:
        return lambda g: np.diagonal(g, k)
    return _diagonal(ans, v, k)


@rule("diagflat")
def _diagflat(ans, v, k=0):
    shape = shape_of(v)
    return lambda g: np.reshape(np.diagonal(g, k), shape)


# -- differences --------------------------------------------------------------------
def _diff_adjoint(g, n, axis):
    """The adjoint of ``diff(., n, axis)``: ``-diff`` of ``g`` zero-padded by one on each
    side of ``axis``, ``n`` times."""
    widths = [(0, 0)] * len(shape_of(g))
    widths[axis] = (1, 1)
    for _ in range(n):
        g = -np.diff(np.pad(g, widths), axis=axis)
    return g


def _side_len(x, axis):
    return 0 if x is None else (1 if len(shape_of(x)) == 0 else shape_of(x)[axis])


@rule("diff")
def _diff(ans, a, n=1, axis=-1, prepend=None, append=None):
    axis = axis % len(shape_of(a))
    start = _side_len(prepend, axis)
    key = (slice(None),) * axis + (slice(start, start + shape_of(a)[axis]),)
    return lambda g: _diff_adjoint(g, n, axis)[key]


@rule("ediff1d")
def _ediff1d(ans, ary, to_end=None, to_begin=None):
    shape = shape_of(ary)
    start = 0 if to_begin is None else int(_onp.size(to_begin))
    m = max(int(_onp.prod(shape)) - 1, 0)
    return lambda g: np.reshape(_diff_adjoint(g[start:start + m], 1, 0), shape)
