"""The original MinPy's later model-building API (its ``model_builder`` of 2017 and
``minpy.nn.modules``): modules that own named parameters, created lazily from the
shapes of their first inputs, a ``Model`` that records a forward pass and gives the
gradients of every parameter, and an ``Updater`` that applies per-parameter update
rules. Exposed through :mod:`minpy.nn.model_builder` (an example is there); the layers
are in :mod:`minpy.nn.modules`.
"""

from __future__ import annotations

import copy
import operator

import numpy as _onp

from . import init as _init
from . import optim as _optim
from .model import ModelBase

__all__ = ["Module", "Container", "Parallel", "Binary", "Add", "Sub", "Mul", "Layer",
           "ModularModel", "Updater", "ModuleError"]


class ModuleError(RuntimeError):
    """A module used in a way the API does not allow (e.g. a layer with parameters
    called before it belongs to a Model)."""


_module_counter: dict = {}


def _module_prefix(module_name):
    index = _module_counter.setdefault(module_name, 0)
    _module_counter[module_name] += 1
    return f"{module_name}{index}"


def _is_array(x):
    return hasattr(x, "shape") and hasattr(x, "dtype")


class Module:
    """Base class of modules: a name (``<kind><n>`` unless given), a mode
    (``training()``/``inference()``) and the arithmetic ``a + b``, ``a - b``, ``a * b``
    that makes a module applying both to the same input."""

    _module_name = None

    def __init__(self, name=None):
        kind = self._module_name or type(self).__name__.lower()
        self._name = _module_prefix(kind) if name is None else name
        self._mode = "training"

    @property
    def name(self):
        return self._name

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} implements forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def __repr__(self):
        return self._name

    def __add__(self, other):
        return Add(self, other)

    def __sub__(self, other):
        return Sub(self, other)

    def __mul__(self, other):
        return Mul(self, other)

    def children(self):
        """The modules this module contains."""
        return ()

    def training(self):
        self._mode = "training"
        for m in self.children():
            m.training()

    def inference(self):
        self._mode = "inference"
        for m in self.children():
            m.inference()

    def _affiliate_to(self, model):
        """Bind this module (and the modules it contains) to ``model``: its parameters
        live in ``model.params``, its update configs in ``model._update_configs``."""
        for m in self.children():
            m._affiliate_to(model)

    def param_shapes(self, *args, **kwargs):
        return {}

    def aux_param_shapes(self, *args, **kwargs):
        return {}


class Container(Module):
    """A module made of modules."""


class Parallel(Container):
    """Modules applied to the same input."""


class Binary(Parallel):
    """``operator(left(X), right(X))``."""

    def __init__(self, left, right, op, name=None):
        super().__init__(name)
        self._left, self._right, self._operator = left, right, op

    def children(self):
        return (self._left, self._right)

    def __repr__(self):
        return f"({self._left!r} {self._module_name} {self._right!r})"

    def forward(self, *args):
        return self._operator(self._left(*args), self._right(*args))


class Add(Binary):
    _module_name = "add"

    def __init__(self, left, right, name=None):
        super().__init__(left, right, operator.add, name)


class Sub(Binary):
    _module_name = "sub"

    def __init__(self, left, right, name=None):
        super().__init__(left, right, operator.sub, name)


class Mul(Binary):
    _module_name = "mul"

    def __init__(self, left, right, name=None):
        super().__init__(left, right, operator.mul, name)


def _register_configs(configs, to_register):
    """Apply ``to_register`` to ``configs`` ({param name: config}): a key naming a
    parameter updates that parameter's config, any other key sets that attribute for
    every parameter (parameter-specific values win)."""
    specific = {}
    for key, value in to_register.items():
        if key in configs:
            specific[key] = value
        else:
            for config in configs.values():
                config[key] = value
    for key, value in specific.items():
        configs[key].update(value)


def _default_init_config(param_name):
    """The original's defaults: Xavier for weights, zeros for biases, betas and moving
    means, ones for gammas and moving variances."""
    if "weight" in param_name:
        return {"init_rule": "xavier"}
    if "gamma" in param_name or "moving_var" in param_name:
        return {"init_rule": "constant", "value": 1.0}
    return {"init_rule": "constant", "value": 0.0}


