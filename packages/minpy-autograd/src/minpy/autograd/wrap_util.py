"""HIPS Autograd's ``autograd.wrap_util``: building n-ary differential operators from
unary ones, and naming what they return.

A *unary* operator takes ``(fun, x)``: a function of one argument and the point. Most
of HIPS Autograd's operators are written that way and lifted with
:func:`unary_to_nary` into the familiar ``op(fun, argnum=0, ...)(*args, **kwargs)``
form; the lifted function is named ``<op>_of_<fun>_wrt_argnum_<argnum>``.
"""

from __future__ import annotations

__all__ = ["unary_to_nary", "wraps", "wrap_nary_f", "get_name", "get_doc"]


def get_name(f):
    return getattr(f, "__name__", "[unknown name]")


def get_doc(f):
    return getattr(f, "__doc__", "")


def wraps(fun, namestr="{fun}", docstr="{doc}", **kwargs):
    """A decorator that names the decorated function after ``fun``: ``namestr`` and
    ``docstr`` are format strings over ``fun`` (its name), ``doc`` (its docstring) and
    ``kwargs``. Objects whose name cannot be set are left as they are."""
    def deco(f):
        try:
            f.__name__ = namestr.format(fun=get_name(fun), **kwargs)
            f.__doc__ = docstr.format(fun=get_name(fun), doc=get_doc(fun), **kwargs)
        except Exception:  # a builtin, a partial, a name with braces: keep f's own
            pass
        return f
    return deco


_NARY_DOC = """\
    {op} of function {fun} with respect to argument number {argnum}. Takes the
    same arguments as {fun} but returns the {op}.
    """


def wrap_nary_f(fun, op, argnum):
    """Name an operator's result after the operator, the function and the argnum."""
    return wraps(fun, "{op}_of_{fun}_wrt_argnum_{argnum}", _NARY_DOC,
                 op=get_name(op), argnum=argnum)


def unary_to_nary(unary_operator):
    """Lift ``unary_operator(fun, x, *op_args, **op_kwargs)`` to
    ``nary(fun, argnum=0, *op_args, **op_kwargs)(*args, **kwargs)``.

    ``argnum`` is an int (``x`` is that argument) or a tuple/list of ints (``x`` is the
    tuple of those arguments, and the result has the matching structure).
    """
    @wraps(unary_operator)
    def nary_operator(fun, argnum=0, *nary_op_args, **nary_op_kwargs):
        if type(argnum) not in (int, tuple, list):
            raise TypeError(f"argnum must be an int, a tuple or a list, not {argnum!r}")

        @wrap_nary_f(fun, unary_operator, argnum)
        def nary_f(*args, **kwargs):
            nums = (argnum,) if isinstance(argnum, int) else argnum

            def unary_f(x):
                new = list(args)
                for i, v in zip(nums, (x,) if isinstance(argnum, int) else x):
                    new[i] = v
                return fun(*new, **kwargs)
            x = args[argnum] if isinstance(argnum, int) else tuple(args[i] for i in argnum)
            wraps(fun)(unary_f)
            return unary_operator(unary_f, x, *nary_op_args, **nary_op_kwargs)
        return nary_f
    return nary_operator
