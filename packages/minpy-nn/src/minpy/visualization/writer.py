"""Event-file writers (the original's ``minpy.visualization.writer``)."""

from __future__ import annotations

import os
import socket
import threading
import time

from . import _proto
from .summaryOps import Summary

__all__ = ["SummaryWriter", "LegacySummaryWriter", "read_events"]

#: The event-file version TensorBoard reads.
FILE_VERSION = "brain.Event:2"


class SummaryWriter:
    """Writes summaries to an event file in ``logdir`` (created if missing):
    ``events.out.tfevents.<time>.<host>``, which ``tensorboard --logdir`` reads.

    Parameters
    ----------
    logdir : str
    flush_secs : float
        Events are flushed to disk at least this often (and at :meth:`flush` and
        :meth:`close`).
    """

    def __init__(self, logdir, flush_secs=10, filename_suffix=""):
        os.makedirs(logdir, exist_ok=True)
        self.logdir = logdir
        now = time.time()
        self.path = os.path.join(logdir, f"events.out.tfevents.{int(now)}."
                                         f"{socket.gethostname()}{filename_suffix}")
        self._file = open(self.path, "wb")
        self._lock = threading.Lock()
        self._flush_secs = float(flush_secs)
        self._last_flush = now
        self._write(_proto.event(now, step=0, file_version=FILE_VERSION))
        self.flush()

    def _write(self, event_bytes):
        with self._lock:
            if self._file is None:
                raise ValueError(f"SummaryWriter for {self.logdir!r} is closed")
            self._file.write(_proto.tfrecord(event_bytes))
            if time.time() - self._last_flush >= self._flush_secs:
                self._file.flush()
                self._last_flush = time.time()

    def add_summary(self, summary, global_step=None):
        """Write ``summary`` (a :class:`Summary`, or its serialized bytes) at step
        ``global_step``."""
        data = summary.SerializeToString() if isinstance(summary, Summary) else bytes(summary)
        self._write(_proto.event(time.time(), step=global_step, summary_bytes=data))

    def add_scalar(self, tag, value, global_step=None):
        """``add_summary(scalarSummary(tag, value), global_step)``."""
        from .summaryOps import scalarSummary
        self.add_summary(scalarSummary(tag, value), global_step)

    def flush(self):
        with self._lock:
            if self._file is not None:
                self._file.flush()
                self._last_flush = time.time()

    def close(self):
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


#: The original tutorial's name for the writer.
LegacySummaryWriter = SummaryWriter


def read_events(path):
    """The events of an event file (or of every event file in a directory, in name
    order): a list of dicts ``{'wall_time', 'step', 'file_version' or 'values'}``,
    ``values`` being ``{tag: float}``. Checksums are verified."""
    import struct
    paths = [path] if os.path.isfile(path) else sorted(
        os.path.join(path, f) for f in os.listdir(path) if ".tfevents." in f)
    out = []
    for p in paths:
        with open(p, "rb") as f:
            blob = f.read()
        for record in _proto.read_tfrecords(blob):
            ev = {"step": 0}
            for field, _, value in _proto.parse(record):
                if field == 1:
                    ev["wall_time"] = struct.unpack("<d", value)[0]
                elif field == 2:
                    ev["step"] = value
                elif field == 3:
                    ev["file_version"] = value.decode()
                elif field == 5:
                    values = {}
                    for _, _, v in _proto.parse(value):
                        fields = {f: x for f, _, x in _proto.parse(v)}
                        values[fields[1].decode()] = struct.unpack("<f", fields[2])[0]
                    ev["values"] = values
            out.append(ev)
    return out