class Layer(Module):
    """A module with parameters (``params``, trained) and auxiliary parameters
    (``aux_params``, e.g. moving statistics), created by :meth:`param_shapes` and
    :meth:`aux_param_shapes` from the shapes of the first call's arguments.

    A parameter's local name ``p`` becomes the global name ``<layer name>_p`` in the
    model; ``layer.p`` holds that global name (``layer._p`` for an auxiliary one).
    ``init_configs``/``update_configs`` are dicts whose keys are local parameter names
    (configs for that parameter), tuples of them, or attribute names (for all).
    """

    def __init__(self, params=None, aux_params=None, name=None):
        super().__init__(name)
        self._module_param_names = tuple(params or ())
        self._param_names = tuple(f"{self._name}_{p}" for p in self._module_param_names)
        for p, g in zip(self._module_param_names, self._param_names):
            setattr(self, p, g)
        self._module_aux_param_names = tuple(aux_params or ())
        self._aux_param_names = tuple(f"{self._name}_{p}"
                                      for p in self._module_aux_param_names)
        for p, g in zip(self._module_aux_param_names, self._aux_param_names):
            setattr(self, f"_{p}", g)
        self._model = None
        self._initialized = False
        self._init_configs = {g: _default_init_config(g)
                              for g in self._param_names + self._aux_param_names}
        self._update_configs = {g: {"update_rule": "unspecified"}
                                for g in self._param_names}

    def __call__(self, *args, **kwargs):
        if not self._initialized:
            if self._param_names or self._aux_param_names:
                if self._model is None:
                    raise ModuleError(
                        f"{self._name}: a layer with parameters must belong to a Model "
                        "before it is called (make it, or a container holding it, an "
                        "attribute of a minpy.nn.model_builder.Model)")
                shapes = tuple(a.shape for a in args if _is_array(a))
                kwshapes = {k: v.shape for k, v in kwargs.items() if _is_array(v)}
                self._init_params(self.param_shapes(*shapes, **kwshapes))
                self._init_aux_params(self.aux_param_shapes(*shapes, **kwshapes))
            self._initialized = True
        return self.forward(*args, **kwargs)

    def _affiliate_to(self, model):
        model._update_configs.update(self._update_configs)
        self._model = model

    def _make(self, name, shape):
        config = dict(self._init_configs[name])
        rule = _init.get(config.pop("init_rule", "xavier"))
        return rule(tuple(int(d) for d in shape), config)

    def _init_params(self, param_shapes):
        for name, shape in param_shapes.items():
            if name not in self._model.params:   # loaded parameters are kept
                self._model.params[name] = self._make(name, shape)

    def _init_aux_params(self, aux_param_shapes):
        for name, shape in aux_param_shapes.items():
            if name not in self._model.aux_params:
                self._model.aux_params[name] = self._make(name, shape)

    def _get_param(self, name):
        return self._model.params[name]

    def _get_params(self, *names):
        return tuple(self._model.params[n] for n in names)

    def _get_aux_param(self, name):
        return self._model.aux_params[name]

    def _get_aux_params(self, *names):
        return tuple(self._model.aux_params[n] for n in names)

    def _set_aux_param(self, name, value):
        self._model.aux_params[name] = value

    def _parse_param_configs(self, configs):
        if configs is None:
            return {}
        out = {}
        for key, value in configs.items():
            if isinstance(key, tuple):       # configs for a group of parameters
                for k in key:
                    out[k] = value
            else:
                out[key] = value
        local = dict(zip(self._module_param_names + self._module_aux_param_names,
                         self._param_names + self._aux_param_names))
        return {local.get(k, k): v for k, v in out.items()}

    def _register_init_configs(self, init_configs):
        _register_configs(self._init_configs, self._parse_param_configs(init_configs))

    def _register_update_configs(self, update_configs):
        _register_configs(self._update_configs, self._parse_param_configs(update_configs))
        if self._model is not None:
            self._model._update_configs.update(self._update_configs)

    @property
    def param_dict(self):
        return dict(zip(self._param_names, self._get_params(*self._param_names)))

    @property
    def aux_param_dict(self):
        return dict(zip(self._aux_param_names, self._get_aux_params(*self._aux_param_names)))


