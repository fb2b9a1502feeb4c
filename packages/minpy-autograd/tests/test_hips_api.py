"""HIPS Autograd's public API in minpy.autograd: the names, their behaviour, and HIPS
Autograd's exceptions (programs written in its style, with two imports changed)."""

from __future__ import annotations

import importlib
import warnings

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import (
    deriv,
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    jacobian,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    value_and_grad,
    vector_jacobian_product,
)
from minpy.autograd import isinstance as ag_isinstance
from minpy.autograd import list as ag_list
from minpy.autograd import tuple as ag_tuple
from minpy.autograd import type as ag_type
from minpy.autograd.extend import (
    SparseObject,
    def_linear,
    defjvp,
    defvjp,
    defvjp_argnum,
    defvjp_argnums,
    notrace_primitive,
    primitive,
    primitive_vjps,
    vspace,
)
from minpy.autograd.test_util import check_equivalent, check_grads, combo_check
from minpy.core import Array

#: HIPS Autograd 1.9.1's public names, module by module (its __init__ and the modules
#: its users import from).
HIPS_NAMES = {
    "minpy.autograd": """checkpoint deriv elementwise_grad grad grad_and_aux grad_named
        hessian hessian_tensor_product hessian_vector_product holomorphic_grad jacobian
        make_ggnvp make_hvp make_jvp make_vjp multigrad_dict tensor_jacobian_product
        value_and_grad vector_jacobian_product primitive tuple list dict isinstance type""",
    "minpy.autograd.extend": """Box SparseObject VSpace def_linear defjvp defjvp_argnum
        defjvp_argnums defvjp defvjp_argnum defvjp_argnums notrace_primitive primitive
        register_notrace vspace""",
    "minpy.autograd.core": "make_vjp make_jvp vspace VSpace primitive primitive_vjps defvjp",
    "minpy.autograd.tracer": "primitive isbox getval Box notrace_primitive",
    "minpy.autograd.test_util": """check_grads combo_check check_vjp check_jvp
        check_equivalent scalar_close make_numerical_jvp""",
    "minpy.autograd.builtins": "tuple list dict isinstance type",
    "minpy.autograd.wrap_util": "unary_to_nary wraps wrap_nary_f get_name get_doc",
    "minpy.autograd.util": "subvals subval func toposort quick_grad_check",
    "minpy.autograd.differential_operators": """grad elementwise_grad deriv jacobian
        holomorphic_grad grad_named hessian make_hvp hessian_tensor_product
        hessian_vector_product tensor_jacobian_product vector_jacobian_product
        make_jvp_reversemode make_ggnvp value_and_grad grad_and_aux multigrad_dict
        checkpoint make_vjp make_jvp""",
    "minpy.autograd.misc": "flatten const_graph",
    "minpy.autograd.misc.flatten": "flatten flatten_func",
    "minpy.autograd.misc.optimizers": "sgd rmsprop adam unflatten_optimizer",
    "minpy.autograd.misc.fixed_points": "fixed_point",
    "minpy.autograd.misc.tracers": "const_graph",
}


@pytest.mark.parametrize("module", sorted(HIPS_NAMES))
def test_every_hips_name_resolves(module):
    mod = importlib.import_module(module)
    missing = [n for n in HIPS_NAMES[module].split() if not hasattr(mod, n)]
    assert not missing, f"{module} lacks {missing}"


def test_names_match_installed_hips_autograd():
    """Where HIPS Autograd is installed, its public names are MinPy's too."""
    hips = pytest.importorskip("autograd", reason="HIPS Autograd is not installed here")
    import autograd.extend
    for ours, theirs in (("minpy.autograd", hips), ("minpy.autograd.extend", autograd.extend)):
        mine = importlib.import_module(ours)
        public = [n for n in dir(theirs) if not n.startswith("_") and not isinstance(
            getattr(theirs, n), type(hips))]
        missing = [n for n in public if not hasattr(mine, n)]
        # HIPS Autograd's tracer internals (node types) are not part of MinPy's tape
        missing = [n for n in missing if n not in ("VJPNode", "JVPNode")]
        assert not missing, f"{ours} lacks {missing}"


