"""The original MinPy's ``minpy.context`` and ``minpy.core`` conversion helpers."""

import numpy as onp
import pytest

import minpy.core as core
from minpy.context import Context, cpu, current_context, gpu, set_context


def test_contexts_are_devices_and_with_blocks():
    assert cpu() == core.cpu() and hash(cpu()) == hash(core.cpu())
    assert repr(cpu()) == "cpu(0)" and cpu().device_type == "cpu" and cpu().device_id == 0
    assert Context("cpu", 0) == cpu() and Context(core.cpu()) == cpu()
    set_context(cpu())
    assert current_context() == cpu() and isinstance(current_context(), Context)
    with cpu() as ctx:
        assert ctx == cpu() and core.current_device() == cpu()
        x = core.array(onp.ones(3))
    assert x.context == cpu() and x.as_in_context(cpu()) is x
    x.wait_to_read()
    if core.num_gpus() == 0:
        with pytest.raises(core.DeviceError, match="gpu\\(0\\) does not exist"):
            gpu(0)


def test_conversion_helpers():
    a = onp.arange(3.0)
    m = core.numpy_to_minpy({"a": a, "rest": [a, (a, 1)]})
    assert isinstance(m["a"], core.Array) and isinstance(m["rest"][1][0], core.Array)
    assert m["rest"][1][1] == 1
    back = core.minpy_to_numpy(m)
    assert type(back["rest"][0]) is onp.ndarray
    onp.testing.assert_array_equal(back["a"], a)

    @core.return_numpy
    @core.convert_args
    def f(x, scale=1.0):
        assert isinstance(x, core.Array)
        return [x, x]

    out = f(a)
    assert all(type(o) is onp.ndarray for o in out)
    g = core.wraps("numpy")(lambda x: x)
    assert type(g(a)) is onp.ndarray
    with pytest.raises(ValueError, match="wraps mode"):
        core.wraps("eager")
