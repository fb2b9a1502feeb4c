"""Which public NumPy callables are differentiable: the data behind the gradient column
of the operator-support page and the test that fails when a differentiable function
has no rule.

Every public callable of ``numpy``, ``numpy.linalg``, ``numpy.fft`` and
``numpy.random`` (NumPy 1.23 to 2.x) is in exactly one class:

* **differentiable**: a float result that depends smoothly (or piecewise smoothly) on a
  float argument. It needs a rule in :data:`minpy.autograd.VJPS` (zero rules for
  piecewise-constant float results such as ``floor`` count: their gradient is 0, not an
  error), or is handled by the namespace itself (:data:`THROUGH_NAMESPACE`).
* **non-differentiable** (:data:`NON_DIFFERENTIABLE`): integer, boolean, shape or index
  results, or float results that depend only on integers and shapes. The tape records
  nothing for them; their values can drive control flow.
* **not applicable** (:data:`NOT_APPLICABLE`): I/O, printing, configuration, dtype
  queries, functions that run a Python callable on host values, in-place writes into
  an argument, and random draws that are not location-scale transformations.

Anything not listed in the two tables is differentiable by default, so a new NumPy
function without a rule fails :func:`missing` until it is classified or given a rule.
"""

from __future__ import annotations

from ..tracer import VJPS

__all__ = ["NON_DIFFERENTIABLE", "NOT_APPLICABLE", "THROUGH_NAMESPACE", "PARTIAL",
           "classify", "missing", "DIFFERENTIABLE", "NON_DIFF", "NA", "MISSING"]

DIFFERENTIABLE = "differentiable"
NON_DIFF = "non-differentiable"
NA = "not applicable"
MISSING = "differentiable, no rule"


def _names(text):
    return frozenset(text.split())


#: reason -> names: results that carry no derivative.
_NON_DIFFERENTIABLE = {
    "boolean result": _names("""
        all allclose any alltrue sometrue array_equal array_equiv isclose iscomplex
        iscomplexobj isfinite isinf isnan isnat isneginf isposinf isreal isrealobj isscalar
        isfortran iterable may_share_memory shares_memory signbit isin in1d equal
        not_equal greater greater_equal less less_equal logical_and logical_or
        logical_xor logical_not is_busday issctype issubclass_ issubsctype isdtype
        issubdtype can_cast"""),
    "integer or index result": _names("""
        argmax argmin argpartition argsort argwhere nanargmax nanargmin nonzero
        flatnonzero searchsorted digitize lexsort count_nonzero
        ravel_multi_index unravel_index diag_indices diag_indices_from tril_indices
        tril_indices_from triu_indices triu_indices_from mask_indices indices ix_
        linalg.matrix_rank busday_count busday_offset byte_bounds"""),
    "integer (bitwise) arithmetic": _names("""
        bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_invert bitwise_count
        bitwise_left_shift bitwise_right_shift left_shift right_shift invert gcd lcm
        packbits unpackbits"""),
    "shape or size result": _names("shape size ndim broadcast_shapes einsum_path"),
    "depends only on shapes and integers": _names("""
        zeros ones empty identity eye tri bartlett blackman hamming hanning
        random.rand random.randn random.random random.random_sample random.ranf
        random.sample random.standard_normal random.standard_exponential
        random.standard_cauchy random.randint random.random_integers random.bytes"""),
    "counts (piecewise constant); the bin edges depend on the data only through its "
    "range: differentiate linspace(min(a), max(a), bins + 1) instead": _names("""
        histogram2d histogramdd histogram_bin_edges"""),
}

#: reason -> names: not functions of array values in the sense of a derivative.
_NOT_APPLICABLE = {
    "input/output": _names("""
        load save savez savez_compressed savetxt loadtxt genfromtxt fromfile fromregex
        fromstring frombuffer fromiter from_dlpack recfromcsv recfromtxt"""),
    "printing and formatting": _names("""
        array2string array_repr array_str base_repr binary_repr format_float_positional
        format_float_scientific set_printoptions get_printoptions printoptions
        set_string_function disp typename info source lookfor who show_config
        show_runtime get_include"""),
    "configuration and error state": _names("""
        seterr geterr seterrcall geterrcall setbufsize getbufsize seterrobj geterrobj
        set_numeric_ops test fft.test linalg.test random.test add_docstring add_newdoc
        add_newdoc_ufunc _add_newdoc_ufunc deprecate deprecate_with_doc safe_eval
        get_array_wrap"""),
    "dtype queries": _names("""
        result_type promote_types min_scalar_type mintypecode common_type
        find_common_type maximum_sctype obj2sctype sctype2char"""),
    "datetimes": _names("datetime_as_string datetime_data"),
    "runs a Python callable on host values (write the computation with minpy.numpy "
    "operations instead)": _names("""
        apply_along_axis apply_over_axes piecewise frompyfunc fromfunction vectorize
        nested_iters"""),
    "writes into its argument in place (on traced values use x[key] = v, which the "
    "tape records)": _names("copyto place put put_along_axis putmask fill_diagonal"),
    "matrix class (numpy.matrix is not an Array)": _names("asmatrix bmat mat"),
    "character arrays": _names("compare_chararrays"),
    "random state and generators": _names("""
        random.seed random.get_state random.set_state random.default_rng
        random.get_bit_generator random.set_bit_generator"""),
    "random selection (the drawn indices are not returned: draw them with "
    "random.permutation(n) and index)": _names("random.permutation random.shuffle "
                                               "random.choice"),
    "random draw without a location-scale form (no pathwise derivative in its "
    "parameters)": _names("""
        random.beta random.binomial random.chisquare random.dirichlet random.f
        random.gamma random.geometric random.hypergeometric random.logseries
        random.multinomial random.multivariate_normal random.negative_binomial
        random.noncentral_chisquare random.noncentral_f random.pareto random.poisson
        random.power random.standard_gamma random.standard_t random.triangular
        random.vonmises random.wald random.weibull random.zipf"""),
}

#: Differentiable functions whose gradient the namespace provides without a rule:
#: ``array``/``asarray``/``asanyarray`` pass traced values through or stack them.
THROUGH_NAMESPACE = frozenset({"array", "asarray", "asanyarray"})

#: Rules that cover some differentiable arguments only: name -> the arguments left out.
PARTIAL = {
    "cov": "fweights (integers)",
    "histogram": "a: the counts are piecewise constant in it, and the bin edges depend "
                 "on it only through its range (the rule is for weights)",
    "pad": "callable modes, and the stat_length/end_values/constant_values keywords",
}


def _flatten(table):
    out = {}
    for reason, names in table.items():
        for n in names:
            out[n] = reason
    return out


#: name -> reason
NON_DIFFERENTIABLE = _flatten(_NON_DIFFERENTIABLE)
NOT_APPLICABLE = _flatten(_NOT_APPLICABLE)


def classify(name: str) -> tuple[str, str]:
    """``(class, note)`` for a public NumPy callable (dotted for submodules)."""
    if name in VJPS:
        return DIFFERENTIABLE, "rule" + (f" (not for {PARTIAL[name]})" if name in PARTIAL
                                         else "")
    if name in THROUGH_NAMESPACE:
        return DIFFERENTIABLE, "through the namespace"
    if name in NON_DIFFERENTIABLE:
        return NON_DIFF, NON_DIFFERENTIABLE[name]
    if name in NOT_APPLICABLE:
        return NA, NOT_APPLICABLE[name]
    return MISSING, "differentiable, but no gradient rule"


def missing(names) -> list:
    """The differentiable names among ``names`` that have no gradient rule."""
    return sorted(n for n in names if classify(n)[0] == MISSING)
