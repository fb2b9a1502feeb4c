"""Models: named parameters with shapes and initializers, auxiliary states, a forward
pass and a loss -- the original MinPy's ``ModelBase`` -- and their checkpoints."""

from __future__ import annotations

import minpy.numpy as np

from . import checkpoint as _ckpt
from .checkpoint import CheckpointError

__all__ = ["ModelBase", "ParamsNameNotFoundError", "UnknownAccessModeError",
           "CheckpointError"]


class ParamsNameNotFoundError(ValueError):
    """A parameter name the model does not have."""


class UnknownAccessModeError(ValueError):
    """A mode other than 'train' or 'test'."""


class ModelBase:
    """Base class of a trainable model.

    Subclasses declare parameters in ``__init__`` with :meth:`add_param` (a shape and,
    optionally, ``init_rule``/``init_config`` overriding the Solver's), auxiliary states
    (not trained by gradients, e.g. batch-norm running statistics) with
    :meth:`add_aux_param`, and implement :meth:`forward` and :meth:`loss`.
    ``forward`` reads ``self.params[name]``; while a :class:`~minpy.nn.solver.Solver`
    differentiates, ``self.params`` holds the traced values.

    Attributes
    ----------
    params : dict
        name -> Array, filled by :meth:`init_params` (or ``Solver.init()``).
    param_configs : dict
        name -> ``{'shape': shape, 'init_rule': ..., 'init_config': ...}``.
    aux_params, aux_param_configs : dict
        Auxiliary states and their initial values.
    """

    def __init__(self):
        self.params = {}
        self.param_configs = {}
        self.aux_params = {}
        self.aux_param_configs = {}

    # -- declaration -----------------------------------------------------------------
    def add_param(self, name, shape, **kwargs):
        """Declare parameter ``name`` of ``shape``; keyword arguments (``init_rule``,
        ``init_config``) go into its config. Returns the model (chainable)."""
        if name in self.param_configs:
            raise ValueError(f"duplicate parameter name {name!r}")
        self.param_configs[name] = {"shape": tuple(int(d) for d in shape), **kwargs}
        return self

    def add_params(self, param_dict):
        """Declare several parameters: ``{name: config dict or shape}`` (the configs of
        ``Function.get_params()`` work as they are). Returns the model."""
        for name, cfg in param_dict.items():
            if isinstance(cfg, dict):
                cfg = dict(cfg)
                self.add_param(name, cfg.pop("shape"), **cfg)
            else:
                self.add_param(name, cfg)
        return self

    def add_aux_param(self, name, value):
        """Declare auxiliary state ``name`` with initial ``value``. Returns the model."""
        if name in self.aux_param_configs:
            raise ValueError(f"duplicate auxiliary parameter name {name!r}")
        self.aux_param_configs[name] = value
        return self

    def init_params(self, init_rule="xavier", init_config=None):
        """Initialise every declared parameter (its own ``init_rule`` first, else
        ``init_rule``) and every auxiliary state. Returns ``self.params``."""
        from . import init
        for name, cfg in self.param_configs.items():
            rule = init.get(cfg.get("init_rule", init_rule))
            conf = dict(cfg.get("init_config", init_config or {}))
            value = rule(cfg["shape"], conf)
            if tuple(value.shape) != tuple(cfg["shape"]):
                raise ValueError(f"initializer for {name!r} returned shape "
                                 f"{tuple(value.shape)}, expected {cfg['shape']}")
            self.params[name] = value
        for name, value in self.aux_param_configs.items():
            # None: the layer's own default (batchnorm: zeros and ones), as originally.
            self.aux_params[name] = None if value is None else np.array(value)
        return self.params

    # -- computation -----------------------------------------------------------------
    def forward(self, X, mode):
        """The model's output for input batch ``X``; ``mode`` is 'train' or 'test'."""
        raise NotImplementedError("a model implements forward(X, mode)")

    def loss(self, predict, y):
        """The scalar loss of output ``predict`` against labels ``y``."""
        raise NotImplementedError("a model implements loss(predict, y)")

    def forward_batch(self, batch, mode):
        """``forward`` on a batch (default: its first input)."""
        return self.forward(batch.data[0], mode)

    def loss_batch(self, batch, forward_outputs):
        """``loss`` on a batch (default: its first label)."""
        return self.loss(forward_outputs, batch.label[0])

    # -- checkpoints -----------------------------------------------------------------
    def save(self, path):
        """Write parameters and auxiliary states to ``path`` (``.npz``, see
        :mod:`minpy.nn.checkpoint`). Returns the path written."""
        return _ckpt.save(path, {"param": self.params, "aux": self.aux_params})

    def load(self, path, strict=True):
        """Load parameters and auxiliary states saved by :meth:`save` or a Solver
        checkpoint. With ``strict`` (default) every declared parameter must be in the
        file with its declared shape and the file must hold no others; a mismatch raises
        :class:`CheckpointError` naming them, and nothing is loaded."""
        data = _ckpt.load(path)
        self.set_state(data["groups"].get("param", {}), data["groups"].get("aux", {}),
                       strict=strict, where=data["path"])
        return self

    def check_state(self, params, aux=None, strict=True, where="checkpoint"):
        """Raise :class:`CheckpointError` if ``params``/``aux`` (name -> array) do not
        fit the declared parameters and states."""
        problems = []
        for group, got, declared in (
                ("parameter", params, {n: c["shape"] for n, c in self.param_configs.items()}),
                ("auxiliary state", aux or {},
                 {n: tuple(getattr(v, "shape", ())) for n, v in
                  (self.aux_param_configs or self.aux_params).items()})):
            if not declared and group == "parameter":
                declared = {n: tuple(v.shape) for n, v in self.params.items()}
            missing = sorted(set(declared) - set(got))
            extra = sorted(set(got) - set(declared))
            if missing and (strict or group == "parameter"):
                problems.append(f"missing {group}s {missing}")
            if extra and strict:
                problems.append(f"unexpected {group}s {extra}")
            for n in sorted(set(declared) & set(got)):
                if tuple(got[n].shape) != tuple(declared[n]):
                    problems.append(f"{group} {n!r} has shape {tuple(got[n].shape)} in "
                                    f"{where}, the model declares {tuple(declared[n])}")
        if problems:
            raise CheckpointError(f"{where} does not fit {type(self).__name__}: " +
                                  "; ".join(problems))

    def set_state(self, params, aux=None, strict=True, where="checkpoint"):
        """Replace parameters and auxiliary states (checked by :meth:`check_state`)."""
        self.check_state(params, aux, strict, where)
        self.params.update({n: np.array(v) for n, v in params.items()})
        self.aux_params.update({n: np.array(v) for n, v in (aux or {}).items()})
