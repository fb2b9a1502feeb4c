"""The three snippets of the original MinPy documentation, word for word (with Python 3's
``print``), each in a fresh interpreter, with ``import mxnet as mx`` first (as the
original symbol example starts, as scripts, notebooks and Gluon code do) and with MinPy
first. Nothing may reach stderr: no MXNet engine notice, no warning from MinPy's shim
(the interpreter runs with ``-W always``).

nox runs this file on every NumPy leg (NumPy 2, 1.26 and 1.23.5): the import of MXNet
1.9.1 breaks differently on each.
"""

import os
import subprocess
import sys

import pytest

from minpy.core import mxnet_available

pytestmark = pytest.mark.skipif(not mxnet_available(), reason="MXNet is not installed")

# /work/shared/DESIGN.md "The user's view"; the original README's `print foo_grad(3)`
# is Python 2.
GRAD = """\
import minpy
import minpy.numpy as np
from minpy.core import grad

def foo(x):
    if x >= 0:
        return x
    return 2 * x

foo_grad = grad(foo)
print(foo_grad(3))    # 1.0
print(foo_grad(-1))   # 2.0
"""

FALLBACK = """\
import minpy.numpy as np
x = np.zeros((2, 3))          # MXNet
y = np.ones((2, 3))           # MXNet
z = np.logaddexp(x, y)        # no MXNet kernel: NumPy on the CPU, transparently
print(z)
"""

SYMBOL = """\
import minpy.numpy as np
from minpy.core import Function
net = mx.sym.Variable('x')
net = mx.sym.Convolution(net, name='conv', kernel=(3, 3), num_filter=32, no_bias=True)
conv = Function(net, input_shapes={'x': (8, 3, 10, 10)})
x = np.zeros((8, 3, 10, 10))
w = np.ones((32, 3, 3, 3))
y = np.exp(conv(x=x, conv_weight=w))
print(y.shape, float(y.min()), float(y.max()))
"""

SNIPPETS = {"grad": GRAD, "fallback": FALLBACK, "symbol": SYMBOL}
EXPECTED = {
    "grad": "1.0\n2.0",
    # log(e^0 + e^1), NumPy's own printing of a (2, 3) float64 array
    "fallback": "[[1.31326169 1.31326169 1.31326169]\n [1.31326169 1.31326169 1.31326169]]",
    "symbol": "(8, 32, 8, 8) 1.0 1.0",  # exp of a convolution of zeros
}


def program(name, order):
    """The snippet with ``import mxnet as mx`` before it, or after its own imports."""
    code = SNIPPETS[name]
    if order == "mxnet_first":
        return "import mxnet as mx\n" + code
    lines = code.splitlines(keepends=True)
    last_import = max(i for i, line in enumerate(lines) if line.startswith(("import", "from")))
    return "".join(lines[:last_import + 1] + ["import mxnet as mx\n"] + lines[last_import + 1:])


@pytest.mark.parametrize("order", ["mxnet_first", "minpy_first"])
@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_original_snippet_runs_as_written(name, order, tmp_path):
    script = tmp_path / f"{name}_{order}.py"
    script.write_text(program(name, order))
    # The user's environment as nox gives it, minus anything that would make MXNet talk.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS",)}
    out = subprocess.run([sys.executable, "-W", "always", str(script)], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == EXPECTED[name]
    assert out.stderr == "", f"stderr of {order} {name}:\n{out.stderr[-3000:]}"


def test_program_puts_mxnet_where_asked():
    assert program("symbol", "mxnet_first").startswith("import mxnet as mx\nimport minpy")
    lines = program("symbol", "minpy_first").splitlines()
    assert lines[:3] == ["import minpy.numpy as np", "from minpy.core import Function",
                         "import mxnet as mx"]


def test_the_import_hook_is_installed_and_cheap_at_interpreter_start():
    """minpy-core's .pth registers the finder at start and imports nothing for it: not
    NumPy, not MinPy (every Python process of the environment runs it)."""
    code = ("import sys; print(any(type(f).__name__ == 'MXNetShimFinder' "
            "for f in sys.meta_path), 'numpy' in sys.modules, "
            "any(m.startswith('minpy') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False", "False"], out.stdout
