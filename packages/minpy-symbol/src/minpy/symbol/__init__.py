"""minpy.symbol: an MXNet ``mx.sym`` graph as a differentiable MinPy function.

>>> import mxnet as mx
>>> from minpy.symbol import Function
>>> net = mx.sym.Convolution(mx.sym.Variable('x'), name='conv', kernel=(3, 3),
...                          num_filter=32, no_bias=True)
>>> conv = Function(net, input_shapes={'x': (8, 3, 10, 10)})
>>> y = conv(x=x, conv_weight=w)          # a MinPy Array; minpy.autograd differentiates it

Importing this package loads MXNet through ``minpy.core._mxnet`` (the NumPy-2 shim and
NumPy shape semantics), so that a plain ``import mxnet`` afterwards -- as in
``from minpy.core import Function; import mxnet as mx`` -- finds it loaded. Without
MXNet the import still succeeds; making a Function then raises an ImportError that says
how to install it. ``minpy.autograd`` is imported on the first traced call only.
"""

from __future__ import annotations

from minpy.core import _mxnet

from ._block import from_block
from ._function import Function, SymbolArgumentError, SymbolShapeError

_mxnet.load()

__version__ = "0.1.0"

__all__ = ["Function", "from_block", "SymbolArgumentError", "SymbolShapeError"]