def test_numpy_and_scipy_aliases():
    import minpy.autograd.numpy as anp
    import minpy.autograd.numpy.random as anpr
    import minpy.numpy.random
    assert anp is np and anpr is minpy.numpy.random
    scipy_stats = pytest.importorskip("minpy.scipy.stats",
                                      reason="minpy-scipy is not installed")
    import minpy.autograd.scipy.stats.norm as norm
    assert norm is scipy_stats.norm


def test_scipy_alias_names_the_distribution(monkeypatch):
    from minpy.autograd import _aliases
    monkeypatch.setitem(_aliases.ALIASES, "minpy.autograd.nonesuch",
                        ("minpy.nonesuch", "minpy-nonesuch"))
    with pytest.raises(ImportError, match="pip install minpy-nonesuch"):
        importlib.import_module("minpy.autograd.nonesuch")


# -- HIPS Autograd's exceptions ------------------------------------------------------------
def test_grad_of_complex_output_raises():
    with pytest.raises(TypeError, match="real"):
        grad(lambda x: x * (1.0 + 0.2j))(1.0)
    with pytest.raises(TypeError):
        value_and_grad(lambda x: x * 1j)(1.0)
    with pytest.raises(TypeError):
        elementwise_grad(lambda x: x * 1j)(np.ones(3))


def test_grad_of_boolean_or_integer_output_raises():
    with pytest.raises(TypeError):
        grad(lambda x: np.allclose(x, x * 3.0 / 3.0))(np.array([1.0, 2.0]))
    with pytest.raises(TypeError):
        grad(lambda x: np.argmax(x))(np.array([1.0, 2.0]))


def test_missing_rules_raise_not_implemented():
    fun = primitive(lambda x: 2.0 * x)
    with pytest.raises(NotImplementedError):
        grad(fun)(1.0)
    with pytest.raises(NotImplementedError):
        deriv(fun)(1.0)


# -- the operators ------------------------------------------------------------------------
def test_deriv_and_holomorphic_grad():
    def fun(x):
        return (x + np.sin(x ** 2)) * x
    assert abs(deriv(fun)(1.3) - 3.190948746871) < 1e-6
    g = holomorphic_grad(lambda z: z * (1.0 + 0.2j))(1.0 + 0.0j)
    assert abs(complex(g) - (1.0 + 0.2j)) < 1e-12
    with pytest.warns(UserWarning, match="not complex"):
        holomorphic_grad(lambda z: z * 2.0)(1.0)


def test_grad_and_aux_grad_named_multigrad_dict():
    A = np.array(onp.random.default_rng(0).standard_normal((5, 4)))
    x = np.array(onp.arange(4.0))
    g, aux = grad_and_aux(lambda x: (np.sum(np.dot(A, x)), x ** 2))(x)
    assert onp.allclose(g.asnumpy(), A.asnumpy().sum(0))
    assert onp.allclose(aux.asnumpy(), x.asnumpy() ** 2)

    def f(a, b, c=2.0):
        return a * b + np.sin(c)
    assert grad_named(f, "b")(3.0, 4.0) == 3.0
    d = multigrad_dict(f)(3.0, 4.0)
    assert list(d) == ["a", "b", "c"]
    assert (d["a"], d["b"]) == (4.0, 3.0) and abs(d["c"] - onp.cos(2.0)) < 1e-12


def test_products_with_the_hessian_and_jacobian():
    rng = onp.random.default_rng(1)
    a, v = np.array(rng.standard_normal((5, 4))), np.array(rng.standard_normal((5, 4)))
    fun = lambda a: np.sum(np.sin(a))  # noqa: E731
    H = hessian(fun)(a)
    check_equivalent(np.tensordot(H, v), hessian_tensor_product(fun)(a, v))
    assert hessian_vector_product is hessian_tensor_product
    roll = lambda a: np.roll(np.sin(a), 1)  # noqa: E731
    J = jacobian(roll)(a)
    check_equivalent(np.tensordot(v, J), tensor_jacobian_product(roll)(a, v))
    assert vector_jacobian_product is tensor_jacobian_product
    hvp_at, g = make_hvp(fun)(a)
    check_equivalent(np.tensordot(H, v), hvp_at(v))
    check_equivalent(g, np.cos(a))


