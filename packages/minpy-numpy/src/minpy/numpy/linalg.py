"""``minpy.numpy.linalg``: NumPy's linalg namespace; the functions MXNet has run on
MXNet under the policy, the rest in NumPy."""

from __future__ import annotations

import numpy as _np

from ._namespace import complete_namespace

complete_namespace(globals(), _np.linalg, prefix="linalg.")
