import pytest

from minpy.core import _mxnet

if not _mxnet.available():  # pragma: no cover
    pytest.skip(f"MXNet unavailable: {_mxnet.unavailable_reason()}", allow_module_level=True)


@pytest.fixture(scope="session")
def mx():
    return _mxnet.require()
