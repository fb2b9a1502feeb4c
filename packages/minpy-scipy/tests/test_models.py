"""Model programs in HIPS Autograd's style (its imports renamed to MinPy's): a Gaussian
process regression fit, a variational autoencoder step, a Bayesian neural network fit
by black-box variational inference and an ODE-net step. Each runs, improves its
objective, and its gradient matches finite differences."""

from __future__ import annotations

import numpy as onp
import scipy.optimize

import minpy.numpy as np
import minpy.numpy.random as npr
from minpy.autograd import grad, value_and_grad
from minpy.autograd.misc.flatten import flatten
from minpy.autograd.misc.optimizers import adam
from minpy.autograd.testing import check_grads
from minpy.scipy.integrate import odeint
from minpy.scipy.special import expit, logsumexp
from minpy.scipy.stats import multivariate_normal as mvn
from minpy.scipy.stats import norm


def check_flat(objective, params):
    """The gradient of ``objective`` at ``params`` (any nesting) against finite
    differences along a random direction."""
    flat, unflatten = flatten(params)
    check_grads(lambda v: objective(unflatten(v)), flat, order=1, rtol=1e-4, atol=1e-6)


# -- Gaussian process regression ---------------------------------------------------------
def rbf_covariance(params, x, xp):
    output_scale = np.exp(params[0])
    lengthscales = np.exp(params[1:])
    diffs = np.expand_dims(x / lengthscales, 1) - np.expand_dims(xp / lengthscales, 0)
    return output_scale * np.exp(-0.5 * np.sum(diffs ** 2, axis=2))


def gp_objective(params, x, y):
    mean, log_noise, cov_params = params[0], params[1], params[2:]
    cov = rbf_covariance(cov_params, x, x) + np.exp(log_noise) * np.eye(len(y))
    return -mvn.logpdf(y, mean * np.ones(len(y)), cov)


def test_gaussian_process_fit():
    rs = npr.RandomState(0)
    x = np.reshape(np.linspace(-3, 3, 12), (12, 1))
    y = np.cos(x[:, 0]) + rs.randn(12) * 0.1
    init = np.array([0.0, -1.0, 0.0, 0.0])
    check_flat(lambda p: gp_objective(p, x, y), init)
    fit = scipy.optimize.minimize(value_and_grad(lambda p: gp_objective(p, x, y)), init,
                                  jac=True, method="CG", options={"maxiter": 30})
    assert fit.fun < float(gp_objective(init, x, y)) - 1.0


# -- a variational autoencoder step ----------------------------------------------------------
def init_net(scale, sizes, rs):
    return [(scale * rs.randn(m, n), scale * rs.randn(n)) for m, n in zip(sizes[:-1], sizes[1:])]


def net(params, inputs):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    return outputs


def vae_elbo(params, images, eps):
    enc, dec = params
    out = net(enc, images)
    latent = out.shape[1] // 2
    mean, log_std = out[:, :latent], out[:, latent:]
    z = mean + np.exp(log_std) * eps
    logits = net(dec, z)
    log_lik = np.sum(images * -np.logaddexp(0, -logits) + (1 - images) * -np.logaddexp(0, logits))
    log_prior = np.sum(norm.logpdf(z, 0.0, 1.0))
    log_q = np.sum(norm.logpdf(z, mean, np.exp(log_std)))
    return (log_lik + log_prior - log_q) / images.shape[0]


def test_vae_step():
    rs = npr.RandomState(1)
    images = np.round(expit(rs.randn(6, 8) * 2))
    params = (init_net(0.3, [8, 5, 4], rs), init_net(0.3, [2, 5, 8], rs))
    eps = rs.randn(6, 2)
    objective = lambda p: -vae_elbo(p, images, eps)  # noqa: E731
    check_flat(objective, params)
    before = float(objective(params))
    after = adam(lambda p, i: grad(objective)(p), params, step_size=0.01, num_iters=20)
    assert float(objective(after)) < before


# -- a Bayesian neural network by black-box variational inference ------------------------
def bnn_logprob(weights, inputs, targets, shapes, noise=0.1):
    log_prior = np.sum(norm.logpdf(weights, 0.0, 1.0), axis=1)
    preds = inputs
    start = 0
    layers = []
    for m, n in shapes:
        W = np.reshape(weights[:, start:start + m * n], (-1, m, n))
        b = np.reshape(weights[:, start + m * n:start + m * n + n], (-1, 1, n))
        start += m * n + n
        layers.append((W, b))
    for k, (W, b) in enumerate(layers):
        preds = np.matmul(preds, W) + b
        if k < len(layers) - 1:
            preds = np.tanh(preds)
    log_lik = np.sum(norm.logpdf(preds[:, :, 0], targets, noise), axis=1)
    return log_prior + log_lik


def bbvi_objective(var_params, eps, inputs, targets, shapes):
    mean, log_std = var_params
    samples = mean + eps * np.exp(log_std)     # the reparameterization trick
    d = mean.shape[0]
    entropy = 0.5 * d * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)
    return -(entropy + np.mean(bnn_logprob(samples, inputs, targets, shapes)))


def test_bayesian_neural_network_bbvi():
    rs = npr.RandomState(2)
    shapes = [(1, 6), (6, 1)]
    d = sum(m * n + n for m, n in shapes)
    inputs = np.reshape(np.linspace(-2, 2, 10), (1, 10, 1))
    targets = np.cos(np.linspace(-2, 2, 10))
    eps = rs.randn(5, d)
    var_params = (0.1 * rs.randn(d), -3 * np.ones(d))
    objective = lambda vp: bbvi_objective(vp, eps, inputs, targets, shapes)  # noqa: E731
    check_flat(objective, var_params)
    before = float(objective(var_params))
    fitted = adam(lambda vp, i: grad(objective)(vp), var_params, step_size=0.05, num_iters=30)
    assert float(objective(fitted)) < before


# -- an ODE-net step -----------------------------------------------------------------------
def ode_dynamics(y, t, W1, b1, W2, b2):
    return np.dot(np.tanh(np.dot(y, W1) + b1), W2) + b2


def ode_loss(params, y0, t, target):
    ys = odeint(ode_dynamics, y0, t, tuple(params))
    return np.mean((ys[-1] - target) ** 2) + 1e-3 * logsumexp(ys[:, 0])


def test_ode_net_step():
    rs = npr.RandomState(3)
    params = [0.5 * rs.randn(2, 4), 0.1 * rs.randn(4), 0.5 * rs.randn(4, 2), 0.1 * rs.randn(2)]
    y0, t, target = np.array([1.0, -0.5]), np.linspace(0.0, 1.0, 3), np.array([0.3, 0.8])
    objective = lambda p: ode_loss(p, y0, t, target)  # noqa: E731
    check_flat(objective, params)
    before = float(objective(params))
    g = grad(objective)(params)
    stepped = [p - 0.1 * gp for p, gp in zip(params, g)]
    assert float(objective(stepped)) < before
    assert all(isinstance(x, np.ndarray) and x.shape == p.shape for x, p in zip(g, params))
    assert onp.isfinite(before)
