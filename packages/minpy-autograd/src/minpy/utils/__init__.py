"""The original MinPy's ``minpy.utils``: :mod:`minpy.utils.gradient_checker`."""