def test_make_ggnvp_matches_explicit():
    rng = onp.random.default_rng(2)
    A, x, v = (np.array(rng.standard_normal(s)) for s in ((5, 4), (4,), (4,)))
    f = lambda x: np.tanh(np.dot(A, x))  # noqa: E731
    J = jacobian(f)(x)
    H = hessian(lambda y: 0.5 * np.sum(y ** 2, axis=-1))(f(x))
    check_equivalent(make_ggnvp(f)(x)(v), np.dot(J.T, np.dot(H, np.dot(J, v))))


def test_names_of_the_operators_results():
    def foo(x):
        pass
    assert grad.__name__ == "grad" and grad.__doc__.lstrip().startswith("Returns a function")
    assert grad(foo, 1).__name__ == "grad_of_foo_wrt_argnum_1"
    assert grad(foo, 1).__doc__.startswith("    grad of function foo with")
    assert grad(foo).__wrapped__ is foo


# -- containers ------------------------------------------------------------------------------
def test_container_builtins():
    def fun(x):
        assert ag_isinstance(x, tuple) and ag_isinstance(x, ag_tuple)
        pair = ag_list((x[0], x[1]))
        assert ag_type(pair[0]) is Array
        return pair[0] * pair[1]
    g = grad(fun)((2.0, 3.0))
    assert g == (3.0, 2.0)
    assert ag_isinstance(np.ones(1), np.ndarray) and not isinstance(1.0, ag_list)
    check_grads(lambda x: ag_list((x, x)))(1.0)


