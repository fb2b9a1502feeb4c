"""The original MinPy's ``Function`` semantics (``minpy.core.Function``).

:class:`minpy.symbol.Function` is strict: it runs the graph in its inputs' dtype, and a
call must name every argument of the symbol and nothing else. The original MinPy's
``Function``, which its tutorials and examples call, behaved differently, and this
subclass does what it did:

* **dtype.** The original's arrays were float32 MXNet NDArrays, so its graphs ran in
  float32 whatever the caller held. Here the graph runs in ``dtype`` (float32 unless
  ``Function(..., dtype=...)`` says otherwise): every numeric input, floating or
  integer (labels), is cast to it, and the outputs are cast back to the caller's
  floating dtype (the NumPy promotion of the floating inputs given; ``dtype`` when
  there are none). Gradients come back in each input's own dtype.
* **Unknown keywords are ignored** (``conv(X=X, **model.params)`` with every layer's
  parameters in ``params``), with one warning per Function naming them.
* **Missing arguments are zeros**, as in the original, whose executor kept the zeros
  it was bound with for an argument the call did not give (``mxnet_logistic.py`` calls
  ``f(x=inputs, fc_weight=weights)`` without ``fc_bias``). Their shapes are inferred
  from ``input_shapes`` and the arguments given; one warning per Function names them.
* **Auxiliary states passed as keywords** (``moving_mean=...``) set the Function's
  auxiliary states before the call (see :meth:`Function.set_aux_states`).
* ``get_params()`` gives ``{name: {'shape': shape}}``, ``get_output_shapes()``
  ``{output name: shape}`` and ``_param_shapes`` ``{name: shape}``, as the original's
  did.
"""

from __future__ import annotations

import warnings

import numpy as _onp

from minpy.core.array import Array
from minpy.core.tracing import Box

from ._function import Function as _StrictFunction
from ._function import SymbolArgumentError, SymbolShapeError

__all__ = ["Function", "FunctionArgumentWarning", "ORIGINAL_DTYPE"]

#: The dtype of the original MinPy's arrays, and so of its Functions' graphs.
ORIGINAL_DTYPE = "float32"


class FunctionArgumentWarning(UserWarning):
    """A call of an original-style Function ignored keywords its symbol lacks or filled
    missing arguments with zeros."""


def _dtype_of(v):
    if isinstance(v, (Array, Box, _onp.ndarray, _onp.generic)):
        return _onp.dtype(v.dtype)
    return None


class Function(_StrictFunction):
    """An MXNet symbol as a differentiable function, with the original MinPy's calling
    conventions (see the module docstring). Parameters as for
    :class:`minpy.symbol.Function`; ``dtype`` defaults to float32."""

    def __init__(self, symbol, input_shapes=None, name=None, train=True,
                 dtype=ORIGINAL_DTYPE, **kwargs):
        super().__init__(symbol, input_shapes=input_shapes, name=name, train=train,
                         dtype=dtype, **kwargs)
        self._warned_unknown = False
        self._warned_missing = False

    # -- calling ---------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        names = self._args
        if len(args) > len(names):
            raise SymbolArgumentError(f"{self.name} takes {len(names)} arguments "
                                      f"{list(names)}, got {len(args)} positional")
        given = dict(zip(names, args))
        unknown, aux = [], {}
        for k, v in kwargs.items():
            if k in self._arg_index:
                given[k] = v
            elif k in self._aux_names:
                aux[k] = v
            else:
                unknown.append(k)
        if aux:
            self.set_aux_states(aux)
        if unknown and not self._warned_unknown:
            self._warned_unknown = True
            warnings.warn(
                f"{self.name}: ignoring keyword argument(s) {sorted(unknown)} that the "
                f"symbol does not take (as the original MinPy did); its arguments are "
                f"{list(names)}. minpy.symbol.Function rejects them.",
                FunctionArgumentWarning, stacklevel=2)
        missing = [n for n in names if n not in given]
        if missing:
            self._fill_missing(given, missing)
        target = self._dtype
        caller = [d for d in map(_dtype_of, given.values()) if d is not None and d.kind == "f"]
        out_dtype = _onp.result_type(*caller) if caller else target
        vals = [self._cast_input(given[n], target) for n in names]
        out = super().__call__(*vals)
        if out_dtype == target:
            return out
        if isinstance(out, tuple):
            return tuple(o.astype(out_dtype) for o in out)
        return out.astype(out_dtype)

    @staticmethod
    def _cast_input(v, target):
        """Integer and boolean arrays (labels, indices) to the graph's dtype, as the
        original's float32 NDArrays held them; floating ones are cast by the strict
        Function's ``dtype``."""
        d = _dtype_of(v)
        if d is not None and d.kind in "biu":
            return v.astype(target)
        return v

    def _fill_missing(self, given, missing):
        shapes = {n: tuple(v.shape) for n, v in given.items() if hasattr(v, "shape")}
        if self._input_shapes is not None:
            shapes.update(self._input_shapes)
        inferred = self._infer_from(shapes)[0]
        unknown = [n for n in missing if inferred.get(n) is None]
        if unknown:
            raise SymbolShapeError(
                f"{self.name}: missing argument(s) {unknown} whose shapes cannot be "
                f"inferred from the arguments given. Expected {self.signature()}")
        for n in missing:
            given[n] = Array._from_host(_onp.zeros(inferred[n], dtype=self._dtype))
        if not self._warned_missing:
            self._warned_missing = True
            warnings.warn(
                f"{self.name}: missing argument(s) {missing} are zeros (as the original "
                "MinPy's executor left them); minpy.symbol.Function requires them.",
                FunctionArgumentWarning, stacklevel=3)

    # -- the original's introspection ------------------------------------------------
    @property
    def _param_shapes(self):
        """``{parameter: shape}`` (the original's attribute)."""
        return _StrictFunction.get_params(self)

    def get_params(self):
        """``{parameter: {'shape': shape}}``, the original's format (``ModelBase.add_params``
        takes it)."""
        return {n: {"shape": s} for n, s in self._param_shapes.items()}

    def get_output_shapes(self):
        """``{output name: shape}``, the original's format."""
        return dict(zip(self._outputs, _StrictFunction.get_output_shapes(self)))

    def get_one_output_shape(self):
        shapes = _StrictFunction.get_output_shapes(self)
        if len(shapes) != 1:
            raise ValueError(f"{self.name} has {len(shapes)} outputs "
                             f"{self.list_outputs()}; use get_output_shapes()")
        return shapes[0]
