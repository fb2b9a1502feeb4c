"""``Solver``: trains a :class:`~minpy.nn.model.ModelBase` from data iterators.

The original MinPy's Solver (CS231n style), kept word for word in its arguments and
attributes, plus checkpoints with exact resume, learning-rate schedules, early stopping,
a progress bar and ``plot_history()``.

One training step is three overridable methods, so that a distributed trainer can plug
in between them::

    grads, loss = solver.compute_gradients(batch)   # autograd on model.loss_batch
    grads = solver.aggregate_gradients(grads)        # identity here; e.g. a KVStore push/pull
    solver.update(grads)                             # the update rule, per parameter

Optimizer state lives in ``solver.optim_configs`` (``{param: {key: Array or number}}``),
a plain pytree.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as _onp

import minpy.numpy as np

from . import checkpoint as _ckpt
from . import init as _init
from . import optim as _optim
from .io import DataIter, NDArrayIter, as_batches

__all__ = ["Solver"]

_OPTIONS = {
    "init_rule": "xavier", "init_config": None, "update_rule": "sgd", "optim_config": None,
    "lr_decay": 1.0, "lr_schedule": None, "num_epochs": 10, "train_acc_num_samples": 1000,
    "print_every": 10, "verbose": True, "progress": True, "checkpoint_dir": None,
    "checkpoint_every": 0, "resume_from": None, "early_stopping": None,
    "restore_best": True, "task_type": "classification", "jit": False, "visualize": False,
    "summaries_dir": None,
}


def _copy(v):
    return np.array(v) if hasattr(v, "shape") else v


class Solver:
    """Trains ``model`` on ``train_dataiter``, evaluating on ``test_dataiter``.

    Parameters
    ----------
    model : ModelBase
    train_dataiter, test_dataiter
        :class:`~minpy.nn.io.NDArrayIter`, any :class:`~minpy.nn.io.DataIter`, any
        iterable of batches (``(data, label)`` pairs, DataBatch, dicts) that can be
        iterated once per epoch, or a zero-argument callable returning such an
        iterable. ``test_dataiter`` may be None.
    init_rule : str or callable
        Initializer for parameters without their own ``init_rule`` (``'xavier'``).
    init_config : dict
    update_rule : str or callable
        ``'sgd'``, ``'sgd_momentum'``, ``'nesterov'``, ``'rmsprop'``, ``'adagrad'``,
        ``'adam'`` or a function ``(w, dw, config) -> (w, config)``.
    optim_config : dict
        Hyperparameters for the rule (``learning_rate``, ``momentum``,
        ``weight_decay``, ...), copied per parameter.
    lr_decay : float
        Multiply every learning rate by this after each epoch.
    lr_schedule : callable, optional
        ``epoch -> factor``: the learning rate of epoch ``e`` (0-based) is the initial
        one times ``lr_schedule(e)`` (see :mod:`minpy.nn.optim`); replaces lr_decay.
    num_epochs : int
    train_acc_num_samples : int or None
        Training accuracy is measured on this many examples after each epoch (the
        first ones of the training set; None: all).
    print_every : int
        Print the loss every so many iterations when ``verbose``.
    verbose : bool
    progress : bool
        A tqdm progress bar per epoch when tqdm is installed and the output is a
        terminal (``pip install minpy-nn[progress]``).
    checkpoint_dir : str, optional
        Where :meth:`save_checkpoint` writes ``epoch_<n>.npz`` every
        ``checkpoint_every`` epochs (and ``latest.npz``).
    resume_from : str, optional
        A checkpoint to resume from (see :meth:`resume`).
    early_stopping : int, optional
        Stop after this many epochs without a better validation accuracy.
    restore_best : bool
        At the end, put the best parameters (by validation accuracy) into the model,
        as the original Solver did.
    task_type : {'classification', 'regression'}
        What :meth:`check_accuracy` measures: the fraction of correct argmax
        predictions, or, for regression, minus the mean squared error per example (so
        that higher is better in both).
    visualize : bool
        Write TensorBoard summaries (:mod:`minpy.visualization`), as the original's
        Solver did: the training loss and the squared L2 norm of the gradient at every
        iteration (``<summaries_dir>/train``), the training and validation accuracy
        (tag ``accuracy``) after every epoch (``train`` and ``test``).
    summaries_dir : str, optional
        Where (default: ``minpy_log`` in the temporary directory).
    jit : bool
        Compile the step with :mod:`minpy.jit` (needs minpy-jit): gradients and the
        update are each captured once per batch shape and replayed after, with the
        same results (see :mod:`minpy.nn._jit`).
    kvstore : {'local', 'device', 'dist_sync', 'dist_async'}, optional
        Train data-parallel on MXNet's KVStore: the solver is then a
        :class:`~minpy.nn.distributed.solver.DistributedSolver` (also takes
        ``server_optimizer`` and ``compression``); see "Training on several machines".

    Attributes
    ----------
    epoch, loss_history, train_acc_history, val_acc_history, best_val_acc, best_params,
    optim_configs : as in the original MinPy.
    """

    def __new__(cls, *args, kvstore=None, **kwargs):
        # Solver(..., kvstore='local'|'device'|'dist_sync'|'dist_async') trains
        # data-parallel: minpy.nn.distributed.solver.DistributedSolver (its own
        # options: kvstore, server_optimizer, compression).
        if cls is Solver and kvstore is not None:
            from .distributed.solver import DistributedSolver
            cls = DistributedSolver
        return super().__new__(cls)

    def __init__(self, model, train_dataiter, test_dataiter=None, **kwargs):
        if kwargs.get("kvstore", 0) is None:  # Solver(..., kvstore=None): one process
            del kwargs["kvstore"]
        unknown = sorted(set(kwargs) - set(_OPTIONS))
        if unknown:
            raise ValueError("Unrecognized arguments " + ", ".join(f'"{k}"' for k in unknown))
        opts = {k: kwargs.get(k, v) for k, v in _OPTIONS.items()}
        self.model = model
        self.train_dataiter = train_dataiter
        self.test_dataiter = test_dataiter
        self.init_rule = opts["init_rule"]
        self.init_config = dict(opts["init_config"] or {})
        self.update_rule = _optim.get(opts["update_rule"])
        self.optim_config = dict(opts["optim_config"] or {})
        self.lr_decay = float(opts["lr_decay"])
        self.lr_schedule = opts["lr_schedule"]
        self.num_epochs = int(opts["num_epochs"])
        self.train_acc_num_samples = opts["train_acc_num_samples"]
        self.print_every = max(1, int(opts["print_every"]))
        self.verbose = bool(opts["verbose"])
        self.progress = bool(opts["progress"])
        self.checkpoint_dir = opts["checkpoint_dir"]
        self.checkpoint_every = int(opts["checkpoint_every"] or 0)
        self.early_stopping = opts["early_stopping"]
        self.restore_best = bool(opts["restore_best"])
        if opts["task_type"] not in ("classification", "regression"):
            raise ValueError("task_type must be 'classification' or 'regression', not "
                             f"{opts['task_type']!r}")
        self.task_type = opts["task_type"]
        self.jit = bool(opts["jit"])
        self._jitted = None
        self.visualize = bool(opts["visualize"])
        if self.visualize:
            import tempfile

            from minpy.visualization import SummaryWriter
            self.summaries_dir = opts["summaries_dir"] or os.path.join(
                tempfile.gettempdir(), "minpy_log")
            self.train_writer = SummaryWriter(os.path.join(self.summaries_dir, "train"))
            self.test_writer = SummaryWriter(os.path.join(self.summaries_dir, "test"))
        if getattr(model, "needs_example_shape", False):
            # A model_builder Model given a flat input shape that its convolution
            # cannot take: the data's example shape decides.
            provide = getattr(train_dataiter, "provide_data", None)
            if provide:
                model.bind_example_shape(provide[0][1][1:])
        self._reset()
        if opts["resume_from"] is not None:
            self.resume(opts["resume_from"])

    # -- book-keeping ----------------------------------------------------------------
    def _reset(self):
        self.epoch = 0
        self.iteration = 0
        self.best_val_acc = 0.0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.stopped_early = False
        self._since_best = 0
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.param_configs}
        self.init_rules, self.init_configs = {}, {}
        for p, cfg in self.model.param_configs.items():
            self.init_rules[p] = _init.get(cfg.get("init_rule", self.init_rule))
            self.init_configs[p] = dict(cfg.get("init_config", self.init_config))

    def init(self):
        """Initialise the model's parameters (per-parameter rules first) and auxiliary
        states."""
        if not self.model.param_configs and self.model.params:
            return
        for name, cfg in self.model.param_configs.items():
            self.model.params[name] = self.init_rules[name](cfg["shape"],
                                                            dict(self.init_configs[name]))
        for name, value in self.model.aux_param_configs.items():
            # None: the layer's own default (batchnorm: zeros and ones), as originally.
            self.model.aux_params[name] = None if value is None else np.array(value)
        for p in self.model.params:
            self.optim_configs.setdefault(p, dict(self.optim_config))

    # -- one step --------------------------------------------------------------------
    def compute_gradients(self, batch):
        """``(grads, loss)``: gradients of the model's loss on ``batch`` with respect to
        every parameter (a dict like ``model.params``) and the loss."""
        from minpy.autograd import grad_and_loss
        model = self.model

        def loss_fn(params):
            saved = model.params
            model.params = params
            try:
                out = model.forward_batch(batch, "train")
                return model.loss_batch(batch, out)
            finally:
                model.params = saved

        return grad_and_loss(loss_fn)(dict(model.params))

    def aggregate_gradients(self, grads):
        """Hook between computing and applying gradients (identity). A data-parallel
        trainer overrides it to sum gradients across workers."""
        return grads

    def update(self, grads):
        """Apply the update rule to every parameter, keeping its optimizer state."""
        params = self.model.params
        for p, w in list(params.items()):
            dw = grads.get(p)
            if dw is None:
                continue
            next_w, next_config = self.update_rule(w, dw, self.optim_configs.setdefault(
                p, dict(self.optim_config)))
            params[p] = next_w
            self.optim_configs[p] = next_config

    def _step(self, batch):
        """One training step on ``batch``: gradients, aggregation, update."""
        if self.jit:
            if self._jitted is None:
                from ._jit import JittedStep
                self._jitted = JittedStep(self)
            grads, loss = self._jitted.compute_gradients(batch)
        else:
            grads, loss = self.compute_gradients(batch)
        grads = self.aggregate_gradients(grads)
        if self.jit and not getattr(getattr(self, "dist", None), "update_on_kvstore", False):
            self._jitted.update(grads)  # (a server-side update stays as it is)
        else:
            self.update(grads)
        self.loss_history.append(float(loss))
        self.iteration += 1
        if self.visualize:
            norm = sum(float(np.sum(g * g)) for g in grads.values())
            self.train_writer.add_scalar("squared L2-norm of the gradient", norm,
                                         self.iteration)
            self.train_writer.add_scalar("loss", self.loss_history[-1], self.iteration)
        return self.loss_history[-1]

    # -- evaluation ------------------------------------------------------------------
    def predict(self, X):
        """The model's output on ``X`` in test mode."""
        return self.model.forward(X, "test")

    def check_accuracy(self, dataiter, num_samples=None):
        """Classification accuracy of the model (test mode) on ``dataiter``: the
        fraction of examples whose argmax output equals the label (padding examples
        of a last batch are not counted); minus the mean squared error for
        ``task_type='regression'``. ``num_samples`` limits it to that many examples
        (the first ones)."""
        if num_samples is not None and isinstance(dataiter, NDArrayIter) and \
                dataiter.num_data > num_samples:
            dataiter = dataiter.getsubiter(num_samples)
        correct = total = 0
        for batch in as_batches(dataiter):
            out = _ckpt.to_host(self.model.forward_batch(batch, "test"))
            label = _ckpt.to_host(batch.label[0])
            n = len(out) - int(batch.pad or 0)
            if num_samples is not None:
                n = min(n, num_samples - total)
            if self.task_type == "regression":
                diff = out[:n].reshape(n, -1) - label[:n].reshape(n, -1)
                correct -= float(_onp.sum(diff ** 2))
            else:
                pred = _onp.argmax(out, axis=1)
                if label.ndim == 2:
                    label = _onp.argmax(label, axis=1)
                correct += int(_onp.sum(pred[:n] == label[:n]))
            total += n
            if num_samples is not None and total >= num_samples:
                break
        return self._accuracy(correct, total)

    def _accuracy(self, correct, total):
        """``correct / total`` (a data-parallel solver sums both over the workers)."""
        return correct / total if total else 0.0

    # -- training --------------------------------------------------------------------
    def _num_iterations(self):
        it = self.train_dataiter
        if isinstance(it, NDArrayIter):
            return it.getnumiterations()
        try:
            return len(it)
        except TypeError:
            return None

    def _bar(self, total, epoch):
        if not self.progress:
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None
        # disable=None: tqdm draws only on a terminal, so logs and CI stay quiet.
        return tqdm(total=total, disable=None, leave=False, file=sys.stderr,
                    desc=f"epoch {epoch}/{self.num_epochs}", unit="batch")

    def _set_learning_rates(self, epoch):
        if self.lr_schedule is None:
            return
        for p, cfg in self.optim_configs.items():
            base = cfg.setdefault("base_learning_rate",
                                  cfg.get("learning_rate",
                                          self.optim_config.get("learning_rate", 1e-2)))
            cfg["learning_rate"] = base * float(self.lr_schedule(epoch))

    def train(self):
        """Run the optimisation for the remaining epochs (all of them, or those after a
        resumed checkpoint). Returns the solver's history dict."""
        if not self.model.params:
            self.init()
        per_epoch = self._num_iterations()
        total = None if per_epoch is None else per_epoch * self.num_epochs
        while self.epoch < self.num_epochs and not self.stopped_early:
            start = time.time()
            self._set_learning_rates(self.epoch)
            bar = self._bar(per_epoch, self.epoch + 1)
            for batch in as_batches(self.train_dataiter):
                loss = self._step(batch)
                if bar is not None:
                    bar.update(1)
                    if self.iteration % self.print_every == 0:
                        bar.set_postfix(loss=f"{loss:.4f}")
                if self.verbose and (self.iteration - 1) % self.print_every == 0:
                    of = f" / {total}" if total else ""
                    print(f"(Iteration {self.iteration}{of}) loss: {loss:f}")
            if bar is not None:
                bar.close()
            self.epoch += 1
            self._end_epoch(start)
            if self.checkpoint_dir and self.checkpoint_every and \
                    self.epoch % self.checkpoint_every == 0:
                path = os.path.join(self.checkpoint_dir, f"epoch_{self.epoch:04d}.npz")
                self.save_checkpoint(path)
                self.save_checkpoint(os.path.join(self.checkpoint_dir, "latest.npz"))
        if self.restore_best and self.best_params:
            self.model.params.update({k: _copy(v) for k, v in self.best_params.items()})
        return self.history

    def _end_epoch(self, start):
        train_acc = self.check_accuracy(self.train_dataiter, self.train_acc_num_samples)
        self.train_acc_history.append(train_acc)
        val_acc = None
        if self.test_dataiter is not None:
            val_acc = self.check_accuracy(self.test_dataiter)
            self.val_acc_history.append(val_acc)
        if self.verbose:
            print(f"(Epoch {self.epoch} / {self.num_epochs}) train acc: {train_acc:.4f}, "
                  f"val_acc: {val_acc if val_acc is None else f'{val_acc:.4f}'}, "
                  f"time: {time.time() - start:.2f}s.")
        if self.visualize:
            self.train_writer.add_scalar("accuracy", train_acc, self.epoch)
            self.train_writer.flush()
            if val_acc is not None:
                self.test_writer.add_scalar("accuracy", val_acc, self.epoch)
                self.test_writer.flush()
        score = train_acc if val_acc is None else val_acc
        if not self.best_params or score > self.best_val_acc:
            self.best_val_acc = score
            self.best_params = {k: _copy(v) for k, v in self.model.params.items()}
            self._since_best = 0
        else:
            self._since_best += 1
            if self.early_stopping is not None and self._since_best >= self.early_stopping:
                self.stopped_early = True
                if self.verbose:
                    print(f"Early stop: no better validation accuracy for "
                          f"{self._since_best} epochs.")
        if self.lr_schedule is None and self.lr_decay != 1.0:
            for cfg in self.optim_configs.values():
                cfg["learning_rate"] = cfg.get(
                    "learning_rate", self.optim_config.get("learning_rate", 1e-2)) * \
                    self.lr_decay

    @property
    def history(self) -> dict:
        """``{'loss': [...], 'train_acc': [...], 'val_acc': [...]}``."""
        return {"loss": list(self.loss_history), "train_acc": list(self.train_acc_history),
                "val_acc": list(self.val_acc_history)}

    # -- checkpoints -----------------------------------------------------------------
    def _iterators(self):
        return {"train": self.train_dataiter, "test": self.test_dataiter}

    def save_checkpoint(self, path):
        """Write everything training needs to continue exactly: parameters, auxiliary
        states, optimizer state, best parameters, epoch and histories, the iterators'
        positions and generators, and NumPy's global generator (dropout masks, default
        iterator seeds). Returns the path written (format: :mod:`minpy.nn.checkpoint`)."""
        optim_arrays, optim_scalars = _ckpt.split_optim(self.optim_configs)
        extra, iters = {}, {}
        for name, it in self._iterators().items():
            if isinstance(it, NDArrayIter):
                st = it.get_state()
                iters[name] = {k: v for k, v in st.items() if not isinstance(v, _onp.ndarray)}
                for k, v in st.items():
                    if isinstance(v, _onp.ndarray):
                        extra[f"{name}/{k}"] = v
            elif isinstance(it, DataIter) and hasattr(it, "get_state"):
                iters[name] = it.get_state()
        _, keys, pos, has_gauss, cached = _onp.random.get_state()
        extra["numpy_random/keys"] = keys
        state = {
            "epoch": self.epoch, "iteration": self.iteration,
            "loss_history": self.loss_history, "train_acc_history": self.train_acc_history,
            "val_acc_history": self.val_acc_history, "best_val_acc": self.best_val_acc,
            "since_best": self._since_best, "stopped_early": self.stopped_early,
            "iterators": iters,
            "numpy_random": {"pos": int(pos), "has_gauss": int(has_gauss),
                             "cached": float(cached)},
        }
        return _ckpt.save(path, {"param": self.model.params, "aux": self.model.aux_params,
                                 "optim": optim_arrays, "best": self.best_params,
                                 "extra": extra},
                          scalars={"optim": optim_scalars}, state=state)

    def resume(self, path):
        """Continue from a :meth:`save_checkpoint` file: the next :meth:`train` runs the
        remaining epochs exactly as an uninterrupted run would have (bit for bit on the
        same device and policy). A checkpoint that does not fit the model raises
        :class:`~minpy.nn.checkpoint.CheckpointError` naming what differs, before
        anything is changed."""
        data = _ckpt.load(path)
        groups, state = data["groups"], data["state"]
        if "optim" not in groups or "epoch" not in state:
            raise _ckpt.CheckpointError(f"{data['path']}: a model checkpoint, not a Solver "
                                        "checkpoint (no optimizer state or epoch)")
        self.model.check_state(groups["param"], groups.get("aux", {}), where=data["path"])
        optim = _ckpt.join_optim(groups["optim"], data["scalars"]["optim"], np.array)
        unknown = sorted(set(optim) - set(groups["param"]))
        if unknown:
            raise _ckpt.CheckpointError(f"{data['path']}: optimizer state for unknown "
                                        f"parameters {unknown}")
        # Everything checked: now change state.
        self.model.set_state(groups["param"], groups.get("aux", {}), where=data["path"])
        self.optim_configs = optim
        self.best_params = {k: np.array(v) for k, v in groups.get("best", {}).items()}
        self.epoch = int(state["epoch"])
        self.iteration = int(state.get("iteration", 0))
        self.loss_history = list(state["loss_history"])
        self.train_acc_history = list(state["train_acc_history"])
        self.val_acc_history = list(state["val_acc_history"])
        self.best_val_acc = state["best_val_acc"]
        self._since_best = int(state.get("since_best", 0))
        self.stopped_early = bool(state.get("stopped_early", False))
        extra = groups.get("extra", {})
        for name, it in self._iterators().items():
            st = state.get("iterators", {}).get(name)
            if st is None or it is None:
                continue
            if isinstance(it, NDArrayIter):
                st = dict(st)
                prefix = f"{name}/"
                st.update({k[len(prefix):]: v for k, v in extra.items()
                           if k.startswith(prefix)})
                it.set_state(st)
            elif hasattr(it, "set_state"):
                it.set_state(st)
        nr = state.get("numpy_random")
        if nr is not None and "numpy_random/keys" in extra:
            _onp.random.set_state(("MT19937", extra["numpy_random/keys"], nr["pos"],
                                   nr["has_gauss"], nr["cached"]))
        return self

    # -- plots -----------------------------------------------------------------------
    def plot_history(self, path="history.png"):
        """Plot the loss and the accuracies to a PNG at ``path`` (needs matplotlib:
        ``pip install minpy-nn[plot]``). Returns the path."""
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise ImportError("plot_history needs matplotlib: "
                              "pip install 'minpy-nn[plot]'") from exc
        fig = Figure(figsize=(9, 3.5))
        FigureCanvasAgg(fig)
        ax1, ax2 = fig.subplots(1, 2)
        ax1.plot(range(1, len(self.loss_history) + 1), self.loss_history, lw=0.8)
        ax1.set_xlabel("iteration")
        ax1.set_ylabel("training loss")
        epochs = range(1, len(self.train_acc_history) + 1)
        ax2.plot(epochs, self.train_acc_history, "o-", label="train")
        if self.val_acc_history:
            ax2.plot(range(1, len(self.val_acc_history) + 1), self.val_acc_history, "s-",
                     label="validation")
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("accuracy")
        ax2.legend()
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        return path
