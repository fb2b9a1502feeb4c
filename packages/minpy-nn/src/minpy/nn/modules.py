"""The original MinPy's ``minpy.nn.modules``: layers for the modular ``Model`` of
:mod:`minpy.nn.model_builder`, with the original's classes, arguments and parameters.

The original built most of them from MXNet symbols; here they are written with
:mod:`minpy.nn.layers` and :mod:`minpy.numpy`, so they run on every backend and under
every policy, and differentiate with :mod:`minpy.autograd`. :class:`Symbolic` still
takes an MXNet symbol (through :class:`minpy.symbol.Function`).

Arguments follow MXNet's operators (``FullyConnected(num_hidden=...)``,
``Convolution(num_filter=..., kernel=..., stride=..., pad=..., no_bias=...)``,
``Pooling(pool_type=..., kernel=..., stride=..., pad=..., global_pool=...)``,
``BatchNorm(eps=..., momentum=..., fix_gamma=..., use_global_stats=...)``), and so do
parameter layouts: a ``FullyConnected`` weight is ``(num_hidden, input size)``, a
``Convolution`` weight ``(num_filter, channels, kh, kw)``. Local parameter names are
MXNet's suffixes (``weight``, ``bias``, ``gamma``, ``beta``, auxiliary ``moving_mean``
and ``moving_var``); in the model they are prefixed by the layer's name.
"""

from __future__ import annotations

import functools
import operator

import numpy as _onp

import minpy.numpy as np

from . import layers
from ._conv import _pair
from ._modular import Layer, ModuleError

__all__ = ["Variable", "Identity", "ReLU", "Dropout", "Logistic", "Tanh", "Reshape",
           "BatchReshape", "Flatten", "BatchFlatten", "Symbolic", "FullyConnected",
           "Embedding", "Convolution", "Pooling", "BatchNorm", "RNN", "LSTM"]


def _mode(layer):
    return "train" if layer._mode == "training" else "test"


def _check_unsupported(kind, kwargs, ignored=()):
    extra = sorted(k for k in kwargs if k not in ignored)
    if extra:
        raise TypeError(f"{kind}: unsupported argument(s) {extra}")


class Variable(Layer):
    """A trainable array of ``shape``: ``Variable((3, 4))()`` returns it."""

    _module_name = "variable"

    def __init__(self, shape, init_configs=None, update_configs=None, name=None):
        self._shape = tuple(int(d) for d in shape)
        super().__init__(("variable",), None, name)
        self._register_init_configs(init_configs)
        self._register_update_configs(update_configs)

    def forward(self):
        return self._get_param(self.variable)

    def param_shapes(self, *args):
        return {self.variable: self._shape}


class Identity(Layer):
    _module_name = "identity"

    def __init__(self, name=None):
        super().__init__(name=name)

    def forward(self, X):
        return X


class ReLU(Layer):
    """Rectified linear unit."""

    _module_name = "ReLU"

    def __init__(self, name=None):
        super().__init__(name=name)

    def forward(self, X, *args):
        return layers.relu(X)


class Dropout(Layer):
    """Inverted dropout: in training mode each value is dropped with probability ``p``
    (the survivors scaled by ``1 / (1 - p)``); the identity in inference mode."""

    _module_name = "dropout"

    def __init__(self, p, name=None):
        super().__init__(name=name)
        self._p = float(p)

    def forward(self, data):
        return layers.dropout(data, self._p, _mode(self))


class Logistic(Layer):
    """The logistic sigmoid ``1 / (1 + exp(-X))``."""

    _module_name = "logistic"

    def __init__(self, name=None):
        super().__init__(name=name)

    def forward(self, X, *args):
        return layers.sigmoid(X)


class Tanh(Layer):
    """Hyperbolic tangent."""

    _module_name = "tanh"

    def __init__(self, name=None):
        super().__init__(name=name)

    def forward(self, X, *args):
        return np.tanh(X)


class Reshape(Layer):
    """Reshape the whole input to ``shape``."""

    _module_name = "reshape"

    def __init__(self, shape, name=None):
        super().__init__(name=name)
        self._shape = tuple(shape)

    def forward(self, X, *args):
        return np.reshape(X, self._shape)


class BatchReshape(Layer):
    """Reshape each example to ``shape`` (the batch axis is kept)."""

    _module_name = "batch_reshape"

    def __init__(self, shape, name=None):
        super().__init__(name=name)
        self._shape = tuple(shape)

    def forward(self, X, *args):
        return np.reshape(X, tuple(X.shape[:1]) + self._shape)


class Flatten(Layer):
    """Flatten the whole input to a vector."""

    _module_name = "flatten"

    def __init__(self, name=None):
        super().__init__(name=name)

    def forward(self, X):
        return np.reshape(X, (functools.reduce(operator.mul, X.shape, 1),))


