"""``minpy.numpy.fft``: NumPy's FFT namespace, run in NumPy (MXNet 1.9.1's ``mx.np``
has no FFT); results are Arrays, complex ones kept on the host."""

from __future__ import annotations

import numpy as _np

from ._namespace import complete_namespace

complete_namespace(globals(), _np.fft, prefix="fft.")
