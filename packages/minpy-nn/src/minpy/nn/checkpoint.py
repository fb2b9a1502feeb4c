"""Checkpoint files: one ``.npz`` archive (NumPy's zip of ``.npy`` members).

Format (version 1)
------------------
``__meta__``
    A 0-d unicode array holding JSON: ``{"format": "minpy-nn-checkpoint", "version": 1,
    "groups": {group: [name, ...]}, "shapes": {group: [[...], ...]}, "scalars": {...},
    "state": {...}}``.
``<group>/<i>``
    The i-th array of a group, in the order of ``groups[group]``. Groups: ``param``
    (the model's parameters), ``aux`` (auxiliary states, e.g. batch-norm running
    statistics), ``optim`` (the optimizer's array state: ``"<param>\\x1f<key>"``
    names), ``best`` (the best parameters so far), ``extra`` (anything else).
``scalars``
    Non-array optimizer settings and state (``{param: {key: number}}``).
``state``
    JSON-able training state: epoch, histories, iterator and random-generator state.

Names are stored in the JSON, never in member names, so any parameter name works.
Writing goes to a temporary file renamed over the target at the end, so a crash never
leaves a half-written checkpoint under the real name. Reading loads and checks every
member (zip CRCs included) before returning anything: a truncated or corrupted file
raises :class:`CheckpointError` and nothing is half loaded.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile

import numpy as _onp

from minpy.core import Array

__all__ = ["CheckpointError", "save", "load", "FORMAT", "VERSION"]

FORMAT = "minpy-nn-checkpoint"
VERSION = 1
SEP = "\x1f"


class CheckpointError(ValueError):
    """A checkpoint file is unreadable, truncated, of another format, or does not fit
    the model it is loaded into."""


def to_host(v):
    """A NumPy array (a copy) of an Array, a NumPy array or a number."""
    if isinstance(v, Array):
        return _onp.array(v._host_value())
    return _onp.array(v)


def _is_array(v):
    return isinstance(v, (Array, _onp.ndarray))


def save(path, groups: dict, scalars: dict | None = None, state: dict | None = None):
    """Write ``groups`` (``{group: {name: array}}``), ``scalars`` and ``state`` to
    ``path`` (``.npz`` appended when missing). Returns the path written."""
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    meta = {"format": FORMAT, "version": VERSION, "groups": {}, "shapes": {},
            "scalars": scalars or {}, "state": state or {}}
    members = {}
    for group, arrays in groups.items():
        names = list(arrays)
        meta["groups"][group] = names
        hosts = [to_host(arrays[n]) for n in names]
        meta["shapes"][group] = [list(h.shape) for h in hosts]
        for i, h in enumerate(hosts):
            members[f"{group}/{i}"] = h
    members["__meta__"] = _onp.array(json.dumps(meta))
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ckpt-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            _onp.savez(fh, **members)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load(path) -> dict:
    """Read a checkpoint: ``{"groups": {group: {name: numpy array}}, "scalars": ...,
    "state": ...}``. Raises :class:`CheckpointError` for anything but a complete,
    intact file of this format."""
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".npz"):
        path += ".npz"
    try:
        with _onp.load(path, allow_pickle=False) as z:
            members = {k: z[k] for k in z.files}       # reads (and CRC-checks) all
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated or "
                              f"corrupted file?): {exc}") from exc
    if "__meta__" not in members:
        raise CheckpointError(f"{path}: no __meta__ record; not a minpy.nn checkpoint")
    try:
        meta = json.loads(str(members["__meta__"]))
    except ValueError as exc:
        raise CheckpointError(f"{path}: unreadable __meta__ record: {exc}") from exc
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {meta.get('version')} is not "
                              f"supported (this minpy.nn reads version {VERSION})")
    groups = {}
    for group, names in meta["groups"].items():
        out = {}
        for i, (name, shape) in enumerate(zip(names, meta["shapes"][group])):
            key = f"{group}/{i}"
            if key not in members:
                raise CheckpointError(f"{path}: member {key} ({group} {name!r}) missing")
            arr = members[key]
            if list(arr.shape) != list(shape):
                raise CheckpointError(f"{path}: {group} {name!r} has shape {arr.shape}, "
                                      f"the record says {tuple(shape)}")
            out[name] = arr
        groups[group] = out
    return {"groups": groups, "scalars": meta["scalars"], "state": meta["state"],
            "path": path}


def split_optim(configs: dict):
    """``(arrays, scalars)`` of per-parameter optimizer configs: arrays under
    ``"<param>\\x1f<key>"`` names, the rest JSON-able ``{param: {key: value}}``."""
    arrays, scalars = {}, {}
    for p, cfg in configs.items():
        sc = scalars[p] = {}
        for k, v in cfg.items():
            if _is_array(v) and getattr(v, "ndim", 0) > 0 or isinstance(v, Array):
                arrays[f"{p}{SEP}{k}"] = v
            elif isinstance(v, (_onp.generic, _onp.ndarray)):
                sc[k] = v.item()
            elif isinstance(v, (int, float, str, bool)) or v is None:
                sc[k] = v
            else:
                raise TypeError(f"optimizer state {p}/{k} of type {type(v).__name__} "
                                "cannot be saved: use arrays and numbers")
    return arrays, scalars


def join_optim(arrays: dict, scalars: dict, wrap):
    """Inverse of :func:`split_optim`; ``wrap`` turns a NumPy array into an Array."""
    configs = {p: dict(sc) for p, sc in scalars.items()}
    for key, v in arrays.items():
        p, k = key.split(SEP, 1)
        configs.setdefault(p, {})[k] = wrap(v)
    return configs
