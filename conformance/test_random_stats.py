"""The samplers of ``minpy.numpy.random``, judged by their distributions.

``test_ops.py`` checks only dtype, shape and range of random results. Here every
sampler of the op table (the ones MXNet has) draws ``N`` numbers on each backend
(policy 'only_numpy': NumPy; 'only_mxnet': MXNet, which must really have run it) and a
two-sample Kolmogorov-Smirnov test compares them with ``N`` numbers from NumPy's own
sampler with the same parameters (NumPy is the specification). The parameters are
asymmetric on purpose (``normal(3, 0.5)``, ``beta(2, 5)``, ...): a swapped pair of
parameters changes the distribution.

False alarms: each test rejects when the asymptotic KS p-value is below
:data:`ALPHA` = 1e-4, so a correct sampler fails one test in 10,000; the module has
fewer than 60 such tests, so a correct build fails a run with probability below 0.6 %.
CI draws with fixed seeds (the verdict is deterministic); ``--thorough`` draws with
random seeds (shown in the failure message). For the discrete ``randint`` the
KS test is conservative (false alarms rarer still).

The samplers without an MXNet kernel run NumPy's own function on NumPy's global
generator: after ``minpy.numpy.random.seed(s)`` their streams must equal NumPy's
``RandomState(s)`` bit for bit (``test_fallback_samplers_follow_numpys_stream``).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import minpy.core as core
import minpy.numpy as mnp
import minpy.numpy.random  # noqa: F401  (registers the random entries)
from conftest import thorough

#: Per-test false-alarm rate of the KS test.
ALPHA = 1e-4
#: Sample size per side.
N = 20_000

#: op name -> parameter sets (positional arguments of the sampler).
SAMPLERS = {
    "uniform": [(-2.0, 5.0), (3.0, 3.5)],
    "normal": [(3.0, 0.5), (-1.0, 2.0)],
    "lognormal": [(0.5, 0.3), (-1.0, 1.0)],
    "gamma": [(2.5, 0.5), (0.7, 3.0)],
    "beta": [(2.0, 5.0), (0.5, 1.5)],
    "chisquare": [(3.0,), (0.8,)],
    "randint": [(-3, 7), (5, 40)],
    "rand": [()],
    "randn": [()],
}


def ks_2samp(x, y):
    """``(D, p)``: the two-sample KS statistic and its asymptotic p-value."""
    x, y = np.sort(np.ravel(x)), np.sort(np.ravel(y))
    both = np.concatenate([x, y])
    d = float(np.max(np.abs(np.searchsorted(x, both, side="right") / x.size
                            - np.searchsorted(y, both, side="right") / y.size)))
    lam = d * math.sqrt(x.size * y.size / (x.size + y.size))
    # Kolmogorov's distribution: P(K > lam) = 2 sum (-1)^(k-1) exp(-2 k^2 lam^2).
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return d, min(max(p, 0.0), 1.0)


def _seed(name, i):
    if thorough():
        return int.from_bytes(os.urandom(4), "little")
    return 20240 + 97 * sum(map(ord, name)) + i


def _minpy_sample(name, params, policy, device, seed):
    fn = getattr(mnp.random, name)
    args = params + ((N,) if name in ("rand", "randn") else ())
    kw = {} if name in ("rand", "randn") else {"size": N}
    with mnp.policy(policy), core.device(device), mnp.record_op_stat():
        mnp.random.seed(seed)
        out = fn(*args, **kw)
        calls = mnp.op_stats()["calls"]
    ran = {b for (op, b) in calls if op == "random." + name}
    return np.asarray(out.asnumpy() if hasattr(out, "asnumpy") else out), ran


def _numpy_sample(name, params, seed):
    rs = np.random.RandomState(seed ^ 0x5EED)     # independent of MinPy's stream
    if name == "rand":
        return rs.rand(N)
    if name == "randn":
        return rs.randn(N)
    return getattr(rs, name)(*params, size=N)


CASES = [(name, i) for name, sets in SAMPLERS.items() for i in range(len(sets))]

#: Wrong distributions this test found, per (sampler, backend): still tested, shown as
#: xfail with the measured statistic; a fix makes the test fail until the entry goes.
#: (MXNet 1.9.1's own chisquare(df), mean df/4, was found here: the table entry draws
#: gamma(df/2, 2) instead.)
KNOWN_WRONG: dict = {}


@pytest.mark.parametrize("backend", ["numpy", "mxnet"])
@pytest.mark.parametrize("name,i", CASES, ids=[f"{n}{i}" for n, i in CASES])
def test_sampler_distribution_matches_numpy(name, i, backend, device):
    if backend == "mxnet" and core._mxnet.load() is None:
        pytest.skip("MXNet is not installed: no MXNet backend to test")
    params = SAMPLERS[name][i]
    seed = _seed(name, i)
    policy = "only_mxnet" if backend == "mxnet" else "only_numpy"
    got, ran = _minpy_sample(name, params, policy, device, seed)
    assert ran == {backend}, f"random.{name} ran on {ran}, not {backend}"
    ref = _numpy_sample(name, params, seed)
    assert got.shape == ref.shape
    assert got.dtype == ref.dtype, (got.dtype, ref.dtype)
    d, p = ks_2samp(got, ref)
    known = KNOWN_WRONG.get((name, backend))
    if known is not None:
        if p < ALPHA:
            pytest.xfail(f"{known} (KS D={d:.3f}, MinPy mean {got.mean():.3f}, NumPy "
                         f"{ref.mean():.3f})")
        pytest.fail(f"random.{name} on {backend} now matches NumPy: remove it from "
                    "KNOWN_WRONG")
    assert p >= ALPHA, (
        f"random.{name}{params} on {backend}: KS D={d:.4f}, p={p:.2e} < {ALPHA} "
        f"(seed {seed}); MinPy mean {got.mean():.4f} sd {got.std():.4f}, NumPy mean "
        f"{ref.mean():.4f} sd {ref.std():.4f}")


def test_ks_rejects_a_swapped_normal():
    """The test itself has the power it claims: normal(0.5, 3) is not normal(3, 0.5)."""
    rs = np.random.RandomState(1)
    _, p = ks_2samp(rs.normal(0.5, 3.0, N), rs.normal(3.0, 0.5, N))
    assert p < ALPHA
    _, p = ks_2samp(rs.normal(3.0, 0.55, N), rs.normal(3.0, 0.5, N))
    assert p < ALPHA           # a 10 % scale error is caught too
    _, p = ks_2samp(rs.normal(3.0, 0.5, N), rs.normal(3.0, 0.5, N))
    assert p > ALPHA


#: Samplers without an MXNet kernel: name -> arguments (NumPy's legacy generator).
FALLBACKS = {
    "exponential": (2.0,), "poisson": (3.0,), "binomial": (10, 0.3),
    "geometric": (0.3,), "laplace": (1.0, 2.0), "logistic": (1.0, 2.0),
    "gumbel": (1.0, 2.0), "rayleigh": (2.0,), "weibull": (1.5,), "pareto": (3.0,),
    "power": (2.0,), "standard_normal": (), "standard_exponential": (),
    "standard_gamma": (2.0,), "standard_cauchy": (), "standard_t": (5.0,),
    "f": (3.0, 7.0), "noncentral_chisquare": (3.0, 2.0), "noncentral_f": (3.0, 7.0, 2.0),
    "negative_binomial": (5, 0.4), "hypergeometric": (10, 5, 7), "logseries": (0.6,),
    "vonmises": (0.0, 4.0), "wald": (1.0, 2.0), "triangular": (-1.0, 0.0, 2.0),
    "zipf": (2.5,), "random_sample": (), "random": (), "dirichlet": ([1.0, 2.0, 3.0],),
    "choice": (10,), "multinomial": (10, [0.2, 0.3, 0.5]),
    "multivariate_normal": ([0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]]),
}


@pytest.mark.parametrize("name", sorted(FALLBACKS))
def test_fallback_samplers_follow_numpys_stream(name):
    from minpy.numpy._table import TABLE
    assert "random." + name not in TABLE, f"random.{name} now has a kernel: test it above"
    seed = _seed(name, 0)
    mnp.random.seed(seed)
    got = getattr(mnp.random, name)(*FALLBACKS[name], size=50)
    ref = getattr(np.random.RandomState(seed), name)(*FALLBACKS[name], size=50)
    got = np.asarray(got.asnumpy() if hasattr(got, "asnumpy") else got)
    assert got.dtype == ref.dtype and got.shape == ref.shape
    np.testing.assert_array_equal(got, ref)


def test_shuffle_and_permutation_permute():
    mnp.random.seed(3)
    x = mnp.arange(100)
    mnp.random.shuffle(x)
    assert sorted(x.asnumpy().tolist()) == list(range(100))
    assert x.asnumpy().tolist() != list(range(100))
    p = mnp.random.permutation(50)
    assert sorted(np.asarray(p.asnumpy()).tolist()) == list(range(50))
