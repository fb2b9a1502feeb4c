"""Every example runs as a script and learns (each with a shortened schedule)."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(EXAMPLES))

pytest.importorskip("sklearn", reason="the examples use scikit-learn's digits data set")


def load(name):
    return importlib.import_module(name)


def test_seed_snippets_print_what_the_announcement_says(capsys):
    snippets = load("seed_snippets")
    assert snippets.branches() == (1.0, 2.0)
    out = capsys.readouterr().out.split()
    assert out[:2] == ["1.0", "2.0"]
    g = snippets.printing()
    assert "inside f" in capsys.readouterr().out
    import numpy
    x = numpy.array([0.5, 1.0])
    numpy.testing.assert_allclose(g.asnumpy(), 2 * numpy.sin(x) * numpy.cos(x), rtol=1e-12)
    z = snippets.fallback()
    numpy.testing.assert_allclose(z.asnumpy(), numpy.logaddexp(0.0, 1.0) * numpy.ones((2, 3)))
    y = snippets.symbol()
    assert y.shape == (8, 32, 8, 8)
    numpy.testing.assert_allclose(y.asnumpy(), 1.0)  # exp(conv of zeros) = 1


def test_logistic_regression_learns():
    assert load("logistic_regression").main(steps=60) > 0.85


def test_mlp_learns():
    assert load("mlp").main(epochs=3) > 0.9


def test_cnn_learns():
    assert load("cnn").main(epochs=2) > 0.93


def test_rnn_learns():
    assert load("rnn").main(epochs=3) > 0.8


def test_demo_script_runs_and_reports(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLES / "demo.py")], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "test accuracy" in proc.stdout
    assert "logaddexp" in proc.stdout  # the report names the fallback op
    assert "parameters bit-identical: True" in proc.stdout  # minpy.nn resume
