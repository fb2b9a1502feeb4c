"""Sequential model specs with shape inference (the original ``model_builder``).

>>> import minpy.nn.model_builder as builder
>>> net = builder.Sequential(builder.Affine(512), builder.ReLU(), builder.Affine(10))
>>> model = builder.Model(net, 'softmax', (64,))     # a ModelBase: train it with Solver

Each layer knows how to infer its parameter shapes from its input shape (without the
batch axis), so only the model's input shape is given. Parameters are named
``<layer><index>_<param>`` (``affine0_weight``, ``batchnorm2_gamma``, ...).
"""

from __future__ import annotations

import numpy as _onp

import minpy.numpy as np

from . import layers
from .model import ModelBase

__all__ = ["Layer", "Sequential", "Affine", "ReLU", "Sigmoid", "Tanh", "Dropout",
           "BatchNorm", "Convolution", "Pooling", "Reshape", "Flatten", "Model"]


class Layer:
    """A layer spec. Subclasses set ``name`` and implement :meth:`build` and
    :meth:`forward`."""

    name = "layer"

    def build(self, prefix, input_shape):
        """``(params, aux, output_shape)``: ``params`` maps a parameter name to
        ``{'shape': ..., 'init_rule': ..., ...}``, ``aux`` a state name to its initial
        value; ``input_shape`` excludes the batch axis."""
        return {}, {}, tuple(input_shape)

    def forward(self, x, params, aux, mode):
        """``(output, aux updates)``."""
        raise NotImplementedError


class Sequential(Layer):
    """Layers applied one after another."""

    name = "sequential"

    def __init__(self, *layer_specs):
        for spec in layer_specs:
            if not isinstance(spec, Layer):
                raise TypeError(f"Sequential takes Layer specs, got {spec!r}")
        self.layers = list(layer_specs)
        self._prefixes = []

    def build(self, prefix, input_shape):
        params, aux, shape = {}, {}, tuple(input_shape)
        self._prefixes = []
        for i, spec in enumerate(self.layers):
            p = f"{prefix}{spec.name}{i}_"
            self._prefixes.append(p)
            lp, la, shape = spec.build(p, shape)
            params.update(lp)
            aux.update(la)
        return params, aux, shape

    def forward(self, x, params, aux, mode):
        updates = {}
        for spec in self.layers:
            x, up = spec.forward(x, params, aux, mode)
            updates.update(up)
        return x, updates


class Affine(Layer):
    """Fully connected layer with ``hidden_size`` outputs (input flattened)."""

    name = "affine"

    def __init__(self, hidden_size, init_rule=None, init_config=None):
        self.hidden_size = int(hidden_size)
        self.init_rule, self.init_config = init_rule, init_config

    def _param(self, shape, rule=None, config=None):
        cfg = {"shape": shape}
        rule = rule or self.init_rule
        if rule is not None:
            cfg["init_rule"] = rule
            cfg["init_config"] = dict(config if config is not None else
                                      self.init_config or {})
        return cfg

    def build(self, prefix, input_shape):
        d = int(_onp.prod(input_shape))
        self.w, self.b = prefix + "weight", prefix + "bias"
        return ({self.w: self._param((d, self.hidden_size)),
                 self.b: self._param((self.hidden_size,), "constant", {"value": 0.0})},
                {}, (self.hidden_size,))

    def forward(self, x, params, aux, mode):
        return layers.affine(x, params[self.w], params[self.b]), {}


class _Activation(Layer):
    fn = None

    def forward(self, x, params, aux, mode):
        return type(self).fn(x), {}


class ReLU(_Activation):
    """Rectified linear unit."""
    name = "relu"
    fn = staticmethod(layers.relu)


class Sigmoid(_Activation):
    """Logistic sigmoid."""
    name = "sigmoid"
    fn = staticmethod(layers.sigmoid)


class Tanh(_Activation):
    """Hyperbolic tangent."""
    name = "tanh"
    fn = staticmethod(layers.tanh)


class Dropout(Layer):
    """Inverted dropout with drop probability ``p`` in training mode."""

    name = "dropout"

    def __init__(self, p):
        self.p = float(p)

    def forward(self, x, params, aux, mode):
        return layers.dropout(x, self.p, mode), {}


class BatchNorm(Layer):
    """Batch normalisation over the feature axis (axis 1), with running statistics
    kept as auxiliary states."""

    name = "batchnorm"

    def __init__(self, eps=1e-5, momentum=0.9):
        self.eps, self.momentum = eps, momentum

    def build(self, prefix, input_shape):
        d = int(input_shape[0])
        self.gamma, self.beta = prefix + "gamma", prefix + "beta"
        self.mean, self.var = prefix + "running_mean", prefix + "running_var"
        return ({self.gamma: {"shape": (d,), "init_rule": "constant",
                              "init_config": {"value": 1.0}},
                 self.beta: {"shape": (d,), "init_rule": "constant",
                             "init_config": {"value": 0.0}}},
                {self.mean: _onp.zeros(d), self.var: _onp.ones(d)}, tuple(input_shape))

    def forward(self, x, params, aux, mode):
        out, mean, var = layers.batchnorm(x, params[self.gamma], params[self.beta], mode,
                                          self.eps, self.momentum, aux[self.mean],
                                          aux[self.var])
        return out, ({self.mean: mean, self.var: var} if mode == "train" else {})