def test_append_of_a_list_of_traced_values():
    """np.append(list with traced values, ...) used to raise TypeError ('cannot convert a
    traced value') in the higher-order passes of check_grads."""
    check_grads(np.append, argnum=(0, 1))([1.0, 2.0, 3.0], 4.0)
    check_grads(np.append, argnum=(0, 1))([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
                                          [[7.0, 8.0, 9.0]], axis=0)


def test_make_diagonal():
    D = np.array(onp.random.default_rng(3).standard_normal((3, 4)))
    A = np.make_diagonal(D, axis1=-1, axis2=-2)
    assert A.shape == (3, 4, 4)
    assert onp.array_equal(onp.diagonal(A.asnumpy(), 0, -1, -2), D.asnumpy())
    assert onp.array_equal(np.make_diagonal(np.ones(2), 1).asnumpy(), onp.diag(onp.ones(2), 1))
    check_grads(lambda D: np.make_diagonal(D, axis1=-1, axis2=-2))(D)


# -- defining primitives --------------------------------------------------------------------
def test_defvjp_none_means_zero_gradient():
    @primitive
    def scaled(x, s):
        return x * s
    defvjp(scaled, lambda ans, x, s: lambda g: g * s, None)
    gx, gs = grad(lambda x, s: np.sum(scaled(x, s)), argnum=(0, 1))(np.ones(3), 2.0)
    assert onp.allclose(gx.asnumpy(), 2.0) and gs == 0.0


def test_defvjp_argnum_and_argnums():
    @primitive
    def mul(x, y):
        return x * y
    defvjp_argnum(mul, lambda i, ans, args, kwargs: lambda g: g * args[1 - i])
    check_grads(mul, argnum=(0, 1), modes=["rev"])(np.array([1.0, 2.0]), np.array([3.0, -1.0]))

    @primitive
    def add3(x, y, z):
        return x + 2 * y + 3 * z
    defvjp_argnums(add3, lambda argnums, ans, args, kwargs: lambda g: tuple(
        g * (i + 1) for i in argnums))
    assert grad(add3, (0, 1, 2))(1.0, 1.0, 1.0) == (1.0, 2.0, 3.0)


def test_sparse_gradients_are_made_dense():
    @primitive
    def first(x):
        return x[0]

    def sparse_vjp(ans, x):
        vs = vspace(x)

        def vjp(g):
            return SparseObject(vs, lambda acc: acc + np.eye(1, vs.shape[0]).ravel() * g)
        return vjp
    defvjp(first, sparse_vjp)
    assert onp.allclose(grad(first)(np.ones(3)).asnumpy(), [1.0, 0.0, 0.0])


def test_forward_rules_give_reverse_mode():
    """A primitive with only a JVP (or declared linear) is differentiable in both modes:
    its VJP is the JVP's transpose."""
    @primitive
    def cube(x):
        return x ** 3
    defjvp(cube, lambda g, ans, x: 3 * x ** 2 * g)
    assert abs(grad(cube)(2.0) - 12.0) < 1e-12
    check_grads(cube, modes=["fwd", "rev"])(np.array([0.5, -1.5]))

    @primitive
    def scale(x, A):
        return np.dot(A, x)
    def_linear(scale)
    A = np.array(onp.random.default_rng(4).standard_normal((3, 2)))
    x = np.array([1.0, 2.0])
    check_grads(scale, argnum=(0, 1), modes=["rev"])(x, A)


def test_primitive_vjps_view():
    @primitive
    def twice(x):
        return 2.0 * x
    defvjp(twice, lambda ans, x: lambda g: 2.0 * g)
    rules = primitive_vjps.pop(twice)
    with pytest.raises(NotImplementedError):
        grad(twice)(1.0)
    primitive_vjps[twice] = rules
    assert grad(twice)(1.0) == 2.0


def test_deprecated_primitive_methods_warn_and_work():
    from minpy.autograd.core import primitive as core_primitive

    @core_primitive
    def new_mul(x, y):
        return x * y
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        new_mul.defgrad(lambda ans, x, y: lambda g: y * g)
        new_mul.defvjp(lambda g, ans, vs, gvs, x, y: x * g, argnum=1)
    assert len(caught) == 2
    check_grads(new_mul, argnum=(0, 1), modes=["rev"])(np.ones(2), 2 * np.ones(2))


def test_register_notrace_makes_a_constant():
    from minpy.autograd.extend import register_notrace

    @primitive
    def rounded(x):
        return np.round(x * 10.0) / 10.0
    register_notrace(None, rounded)
    assert grad(lambda x: x + rounded(x))(1.234) == 1.0


def test_notrace_primitive():
    shape_of = notrace_primitive(lambda x: onp.shape(x))
    assert grad(lambda x: np.sum(x) * len(shape_of(x)))(np.ones((2, 3))).shape == (2, 3)


# -- vector spaces and the checker ----------------------------------------------------------
@pytest.mark.parametrize("value", [np.zeros((3, 2)), 0.0, 1j * onp.zeros((2, 1)),
                                   [1.0, np.zeros(2)], {"a": (1.0, onp.ones(2)), "b": [0.5]}])
def test_vspace_axioms(value):
    vs = vspace(value)
    x, y = vs.randn(), vs.randn()
    assert vs == vspace(vs.add(x, y)) == vspace(vs.scalar_mul(x, 2.0)) == vspace(vs.zeros())
    basis = list(vs.standard_basis())
    assert len(basis) == vs.size
    gram = onp.array([[float(vs.inner_prod(a, b)) for b in basis] for a in basis])
    assert onp.allclose(gram, onp.eye(vs.size))
    assert abs(float(vs.inner_prod(x, y)) - float(vs.inner_prod(y, x))) < 1e-12
    check_grads(vs.add)(x, y)
    check_grads(vs.inner_prod)(x, y)


def test_vspace_of_unknown_type_raises():
    with pytest.raises(TypeError):
        vspace("a string")
    with pytest.raises(TypeError):
        vspace(True)


def test_check_grads_catches_wrong_first_and_second_order():
    @primitive
    def foo(x):
        return x * 2.0
    defvjp(foo, lambda ans, x: lambda g: g * 2.001)
    with pytest.raises(AssertionError, match=r"\(VJP\) check of foo failed"):
        check_grads(foo, modes=["rev"])(1.0)

    @primitive
    def bar(x):
        return x
    defvjp(bar, lambda ans, x: lambda g: g * 1.001)

    @primitive
    def baz(x):
        return x * 2.0
    defvjp(baz, lambda ans, x: lambda g: bar(g) * 2)
    with pytest.raises(AssertionError, match=r"\(VJP\) check of vjp_baz failed"):
        check_grads(baz, modes=["rev"])(1.0)


def test_combo_check_runs_every_combination():
    seen = []

    def fun(x, axis=None):
        seen.append(axis)
        return np.sum(np.sin(x), axis=axis)
    combo_check(fun, [0], modes=["rev"], order=1)([np.ones((2, 3))], axis=[None, 0, 1])
    assert {None, 0, 1} <= set(seen)


# -- misc -----------------------------------------------------------------------------------
def test_flatten_roundtrip_and_gradient():
    from minpy.autograd.misc import flatten
    value = (1.0, np.ones((2, 3)), [np.zeros((1, 4)), {"y": np.ones(2), "x": 2.0}])
    flat, unflatten = flatten(value)
    assert flat.shape == (14,) and float(flat[0]) == 1.0
    again = unflatten(flat)
    assert again[0] == 1.0 and again[2][1]["x"] == 2.0
    assert onp.array_equal(flatten(again)[0].asnumpy(), flat.asnumpy())
    assert grad(lambda x, y: np.sum(flatten([x, y])[0] ** 2))(1.0, 2.0) == 2.0


def test_optimizers_minimize_a_quadratic():
    from minpy.autograd.misc.optimizers import adam, rmsprop, sgd
    target = {"w": np.array([1.0, -2.0]), "b": 0.5}

    def loss(p, i):
        return np.sum((p["w"] - target["w"]) ** 2) + (p["b"] - target["b"]) ** 2
    calls = []
    for opt, kw in ((sgd, dict(step_size=0.1, num_iters=300)),
                    (rmsprop, dict(step_size=0.05, num_iters=300)),
                    (adam, dict(step_size=0.1, num_iters=300))):
        p = opt(grad(loss), {"w": np.zeros(2), "b": 0.0}, callback=lambda x, i, g: calls.append(i),
                **kw)
        assert float(loss(p, 0)) < 1e-3, opt.__name__
    assert len(calls) == 900


def test_fixed_point_gradient():
    from minpy.autograd.misc.fixed_points import fixed_point

    def newton_sqrt(a):
        return fixed_point(lambda a: lambda x: 0.5 * (x + a / x), a, 1.0,
                           lambda x, y: abs(x - y), 1e-12)
    assert abs(float(newton_sqrt(2.0)) - 2 ** 0.5) < 1e-10
    assert abs(grad(newton_sqrt)(2.0) - 0.5 / 2 ** 0.5) < 1e-8


def test_const_graph_replays_without_python():
    from minpy.autograd.misc import const_graph
    calls = []

    @primitive
    def tag(x, name):
        calls.append(name)
        return x
    defvjp(tag, lambda ans, x, name: lambda g: g)

    def foo(x, y, z):
        return tag(x, "x") + 2 * tag(y, "y") + 3 * tag(z, "z")
    replay = const_graph(foo, 1.0, z=3.0)
    assert float(replay(2.0)) == foo(1.0, 2.0, 3.0)
    calls.clear()
    assert float(replay(5.0)) == 1.0 + 10.0 + 9.0
    assert calls == ["y"]


def test_unary_to_nary_and_make_jvp_agree_with_jacobian():
    rng = onp.random.default_rng(5)
    A, x, v = np.array(rng.standard_normal((3, 5))), np.array(rng.standard_normal(5)), \
        np.array(rng.standard_normal(5))
    fun = lambda x: np.tanh(np.dot(A, x))  # noqa: E731
    check_equivalent(np.dot(jacobian(fun)(x), v), make_jvp(fun)(x)(v)[1])
    vjp, ans = make_vjp(fun)(x)
    check_equivalent(ans, fun(x))
