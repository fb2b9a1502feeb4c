"""The primitive-call hook and the MXNet error translation."""

import numpy as np
import pytest

from minpy.core import Box, mxnet_available, primitive, tracing
from minpy.core.errors import translate


class RecordingBox(Box):
    """A minimal tracer: records (primitive name, parent nodes) for each call."""

    calls = []

    @classmethod
    def _record(cls, ans, fun, args, kwargs, paths, parents, trace_id):
        cls.calls.append((fun.primitive_name, paths, parents))
        return cls(ans, trace_id, node=len(cls.calls))


@primitive
def double(x):
    return 2 * x


def concat(xs):
    return sum(xs)


concat = primitive(concat, name="concat")


def test_untraced_call_is_plain():
    assert double(3) == 6
    assert double.primitive_name == "double"
    assert tracing.is_primitive(double)


def test_boxes_are_seen_and_unboxed():
    RecordingBox.calls.clear()
    with tracing.trace_scope() as tid:
        b = RecordingBox(5, tid, node="x")
        out = double(b)
    assert isinstance(out, RecordingBox) and out._value == 10
    assert RecordingBox.calls == [("double", (0,), ("x",))]


def test_boxes_inside_list_arguments_are_found():
    RecordingBox.calls.clear()
    with tracing.trace_scope() as tid:
        out = concat([RecordingBox(1, tid, "a"), 2, RecordingBox(3, tid, "b")])
    assert out._value == 6
    assert RecordingBox.calls[0][1] == ((0, 0), (0, 2))


def test_nested_traces_record_outer_after_inner():
    RecordingBox.calls.clear()
    with tracing.trace_scope() as outer:
        with tracing.trace_scope() as inner:
            b = RecordingBox(RecordingBox(1, outer, "o"), inner, "i")
            out = double(b)
    assert out._trace_id == inner and out._value._trace_id == outer
    assert [c[2] for c in RecordingBox.calls] == [("o",), ("i",)]


@primitive
def scaled(x, scale=1.0, *, shift=0.0):
    return scale * x + shift


def test_boxes_in_keywords_are_passed_by_position():
    """A traced keyword argument is recorded at its position in the signature (the
    parameters before it filled from the keywords or their defaults); one for a
    keyword-only parameter raises TypeError."""
    RecordingBox.calls.clear()
    with tracing.trace_scope() as tid:
        out = double(x=RecordingBox(1, tid, "x"))
        assert out._value == 2 and RecordingBox.calls[-1] == ("double", (0,), ("x",))
        out = scaled(3.0, scale=RecordingBox(2.0, tid, "s"), shift=1.0)
        assert out._value == 7.0 and RecordingBox.calls[-1] == ("scaled", (1,), ("s",))
        with pytest.raises(TypeError, match="keyword argument 'shift'"):
            scaled(3.0, shift=RecordingBox(1.0, tid, None))


@pytest.mark.skipif(not mxnet_available(), reason="MXNet is not installed")
def test_mxnet_errors_raise_at_the_call_as_numpy_types():
    from minpy.core import _mxnet
    mx = _mxnet.load()
    with pytest.raises(Exception) as err:
        mx.np.ones((2, 3)) + mx.np.ones((3, 2))  # NaiveEngine: raised here, not later
    assert isinstance(translate(err.value, "add"), ValueError)
    try:
        axis_error = np.exceptions.AxisError
    except AttributeError:
        axis_error = np.AxisError
    with pytest.raises(Exception) as err:
        mx.np.sum(mx.np.ones((2, 3)), axis=5)
    assert isinstance(translate(err.value, "sum"), (axis_error, ValueError))
