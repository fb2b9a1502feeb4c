"""The original MinPy's ``model_builder``, both of its APIs.

Specs with shape inference (the API of its tutorials)::

    >>> import minpy.nn.model_builder as builder
    >>> net = builder.Sequential(builder.Affine(512), builder.ReLU(), builder.Affine(10))
    >>> model = builder.Model(net, 'softmax', (64,))  # a ModelBase: train it with Solver

    Each spec infers its parameter shapes from its input shape (without the batch
    axis), so only the model's input shape is given. Parameters are named
    ``<layer><index>_<param>`` (``affine0_weight``, ``batchnorm2_gamma``, ...). A flat
    input shape in front of a ``Convolution`` (``Model(net, 'softmax', (3 * 32 * 32,))``
    for images of shape (3, 32, 32)) is resolved from the data: the Solver gives the
    model its data's example shape (:meth:`Model.bind_example_shape`).

Modules (the API of its later examples, with :mod:`minpy.nn.modules`)::

    from minpy.nn.model_builder import *
    from minpy.nn.modules import *

    class Net(Model):
        def __init__(self):
            super().__init__(loss='softmax_loss')
            self._body = Sequential(FullyConnected(num_hidden=64), ReLU(),
                                    FullyConnected(num_hidden=10))

        def forward(self, data, mode='training'):
            return self._body(data)

    model = Net()
    updater = Updater(model, update_rule='sgd', learning_rate=0.1)
    loss = model(data, labels=labels)
    updater(model.backward())

``Sequential`` and ``Model`` serve both: a ``Sequential`` of specs is a spec, one of
modules a module; ``Model(net, loss, input_shape)`` builds from a spec, a ``Model``
subclass constructed with ``loss=`` only is a modular model (:mod:`minpy.nn._modular`).
"""

from __future__ import annotations

import numpy as _onp

import minpy.numpy as np

from . import layers
from ._modular import (
    Add,
    Binary,
    Container,
    Layer,
    ModularModel,
    Module,
    ModuleError,
    Mul,
    Parallel,
    Sub,
    Updater,
)
from .model import ModelBase

__all__ = ["Spec", "Sequential", "Affine", "ReLU", "Sigmoid", "Tanh", "Dropout",
           "BatchNorm", "Convolution", "Pooling", "Reshape", "Flatten", "Model",
           "ExampleShapeError", "Module", "Container", "Parallel", "Binary", "Add", "Sub",
           "Mul", "Layer", "Updater", "ModuleError"]


class ExampleShapeError(ValueError):
    """A spec needs another example shape than it was given (a convolution given a flat
    input shape)."""


class Spec:
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


class Sequential(Spec, Container):
    """Layers applied one after another: specs (``Affine``, ``Convolution``, ... of this
    module), then it is a spec, or modules (:mod:`minpy.nn.modules`), then it is a
    module whose call passes each module's result(s) to the next."""

    # ``name`` is the module's own (``sequential<n>``); as a spec inside another
    # Sequential its parameters are prefixed ``sequential<index>_``.
    _module_name = "sequential"
    name = Module.name

    def __init__(self, *layer_specs, **kwargs):
        specs = [m for m in layer_specs if isinstance(m, Spec) and not isinstance(m, Module)]
        modules = [m for m in layer_specs if isinstance(m, Module)]
        bad = [m for m in layer_specs if not isinstance(m, (Spec, Module))]
        if bad or (specs and modules):
            raise TypeError("Sequential takes layer specs of minpy.nn.model_builder or "
                            "modules of minpy.nn.modules, not a mix or other values; got "
                            f"{list(layer_specs)!r}")
        Container.__init__(self, kwargs.pop("name", None))
        if kwargs:
            raise TypeError(f"Sequential got unexpected keyword(s) {sorted(kwargs)}")
        self.layers = list(layer_specs)
        self._prefixes = []

    # -- the module side ---------------------------------------------------------------
    def children(self):
        return tuple(m for m in self.layers if isinstance(m, Module))

    def append(self, module):
        self.layers.append(module)

    def insert(self, index, module):
        self.layers.insert(index, module)

    def pop(self, index=-1):
        return self.layers.pop(index)

    def reverse(self):
        self.layers.reverse()

    def __iter__(self):
        return iter(self.layers)

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        return f"Sequential({', '.join(map(repr, self.layers))})"

    def _affiliate_to(self, model):
        self._model = model
        self._bound = len(self.layers)
        Container._affiliate_to(self, model)

    def __call__(self, *args, **kwargs):
        model = getattr(self, "_model", None)
        if model is not None and self._bound != len(self.layers):
            self._affiliate_to(model)   # modules appended after it joined the model
        result = args
        for module in self.layers:
            result = module(*result)
            if not isinstance(result, tuple):
                result = (result,)
        return result[0] if len(result) == 1 else result

    def forward(self, *args):
        if len(args) == 4 and all(isinstance(m, Spec) for m in self.layers) and \
                isinstance(args[1], dict):
            return self._spec_forward(*args)
        return self(*args)

    # -- the spec side -----------------------------------------------------------------
    def build(self, prefix, input_shape):
        params, aux, shape = {}, {}, tuple(input_shape)
        self._prefixes = []
        for i, spec in enumerate(self.layers):
            kind = "sequential" if isinstance(spec, Sequential) else spec.name
            p = f"{prefix}{kind}{i}_"
            self._prefixes.append(p)
            lp, la, shape = spec.build(p, shape)
            params.update(lp)
            aux.update(la)
        return params, aux, shape

    def _spec_forward(self, x, params, aux, mode):
        updates = {}
        for spec in self.layers:
            x, up = spec.forward(x, params, aux, mode)
            updates.update(up)
        return x, updates


