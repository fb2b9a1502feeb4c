"""Rules of the functions ``minpy.numpy`` has beyond NumPy (:mod:`minpy.numpy._extras`)."""

from ._util import defvjp, np

# make_diagonal is the transpose of diagonal (both linear): each gives the other's VJP.
defvjp("make_diagonal", lambda ans, D, offset=0, axis1=0, axis2=1:
       lambda g: np.diagonal(g, offset, axis1, axis2))