class ModularModel(ModelBase):
    """The model of the modular API: subclass it, assign modules as attributes (alone,
    or in tuples, lists and dicts) and implement ``forward(*data, mode='training')``.

    ``model(data, labels=labels)`` runs ``forward`` and the loss (``loss``: a name in
    :mod:`minpy.nn.layers` such as ``'softmax_loss'``, or a callable), recording them;
    :meth:`backward` then gives ``{parameter name: gradient}`` for every parameter (a
    non-scalar loss is seeded with ones, as the original's tape did).
    """

    def __init__(self, loss=None):
        object.__setattr__(self, "_modules", [])
        object.__setattr__(self, "_module_names", set())
        super().__init__()
        self._update_configs = {}
        if loss is not None:
            self.loss = loss
        self._vjp = None
        self._results = None
        self._detached = set()
        self._attached = {}

    # -- registration ----------------------------------------------------------------
    def __setattr__(self, attr, value):
        if isinstance(value, ModularModel):
            pass  # a sub-model keeps its own parameters
        elif isinstance(value, Module):
            self._register_module(value)
        elif isinstance(value, (list, tuple, set, frozenset, dict)):
            self._register_iterable(value)
        object.__setattr__(self, attr, value)

    def _register_module(self, module):
        if any(m is module for m in self._modules):
            return
        if module.name in self._module_names:
            raise ModuleError(f"two modules of this model are named {module.name!r}")
        self._modules.append(module)
        self._module_names.add(module.name)
        module._affiliate_to(self)

    def _register_iterable(self, iterable):
        items = iterable.values() if isinstance(iterable, dict) else iterable
        for element in items:
            if isinstance(element, Module):
                self._register_module(element)
            elif isinstance(element, (list, tuple, set, frozenset, dict)):
                self._register_iterable(element)

    def add_param(self, *args, **kwargs):
        raise NotImplementedError("a modular Model's parameters come from its modules")

    add_params = add_aux_param = add_param

    # -- modes -----------------------------------------------------------------------
    def training(self):
        for m in self._modules:
            m.training()

    def inference(self):
        for m in self._modules:
            m.inference()

    # -- forward, loss, gradients ----------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError("a Model implements forward(data, mode='training')")

    def _default_loss(self):
        """The loss given to the constructor, else a ``loss`` method the subclass
        defines, else None (the call returns the predictions)."""
        if "loss" in self.__dict__:
            return self.__dict__["loss"]
        if type(self).loss is ModelBase.loss:
            return None
        return self.loss

    def _loss_function(self, loss):
        if loss is None:
            loss = self._default_loss()
        if isinstance(loss, str):
            from . import layers
            try:
                loss = getattr(layers, loss)
            except AttributeError:
                raise ValueError(f"unknown loss {loss!r}: not a function of "
                                 "minpy.nn.layers") from None
        return loss

    def __call__(self, forward_args=None, forward_kwargs=None, labels=None,
                 loss_kwargs=None, forward=None, loss=None, attach_all=True,
                 reduce_array=False):
        """Run ``forward(*forward_args, mode='training', **forward_kwargs)`` and, with a
        loss, ``loss(*predictions, *labels, **loss_kwargs)``, recording both for
        :meth:`backward`. Returns the loss (the predictions without a loss); with
        ``reduce_array`` a one-element result comes back as a number.
        ``attach_all=False`` differentiates only the arrays given to :meth:`attach`."""
        import minpy.numpy as np
        from minpy.autograd import make_vjp

        if forward_args is None:
            forward_args = ()
        elif not isinstance(forward_args, tuple):
            forward_args = (forward_args,)
        forward_args = tuple(np.asarray(a) if isinstance(a, _onp.ndarray) else a
                             for a in forward_args)
        forward_kwargs = dict(forward_kwargs or {}, mode="training")
        forward = self.forward if forward is None else forward
        loss_fn = self._loss_function(loss)
        if labels is not None and not isinstance(labels, tuple):
            labels = (labels,)

        def run(params):
            saved = self.params
            self.params = dict(saved, **params)
            try:
                predictions = forward(*forward_args, **forward_kwargs)
                if loss_fn is None:
                    return predictions
                preds = predictions if isinstance(predictions, tuple) else (predictions,)
                return loss_fn(*preds, *(labels or ()), **(loss_kwargs or {}))
            finally:
                merged = dict(saved)
                # Parameters a layer created during this pass (its first call) join.
                merged.update({k: v for k, v in self.params.items() if k not in saved})
                self.params = merged

        # A layer's parameters appear at its first call: when this pass created some,
        # run it again so that they are differentiated too.
        for _ in range(4):
            before = set(self.params)
            names = self._differentiated(attach_all)
            vjp, results = make_vjp(run)({n: self._lookup(n) for n in names})
            if set(self.params) == before:
                break
        self._vjp, self._results = vjp, results
        if reduce_array:
            return self._reduce(results)
        return results

    def _differentiated(self, attach_all):
        names = list(self.params) if attach_all else []
        names += [n for n in self._attached if n not in names]
        return [n for n in names if n not in self._detached]

    def _lookup(self, name):
        return self._attached[name] if name in self._attached else self.params[name]

    @staticmethod
    def _reduce(results):
        def one(a):
            return float(a) if _is_array(a) and int(_onp.prod(a.shape)) == 1 else a
        if isinstance(results, tuple):
            return tuple(one(r) for r in results)
        return one(results)

    def backward(self, upstream=None):
        """``{parameter name: gradient}`` of the last call's loss (``upstream``: the
        gradient to start from, default ones of the loss's shape; a tuple for a tuple
        of losses)."""
        if self._vjp is None:
            raise ModuleError("backward() needs a call model(data, labels=...) first")
        if upstream is None:
            from minpy.autograd.original import _ones_seed
            upstream = _ones_seed(self._results, "backward")
        return self._vjp(upstream)

    def grad_and_loss(self, data, labels):
        """``(gradients, loss)``: ``model(data, labels=labels)`` and
        :meth:`backward` in one call."""
        loss = self(data, labels=labels)
        return self.backward(), loss

    def attach(self, name, array):
        """Differentiate ``array`` under ``name`` too (with ``attach_all=False``: only
        the attached arrays are differentiated)."""
        self._attached[name] = array
        self._detached.discard(name)
        return self

    def detach(self, name):
        """Stop differentiating parameter ``name``."""
        self._attached.pop(name, None)
        self._detached.add(name)
        return self