class Affine(Spec):
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


class _Activation(Spec):
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


class Dropout(Spec):
    """Inverted dropout with drop probability ``p`` in training mode."""

    name = "dropout"

    def __init__(self, p):
        self.p = float(p)

    def forward(self, x, params, aux, mode):
        return layers.dropout(x, self.p, mode), {}


class BatchNorm(Spec):
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


class Convolution(Spec):
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
            raise ExampleShapeError(f"Convolution takes (C, H, W) inputs, got {input_shape}")
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


class Pooling(Spec):
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


class Reshape(Spec):
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


class Model(ModularModel):
    """A model, in either API.

    ``Model(net, loss='softmax', input_shape)``: a :class:`~minpy.nn.model.ModelBase`
    for ``Solver`` from a layer spec, a loss (``'softmax'``, ``'svm'``, ``'l2'`` or a
    function ``(output, labels)``) and the input shape of one example. Batches whose
    examples have another shape but the same size are reshaped to it (flat 64-vectors
    feed a ``(1, 8, 8)`` convolution). A flat ``input_shape`` that a convolution cannot
    take waits for :meth:`bind_example_shape` (``Solver`` calls it with its data's
    example shape).

    A subclass constructed as ``super().__init__(loss=...)`` (or without arguments) is
    a modular model (:class:`minpy.nn._modular.ModularModel`): it implements
    ``forward(data, mode='training')`` with modules it holds as attributes.
    """

    # The spec API declares parameters; the modular API's come from its modules.
    add_param = ModelBase.add_param
    add_params = ModelBase.add_params
    add_aux_param = ModelBase.add_aux_param

    def __init__(self, net=None, loss=None, input_shape=None):
        super().__init__()
        if net is None:
            if loss is not None:
                self.loss = loss
            self.net = None
            return
        if input_shape is None:
            raise ValueError("Model needs the input shape of one example, e.g. (784,)")
        self.net = net if isinstance(net, Spec) else Sequential(*net)
        self.input_shape = tuple(int(d) for d in input_shape)
        loss = "softmax" if loss is None else loss
        self._loss = _LOSSES[loss] if isinstance(loss, str) else loss
        self.needs_example_shape = False
        try:
            self._build(self.input_shape)
        except ExampleShapeError:
            if len(self.input_shape) != 1:
                raise
            self.needs_example_shape = True

    def _build(self, shape):
        params, aux, self.output_shape = self.net.build("", shape)
        self.add_params(params)
        for name, value in aux.items():
            self.add_aux_param(name, value)

    def bind_example_shape(self, shape):
        """Build the network for examples of ``shape`` (the data's, e.g. (3, 32, 32))
        when the flat ``input_shape`` given (3072,) could not feed it; the sizes must
        agree. Does nothing when the network is built already."""
        if not getattr(self, "needs_example_shape", False):
            return
        shape = tuple(int(d) for d in shape)
        if int(_onp.prod(shape)) != int(_onp.prod(self.input_shape)):
            raise ValueError(f"examples of shape {shape} do not have the "
                             f"{self.input_shape[0]} values of input_shape "
                             f"{self.input_shape}")
        self._build(shape)
        self.input_shape = shape
        self.needs_example_shape = False

    def _default_loss(self):
        if self.net is not None or "loss" in self.__dict__:
            return self.loss
        if type(self).loss is Model.loss:   # a modular Model without a loss
            return None
        return self.loss

    def forward(self, X, mode):
        if self.net is None:
            raise NotImplementedError("a modular Model implements forward(data, "
                                      "mode='training')")
        if self.needs_example_shape:
            raise ValueError(
                f"this Model was built for the flat input shape {self.input_shape} that "
                f"its convolution cannot take; call model.bind_example_shape({X.shape[1:]}) "
                "and initialise its parameters (Solver does both)")
        if tuple(X.shape[1:]) != self.input_shape:
            X = np.reshape(X, (X.shape[0],) + self.input_shape)
        out, updates = self.net.forward(X, self.params, self.aux_params, mode)
        self.aux_params.update(updates)
        return out

    def loss(self, predict, y):
        return self._loss(predict, y)
