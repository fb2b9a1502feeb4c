"""The original MinPy's ``minpy.dispatch`` package; see :mod:`minpy.dispatch.policy`."""
