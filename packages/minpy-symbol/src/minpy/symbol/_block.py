"""Wrapping a Gluon ``HybridBlock`` as a :class:`~minpy.symbol.Function`."""

from __future__ import annotations

import collections.abc
import os
import tempfile

from minpy.core import _mxnet
from minpy.core.array import Array
from minpy.core.device import current_device


def from_block(block, input_shapes, name=None, train=True, dtype=None, initialize=True,
               cls=None):
    """``(function, params)`` for a Gluon ``HybridBlock``.

    The block is hybridized, run once on zeros of ``input_shapes`` (which also finishes
    deferred parameter initialisation; ``initialize=True`` calls ``block.initialize()``
    first if it has uninitialised parameters), and exported: the exported symbol becomes
    a :class:`Function` and the block's parameters become ``params``, a dict of MinPy
    Arrays keyed by the Function's argument names, ready to be passed as keywords
    (``fn(data=x, **params)``) and differentiated. Running statistics (BatchNorm) become
    the Function's auxiliary states.

    The Function computes in ``dtype``, by default the block's parameter dtype (float32
    unless ``block.cast(...)`` changed it): floating inputs of another dtype are cast to
    it, as the block itself would require.

    ``input_shapes`` is a dict ``{'data': shape}`` (several inputs: ``data0``,
    ``data1``, ... in the order the block takes them), or a single shape / a list of
    shapes.
    """
    mx = _mxnet.require()
    from ._function import Function
    cls = cls or Function
    if not isinstance(block, mx.gluon.HybridBlock):
        raise TypeError(f"from_block expects a gluon HybridBlock, got {type(block).__name__}")
    if isinstance(input_shapes, collections.abc.Mapping):
        shapes = list(input_shapes.values())
        names = list(input_shapes)
    else:
        if input_shapes and all(isinstance(d, int) for d in input_shapes):
            input_shapes = [input_shapes]
        shapes = [tuple(s) for s in input_shapes]
        names = ["data"] if len(shapes) == 1 else [f"data{i}" for i in range(len(shapes))]
    expected = ["data"] if len(shapes) == 1 else [f"data{i}" for i in range(len(shapes))]
    if names != expected:
        raise ValueError(f"from_block: a block's exported inputs are named {expected}; "
                         f"give input_shapes with these keys, not {names}")
    dev = current_device()
    ctx = dev.mx_context
    params = block.collect_params()
    if initialize:
        try:
            for p in params.values():
                p.data()
        except Exception:  # not initialised yet (or deferred)
            block.initialize(ctx=ctx)
    block.hybridize()
    if dtype is None:
        # The block's parameter dtype (float32 unless the block was cast).
        dtypes = {str(p.dtype) for p in params.values()} if params else {"float32"}
        dtype = dtypes.pop() if len(dtypes) == 1 else "float32"
    dt = dtype
    block(*[mx.np.zeros(s, dtype=dt, ctx=ctx) for s in shapes])
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "block")
        block.export(prefix)
        symbol = mx.sym.load(prefix + "-symbol.json")
        saved = mx.nd.load(prefix + "-0000.params")
    fn = cls(symbol, input_shapes=dict(zip(names, shapes)), name=name or block.name,
             train=train, dtype=dtype)
    args, aux = {}, {}
    for key, value in saved.items():
        kind, _, pname = key.partition(":")
        value = value.as_np_ndarray().as_in_context(ctx)
        (args if kind == "arg" else aux)[pname] = value
    fn.set_aux_states({n: v.asnumpy() for n, v in aux.items()})
    out = {n: Array._from_mx(args[n], dev) for n in fn.list_arguments() if n in args}
    return fn, out