class BatchFlatten(Layer):
    """Flatten each example: ``(N, d1, d2, ...)`` to ``(N, d1 * d2 * ...)``."""

    _module_name = "batch_flatten"

    def __init__(self, name=None):
        super().__init__(name=name)

    def forward(self, X):
        return np.reshape(X, (X.shape[0], functools.reduce(operator.mul, X.shape[1:], 1)))


class _Configured(Layer):
    """A layer whose constructor takes ``init_configs``/``update_configs``."""

    def _configure(self, init_configs, update_configs):
        self._register_init_configs(init_configs)
        self._register_update_configs(update_configs)


class FullyConnected(_Configured):
    """``X W^T + b`` on each example flattened (MXNet's ``FullyConnected``): ``weight``
    of shape ``(num_hidden, input size)``, ``bias`` ``(num_hidden,)``."""

    _module_name = "fullyconnected"

    def __init__(self, num_hidden, no_bias=False, flatten=True, init_configs=None,
                 update_configs=None, name=None):
        self._num_hidden = int(num_hidden)
        self._no_bias = bool(no_bias)
        self._flatten = bool(flatten)
        super().__init__(("weight",) if no_bias else ("weight", "bias"), None, name)
        self._configure(init_configs, update_configs)

    def _features(self, shape):
        return functools.reduce(operator.mul, shape[1:], 1) if self._flatten else shape[-1]

    def forward(self, data):
        w = self._get_param(self.weight)
        if self._flatten and data.ndim != 2:
            data = np.reshape(data, (data.shape[0], self._features(data.shape)))
        out = np.dot(data, np.transpose(w))
        if not self._no_bias:
            out = out + self._get_param(self.bias)
        return out

    def param_shapes(self, input_shape):
        shapes = {self.weight: (self._num_hidden, self._features(input_shape))}
        if not self._no_bias:
            shapes[self.bias] = (self._num_hidden,)
        return shapes


class Embedding(_Configured):
    """Rows of ``weight`` (``(input_dim, output_dim)``) picked by integer indices."""

    _module_name = "embedding"

    def __init__(self, input_dim, output_dim, init_configs=None, update_configs=None,
                 name=None):
        self._shape = (int(input_dim), int(output_dim))
        super().__init__(("weight",), None, name)
        self._configure(init_configs, update_configs)

    def forward(self, data):
        return layers.embedding(data, self._get_param(self.weight))

    def param_shapes(self, input_shape):
        return {self.weight: self._shape}


class Convolution(_Configured):
    """2-d convolution of ``(N, C, H, W)`` data (MXNet's ``Convolution``): ``weight``
    ``(num_filter, C, kh, kw)``, ``bias`` ``(num_filter,)`` unless ``no_bias``."""

    _module_name = "convolution"

    def __init__(self, num_filter, kernel, stride=(1, 1), pad=(0, 0), no_bias=False,
                 init_configs=None, update_configs=None, name=None, **kwargs):
        # MXNet's performance hints change nothing here.
        _check_unsupported("Convolution", kwargs, ("workspace", "cudnn_tune", "cudnn_off",
                                                   "layout"))
        self._num_filter = int(num_filter)
        self._kernel = _pair(kernel, "kernel")
        self._stride = _pair(stride, "stride")
        self._pad = _pair(pad, "pad")
        self._no_bias = bool(no_bias)
        super().__init__(("weight",) if no_bias else ("weight", "bias"), None, name)
        self._configure(init_configs, update_configs)

    def forward(self, data):
        b = None if self._no_bias else self._get_param(self.bias)
        return layers.conv2d(data, self._get_param(self.weight), b, self._stride, self._pad)

    def param_shapes(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"{self.name}: Convolution takes (N, C, H, W) data, got "
                             f"shape {tuple(input_shape)}")
        shapes = {self.weight: (self._num_filter, input_shape[1]) + self._kernel}
        if not self._no_bias:
            shapes[self.bias] = (self._num_filter,)
        return shapes


class Pooling(Layer):
    """2-d max or average pooling (MXNet's ``Pooling``; ``stride`` defaults to 1 as
    there, ``global_pool`` pools each whole feature map)."""

    _module_name = "pooling"

    def __init__(self, pool_type="max", kernel=(1, 1), stride=(1, 1), pad=(0, 0),
                 global_pool=False, name=None, **kwargs):
        _check_unsupported("Pooling", kwargs, ("cudnn_off",))
        if pool_type not in ("max", "avg"):
            raise ValueError(f"Pooling: pool_type must be 'max' or 'avg', not {pool_type!r}")
        self._pool_type = pool_type
        self._kernel = _pair(kernel, "kernel")
        self._stride = _pair(stride, "stride")
        self._pad = _pair(pad, "pad")
        self._global = bool(global_pool)
        super().__init__(name=name)

    def forward(self, data):
        kernel, stride, pad = self._kernel, self._stride, self._pad
        if self._global:
            kernel, stride, pad = tuple(data.shape[2:]), (1, 1), (0, 0)
        fn = layers.max_pool if self._pool_type == "max" else layers.avg_pool
        return fn(data, kernel, stride, pad)