class _ConfigParser:
    """Attribute-style access to per-parameter configs: ``parser.attr`` reads an
    attribute that all parameters share, ``parser.attr = v`` sets it for all,
    ``parser[name].attr`` reads/sets one parameter's."""

    class _ParamRef:
        def __init__(self, config):
            object.__setattr__(self, "_config", config)

        def __getattr__(self, attr):
            try:
                return self._config[attr]
            except KeyError:
                raise AttributeError(attr) from None

        def __setattr__(self, attr, value):
            self._config[attr] = value

    def __init__(self, configs):
        object.__setattr__(self, "_configs", configs)

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        values = [c[attr] for c in self._configs.values() if attr in c]
        distinct = []
        for v in values:
            if not any(v is d or (type(v) is type(d) and v == d) for d in distinct):
                distinct.append(v)
        if len(distinct) != 1 or len(values) != len(self._configs):
            raise AttributeError(f"{attr!r} is not one value shared by every parameter "
                                 f"({len(distinct)} distinct values)")
        return distinct[0]

    def __setattr__(self, attr, value):
        for config in self._configs.values():
            config[attr] = value

    def __getitem__(self, name):
        return _ConfigParser._ParamRef(self._configs[name])

    def __setitem__(self, name, configs):
        if not isinstance(configs, dict):
            raise TypeError("a parameter's configs are a dict")
        self._configs[name] = copy.deepcopy(configs)

    def keys(self):
        return self._configs.keys()

    def values(self):
        return self._configs.values()

    def items(self):
        return self._configs.items()


class Updater(_ConfigParser):
    """Applies update rules (:mod:`minpy.nn.optim`) to a modular model's parameters:
    ``Updater(model, update_rule='sgd', learning_rate=0.1)`` sets those attributes for
    every parameter (``updater['name'].learning_rate = ...`` for one), and
    ``updater(grad_dict)`` updates the parameters named in ``grad_dict``."""

    def __init__(self, model, **kwargs):
        super().__init__(copy.deepcopy(model._update_configs))
        object.__setattr__(self, "_model", model)
        for attr, value in kwargs.items():
            setattr(self, attr, value)

    def _config(self, name):
        configs = self._configs
        if name not in configs:
            # A parameter of a layer registered after this Updater was made: the
            # attributes every known parameter shares.
            shared = {}
            if configs:
                first = next(iter(configs.values()))
                shared = {k: v for k, v in first.items() if all(
                    k in c and c[k] is v for c in configs.values())}
            configs[name] = dict(self._model._update_configs.get(name, {}), **shared)
        return configs[name]

    def __call__(self, grad_dict):
        for name, grad in grad_dict.items():
            config = self._config(name)
            rule = config.get("update_rule", "unspecified")
            if rule == "unspecified":
                raise ModuleError(f"no update_rule for parameter {name!r}: give one, e.g. "
                                  "Updater(model, update_rule='sgd', learning_rate=0.1)")
            update = _optim.get(rule)
            hyper = {k: v for k, v in config.items() if k != "update_rule"}
            self._model.params[name], new = update(self._model.params[name], grad, hyper)
            config.update(new)
