"""Wrapping a Gluon ``HybridBlock`` as a :class:`~minpy.symbol.Function`."""

from __future__ import annotations

import collections.abc
import os
import tempfile

from minpy.core import _mxnet
from minpy.core.array import Array
from minpy.core.device import current_device


def _numpy_shapes(graph: str) -> str:
    """A legacy graph's declared parameter shapes (``__shape__``: 0 for a length not
    known yet) in NumPy's shape semantics (-1 for it; 0 is a length there)."""
    import json
    doc = json.loads(graph)
    for node in doc.get("nodes", ()):
        attrs = node.get("attrs") or {}
        shape = attrs.get("__shape__")
        if shape:
            dims = [int(d) for d in shape.strip("()[] ").replace(",", " ").split()]
            attrs["__shape__"] = str(tuple(-1 if d == 0 else d for d in dims))
    return json.dumps(doc)


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
    # The block runs as the user's MXNet settings say (outside MinPy's NumPy scope): a
    # legacy block takes mx.nd arrays, a NumPy-style one (npx.set_np) mx.np arrays.
    # NumPy shapes (0 is a length, unknown is -1) are in force: the exported graph's
    # shapes mean what the Function reads them as.
    legacy = not mx.util.is_np_shape()
    nd = mx.np if mx.util.is_np_array() else mx.nd
    block(*[nd.zeros(s, dtype=dt, ctx=ctx) for s in shapes])
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "block")
        block.export(prefix)
        with open(prefix + "-symbol.json") as f:
            graph = f.read()
        if legacy:  # the Function reads shapes as NumPy's: an unknown length is -1
            graph = _numpy_shapes(graph)
        symbol = mx.sym.load_json(graph)
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