class BatchNorm(_Configured):
    """Batch normalisation over axis 1 (features, or channels of ``(N, C, H, W)``
    data), as MXNet's ``BatchNorm``: ``gamma`` and ``beta`` trained (``gamma`` held at
    one when ``fix_gamma``, MXNet's default), ``moving_mean`` and ``moving_var``
    auxiliary, updated in training mode and used in inference mode (always with
    ``use_global_stats``)."""

    _module_name = "batchnorm"

    def __init__(self, eps=1e-3, momentum=0.9, fix_gamma=True, use_global_stats=False,
                 init_configs=None, update_configs=None, name=None, **kwargs):
        _check_unsupported("BatchNorm", kwargs, ("cudnn_off", "output_mean_var"))
        self._eps, self._momentum = float(eps), float(momentum)
        self._fix_gamma = bool(fix_gamma)
        self._global_stats = bool(use_global_stats)
        super().__init__(("gamma", "beta"), ("moving_mean", "moving_var"), name)
        self._configure(init_configs, update_configs)

    def forward(self, data):
        gamma, beta = self._get_params(self.gamma, self.beta)
        if self._fix_gamma:
            gamma = np.ones(gamma.shape, gamma.dtype)
        mean, var = self._get_aux_params(self._moving_mean, self._moving_var)
        mode = "test" if self._global_stats else _mode(self)
        out, new_mean, new_var = layers.batchnorm(data, gamma, beta, mode, self._eps,
                                                  self._momentum, mean, var)
        if mode == "train":
            self._set_aux_param(self._moving_mean, new_mean)
            self._set_aux_param(self._moving_var, new_var)
        return out

    def param_shapes(self, input_shape):
        return {self.gamma: (input_shape[1],), self.beta: (input_shape[1],)}

    def aux_param_shapes(self, input_shape):
        return {self._moving_mean: (input_shape[1],), self._moving_var: (input_shape[1],)}


_ACTIVATIONS = {"relu": layers.relu, "sigmoid": layers.sigmoid, "tanh": np.tanh,
                "softrelu": lambda x: np.logaddexp(0, x)}


def _activation(act_type):
    try:
        return _ACTIVATIONS[act_type]
    except KeyError:
        raise ValueError(f"act_type must be one of {sorted(_ACTIVATIONS)}, not "
                         f"{act_type!r}") from None


class RNN(_Configured):
    """One step of an Elman RNN: ``act(data W^T + hidden HH_weight^T + HH_bias)``.
    ``weight`` is ``(num_hidden, input size)`` (no bias), ``HH_weight``
    ``(num_hidden, num_hidden)``, initialised to the identity, ``HH_bias``
    ``(num_hidden,)``. ``hidden=None`` starts from zeros."""

    _module_name = "rnn"

    def __init__(self, num_hidden, act_type, init_configs=None, update_configs=None,
                 name=None):
        self._num_hidden = int(num_hidden)
        self._act = _activation(act_type)
        super().__init__(("weight", "HH_weight", "HH_bias"), None, name)
        self._register_init_configs({"HH_weight": {"init_rule": "constant",
                                                   "value": _onp.eye(self._num_hidden)}})
        self._configure(init_configs, update_configs)

    def forward(self, data, hidden=None):
        if hidden is None:
            hidden = np.zeros((data.shape[0], self._num_hidden), dtype=data.dtype)
        w, hw, hb = self._get_params(self.weight, self.HH_weight, self.HH_bias)
        return self._act(np.dot(data, np.transpose(w)) + np.dot(hidden, np.transpose(hw))
                         + hb)

    def param_shapes(self, data_shape, hidden_shape=None):
        d = functools.reduce(operator.mul, data_shape[1:], 1)
        h = self._num_hidden
        return {self.weight: (h, d), self.HH_weight: (h, h), self.HH_bias: (h,)}


