"""``minpy.array`` and ``minpy.array_variants``: the original MinPy's names for its
array types, as its tests and examples import them."""

import numpy as onp
import pytest

import minpy.numpy as np


def test_minpy_array_names():
    import minpy.array
    from minpy.array import Array, Number, Value, wrap
    from minpy.core import Array as CoreArray
    x = np.ones((2, 3))
    assert Array is CoreArray and minpy.array.Array is CoreArray
    assert isinstance(x.sum(), Number) and isinstance(3, Number) and isinstance(2.5, Number)
    assert isinstance(onp.float32(1), Number)
    assert not isinstance(x, Number) and not isinstance(True, Number)
    assert not isinstance("1", Number)
    assert isinstance(x, Value) and isinstance(1.0, Value) and not isinstance([1], Value)
    n = Number(2.0)
    assert isinstance(n, CoreArray) and n.ndim == 0 and float(n) == 2.0
    w = wrap([onp.arange(3), {"a": onp.ones(2)}])
    assert isinstance(w[0], CoreArray) and isinstance(w[1]["a"], CoreArray)


def test_array_variants_names():
    from minpy.array_variants import ArrayType, array_type, type_of, variants, variants_repr
    assert (ArrayType.NUMPY, ArrayType.MXNET, ArrayType.CUPY) == (0, 1, 2)
    assert variants == {"numpy": 0, "mxnet": 1, "cupy": 2}    # built from the registry
    assert variants_repr == {0: "NumPy", 1: "MXNet", 2: "CuPy"}
    with pytest.raises(ValueError, match="unknown array type 'torch'"):
        array_type("torch")
    assert variants["mxnet"] == ArrayType.MXNET and variants_repr[ArrayType.NUMPY] == "NumPy"
    assert array_type("numpy") is onp.ndarray and array_type(ArrayType.NUMPY) is onp.ndarray
    x = np.array(onp.arange(3.0))
    assert type_of(x) == ArrayType.NUMPY
    from minpy.core import _mxnet
    if _mxnet.available():
        assert isinstance(x.asmxnet(), array_type(ArrayType.MXNET))
        assert type_of(x) == ArrayType.MXNET   # now also held by MXNet