class Convolution(Layer):
    """2-d convolution: ``Convolution(kernel, num_filter, stride=1, pad=0)`` on
    (C, H, W) inputs."""

    name = "convolution"

    def __init__(self, kernel, num_filter, stride=(1, 1), pad=(0, 0), init_rule=None,
                 init_config=None):
        self.kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
        self.num_filter = int(num_filter)
        self.stride = (stride, stride) if isinstance(stride, int) else tuple(stride)
        self.pad = (pad, pad) if isinstance(pad, int) else tuple(pad)
        self.init_rule, self.init_config = init_rule, init_config

    def build(self, prefix, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"Convolution takes (C, H, W) inputs, got {input_shape}")
        c, h, w = input_shape
        kh, kw = self.kernel
        oh = (h + 2 * self.pad[0] - kh) // self.stride[0] + 1
        ow = (w + 2 * self.pad[1] - kw) // self.stride[1] + 1
        self.w, self.b = prefix + "weight", prefix + "bias"
        wcfg = {"shape": (self.num_filter, c, kh, kw)}
        if self.init_rule is not None:
            wcfg.update(init_rule=self.init_rule, init_config=dict(self.init_config or {}))
        return ({self.w: wcfg,
                 self.b: {"shape": (self.num_filter,), "init_rule": "constant",
                          "init_config": {"value": 0.0}}}, {}, (self.num_filter, oh, ow))

    def forward(self, x, params, aux, mode):
        return layers.conv2d(x, params[self.w], params[self.b], self.stride, self.pad), {}


class Pooling(Layer):
    """``Pooling(mode, kernel, stride=kernel, pad=0)`` with mode 'max' or 'avg'."""

    name = "pooling"

    def __init__(self, mode, kernel, stride=None, pad=(0, 0)):
        if mode not in ("max", "avg"):
            raise ValueError(f"Pooling mode must be 'max' or 'avg', not {mode!r}")
        self.mode = mode
        self.kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
        self.stride = self.kernel if stride is None else (
            (stride, stride) if isinstance(stride, int) else tuple(stride))
        self.pad = (pad, pad) if isinstance(pad, int) else tuple(pad)

    def build(self, prefix, input_shape):
        c, h, w = input_shape
        oh = (h + 2 * self.pad[0] - self.kernel[0]) // self.stride[0] + 1
        ow = (w + 2 * self.pad[1] - self.kernel[1]) // self.stride[1] + 1
        return {}, {}, (c, oh, ow)

    def forward(self, x, params, aux, mode):
        fn = layers.max_pool if self.mode == "max" else layers.avg_pool
        return fn(x, self.kernel, self.stride, self.pad), {}


class Reshape(Layer):
    """Reshape each example to ``shape`` (the batch axis is kept)."""

    name = "reshape"

    def __init__(self, shape):
        self.shape = tuple(int(d) for d in shape)

    def build(self, prefix, input_shape):
        if int(_onp.prod(input_shape)) != int(_onp.prod(self.shape)):
            raise ValueError(f"Reshape: cannot reshape {input_shape} to {self.shape}")
        return {}, {}, self.shape

    def forward(self, x, params, aux, mode):
        return np.reshape(x, (x.shape[0],) + self.shape), {}


class Flatten(Reshape):
    """Flatten each example to a vector."""

    name = "flatten"

    def __init__(self):
        self.shape = None

    def build(self, prefix, input_shape):
        self.shape = (int(_onp.prod(input_shape)),)
        return {}, {}, self.shape


_LOSSES = {"softmax": layers.softmax_loss, "svm": layers.svm_loss, "l2": layers.l2_loss,
           "softmax_cross_entropy": layers.softmax_cross_entropy}


class Model(ModelBase):
    """A :class:`~minpy.nn.model.ModelBase` from a layer spec, a loss (``'softmax'``,
    ``'svm'``, ``'l2'`` or a function ``(output, labels)``) and the input shape of one
    example (batches whose examples have another shape but the same size are reshaped
    to it, so flat 64-vectors feed a ``(1, 8, 8)`` convolution)."""

    def __init__(self, net, loss="softmax", input_shape=None):
        super().__init__()
        if input_shape is None:
            raise ValueError("Model needs the input shape of one example, e.g. (784,)")
        self.net = net if isinstance(net, Layer) else Sequential(*net)
        self.input_shape = tuple(int(d) for d in input_shape)
        self._loss = _LOSSES[loss] if isinstance(loss, str) else loss
        params, aux, self.output_shape = self.net.build("", self.input_shape)
        self.add_params(params)
        for name, value in aux.items():
            self.add_aux_param(name, value)

    def forward(self, X, mode):
        if tuple(X.shape[1:]) != self.input_shape:
            X = np.reshape(X, (X.shape[0],) + self.input_shape)
        out, updates = self.net.forward(X, self.params, self.aux_params, mode)
        self.aux_params.update(updates)
        return out

    def loss(self, predict, y):
        return self._loss(predict, y)