class LSTM(_Configured):
    """One step of an LSTM: ``(next_hidden, next_cell)``. The gates come from
    ``data weight^T + hidden HH_weight^T + HH_bias`` (``4 num_hidden`` wide: input,
    forget, output gates with sigmoids, the candidate with tanh);
    ``next_cell = f * cell + i * g``, ``next_hidden = o * act(next_cell)``.
    ``hidden``/``cell`` ``None`` start from zeros."""

    _module_name = "lstm"

    def __init__(self, num_hidden, act_type, init_configs=None, update_configs=None,
                 name=None):
        self._num_hidden = int(num_hidden)
        self._act = _activation(act_type)
        super().__init__(("weight", "HH_weight", "HH_bias"), None, name)
        self._configure(init_configs, update_configs)

    def forward(self, data, hidden=None, cell=None):
        n, h = data.shape[0], self._num_hidden
        if hidden is None:
            hidden = np.zeros((n, h), dtype=data.dtype)
        if cell is None:
            cell = np.zeros((n, h), dtype=data.dtype)
        w, hw, hb = self._get_params(self.weight, self.HH_weight, self.HH_bias)
        a = np.dot(data, np.transpose(w)) + np.dot(hidden, np.transpose(hw)) + hb
        i = layers.sigmoid(a[:, :h])
        f = layers.sigmoid(a[:, h:2 * h])
        o = layers.sigmoid(a[:, 2 * h:3 * h])
        g = np.tanh(a[:, 3 * h:])
        next_cell = f * cell + i * g
        return o * self._act(next_cell), next_cell

    def param_shapes(self, data_shape, hidden_shape=None, cell_shape=None):
        d = functools.reduce(operator.mul, data_shape[1:], 1)
        h = self._num_hidden
        return {self.weight: (4 * h, d), self.HH_weight: (4 * h, h),
                self.HH_bias: (4 * h,)}


class Symbolic(_Configured):
    """An MXNet symbol as a layer: its arguments other than ``variables`` (default
    ``('data',)``) are the layer's parameters, its auxiliary states (moving statistics)
    its auxiliary parameters. Called with the variables as keywords
    (``layer(data=X)``); runs through :class:`minpy.symbol.Function` in float32, as the
    original's did, in training or inference mode with the layer."""

    _module_name = "symbolic"

    def __init__(self, symbol, variables=None, init_configs=None, update_configs=None,
                 name=None):
        self._symbol = symbol
        self._variables = ("data",) if variables is None else tuple(variables)
        args = symbol.list_arguments()
        missing = [v for v in self._variables if v not in args]
        if missing:
            raise ValueError(f"Symbolic: the symbol has no argument(s) {missing}; its "
                             f"arguments are {args}")
        params = tuple(a for a in args if a not in self._variables)
        aux = tuple(symbol.list_auxiliary_states())
        super().__init__(params, aux, name)
        self._configure(init_configs, update_configs)
        self._func = None

    def forward(self, **kwargs):
        if self._func is None:
            from minpy.symbol.original import Function
            self._func = Function(self._symbol, name=self.name)
        missing = [v for v in self._variables if v not in kwargs]
        if missing:
            raise ModuleError(f"{self.name}: give the variable(s) {missing} as keywords")
        kwargs.update(zip(self._module_param_names, self._get_params(*self._param_names)))
        if self._aux_param_names:
            self._func.set_aux_states(dict(zip(
                self._module_aux_param_names, self._get_aux_params(*self._aux_param_names))))
        self._func.is_train = self._mode == "training"
        out = self._func(**kwargs)
        if self._aux_param_names and self._mode == "training":
            # MXNet updates the moving statistics when the gradient is computed; the
            # model reads them back at the next call.
            self._pending_aux = True
        return out

    def _sync_aux(self):
        if getattr(self, "_pending_aux", False) and self._func is not None:
            states = self._func.get_aux_states()
            for local, name in zip(self._module_aux_param_names, self._aux_param_names):
                self._model.aux_params[name] = states[local]
            self._pending_aux = False

    def __call__(self, *args, **kwargs):
        self._sync_aux()
        if not self._initialized and self._model is not None:
            shapes = {k: tuple(v.shape) for k, v in kwargs.items() if hasattr(v, "shape")}
            self._init_params(self.param_shapes(**shapes))
            self._init_aux_params(self.aux_param_shapes(**shapes))
            self._initialized = True
        return super().__call__(*args, **kwargs)

    def param_shapes(self, **shapes):
        arg_shapes, _, _ = self._symbol.infer_shape(**shapes)
        named = dict(zip(self._symbol.list_arguments(), arg_shapes))
        local = dict(zip(self._module_param_names, self._param_names))
        return {local[n]: tuple(s) for n, s in named.items() if n in local}

    def aux_param_shapes(self, **shapes):
        _, _, aux_shapes = self._symbol.infer_shape(**shapes)
        return dict(zip(self._aux_param_names, (tuple(s) for s in aux_shapes)))
