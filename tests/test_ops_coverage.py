"""The keras.ops names beyond the core: values against NumPy on every backend, shapes with an
unknown batch, gradients against finite differences (float64), eager values and errors."""
import math

import numpy as np
import pytest

import layered
from layered import ops
from layered.graph import build as b
from layered.graph.core import ShapeError
from tests.helpers import check_vjp

rng = np.random.default_rng(0)
X = rng.normal(size=(3, 4)).astype(np.float32)
Y = rng.normal(size=(3, 4)).astype(np.float32)
UNIT = rng.uniform(-0.9, 0.9, size=(3, 4)).astype(np.float32)
A = rng.normal(size=(2, 3, 4)).astype(np.float32)
Q = rng.normal(size=(2, 3, 2, 4)).astype(np.float32)
K = rng.normal(size=(2, 5, 2, 4)).astype(np.float32)
IDS = np.int32([0, 0, 2])
SQ = rng.normal(size=(3, 3)).astype(np.float32)
B = rng.normal(size=(4, 3, 5)).astype(np.float32)
NAN = np.where(rng.uniform(size=(3, 4)) < 0.2, np.nan, X).astype(np.float32)


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _attention(q, k, v, causal=False):
    logits = np.einsum("btnh,bsnh->bnts", q, k) / math.sqrt(q.shape[-1])
    if causal:
        logits = np.where(np.tril(np.ones(logits.shape[-2:], bool)), logits, -1e30)
    return np.einsum("bnts,bsnh->btnh", _softmax(logits), v)


def _round_half_even(z):
    return np.round(z)


# name -> (op over tensors, input arrays, NumPy reference over the same arrays)
VALUES = {
    "einsum_matmul": (lambda a, c: ops.einsum("ij,jk->ik", a, c), [X, Y.T], lambda a, c: a @ c),
    "einsum_batch": (lambda q, k: ops.einsum("bqhd,bkhd->bhqk", q, k), [Q, K],
                     lambda q, k: np.einsum("bqhd,bkhd->bhqk", q, k)),
    "einsum_ellipsis_implicit": (lambda a, c: ops.einsum("...ij,jk", a, c), [A, Y.T],
                                 lambda a, c: np.einsum("...ij,jk", a, c)),
    "einsum_trace_and_sum": (lambda s, a: ops.einsum("ii,bij->b", s, a[:, :, :3]), [SQ, A],
                             lambda s, a: np.einsum("ii,bij->b", s, a[:, :, :3])),
    "einsum_outer": (lambda a, c: ops.einsum("i,j->ij", a[0], c[0]), [X, Y], lambda a, c: np.outer(a[0], c[0])),
    "tensordot": (lambda a, c: ops.tensordot(a, c, axes=([1, 2], [1, 0])), [A, B],
                  lambda a, c: np.tensordot(a, c, axes=([1, 2], [1, 0]))),
    "dot": (ops.dot, [A, Y.T], np.dot), "inner": (ops.inner, [X, Y], np.inner), "outer": (ops.outer, [X, Y], np.outer),
    "cumsum": (lambda x: ops.cumsum(x, 1), [X], lambda x: np.cumsum(x, 1)),
    "cumsum_flat": (ops.cumsum, [X], np.cumsum),
    "cumprod": (lambda x: ops.cumprod(x, 0), [X], lambda x: np.cumprod(x, 0)),
    "prod": (lambda x: ops.prod(x, 1, keepdims=True), [X], lambda x: np.prod(x, 1, keepdims=True)),
    "sort": (lambda x: ops.sort(x, 0), [X], lambda x: np.sort(x, 0)),
    "argsort": (ops.argsort, [X], lambda x: np.argsort(x, kind="stable")),
    "top_k_values": (lambda x: ops.top_k(x, 2)[0], [X], lambda x: -np.sort(-x, -1)[:, :2]),
    "top_k_indices": (lambda x: ops.top_k(x, 2)[1], [X], lambda x: np.argsort(-x, -1, kind="stable")[:, :2]),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.int32([[2], [0], [-1]]), 1), [X],
                        lambda x: np.take_along_axis(x, np.int64([[2], [0], [3]]), 1)),
    "tril": (lambda x: ops.tril(x, 1), [X], lambda x: np.tril(x, 1)),
    "triu": (lambda x: ops.triu(x, -1), [A], lambda x: np.triu(x, -1)),
    "tile": (lambda x: ops.tile(x, (2, 1, 3)), [X], lambda x: np.tile(x, (2, 1, 3))),
    "roll": (lambda x: ops.roll(x, -1, 1), [X], lambda x: np.roll(x, -1, 1)),
    "roll_flat": (lambda x: ops.roll(x, 5), [X], lambda x: np.roll(x, 5)),
    "diagonal": (lambda a: ops.diagonal(a, 1, 1, 2), [A], lambda a: np.diagonal(a, 1, 1, 2)),
    "trace": (ops.trace, [X], np.trace),
    "diag_vector": (lambda x: ops.diag(x[0], -1), [X], lambda x: np.diag(x[0], -1)),
    "swapaxes": (lambda a: ops.swapaxes(a, 0, 2), [A], lambda a: np.swapaxes(a, 0, 2)),
    "moveaxis": (lambda a: ops.moveaxis(a, 0, -1), [A], lambda a: np.moveaxis(a, 0, -1)),
    "split": (lambda x: ops.split(x, 2, 1)[1], [X], lambda x: np.split(x, 2, 1)[1]),
    "array_split": (lambda x: ops.array_split(x, 3, 1)[0], [X], lambda x: np.array_split(x, 3, 1)[0]),
    "unstack": (lambda x: ops.unstack(x, axis=1)[2], [X], lambda x: x[:, 2]),
    "append": (ops.append, [X, Y], np.append), "hstack": (lambda x, y: ops.hstack([x, y]), [X, Y],
                                                         lambda x, y: np.hstack([x, y])),
    "vstack": (lambda x, y: ops.vstack([x, y[0]]), [X, Y], lambda x, y: np.vstack([x, y[0]])),
    "ravel": (ops.ravel, [X], np.ravel),
    "meshgrid": (lambda x, y: ops.meshgrid(x[0], y[:, 0])[0], [X, Y], lambda x, y: np.meshgrid(x[0], y[:, 0])[0]),
    "slice": (lambda x: ops.slice(x, (1, 1), (2, 3)), [X], lambda x: x[1:3, 1:4]),
    "slice_update": (lambda x, y: ops.slice_update(x, (1, 2), y[:2, :2]), [X, Y],
                     lambda x, y: np.concatenate([x[:1], np.concatenate([x[1:, :2], y[:2, :2]], 1)], 0)),
    "get_item": (lambda x: ops.get_item(x, (slice(None), 1)), [X], lambda x: x[:, 1]),
    "select": (lambda x: ops.select([x < -0.5, x > 0.5], [x * 2, x * 3], 1.0), [X],
               lambda x: np.select([x < -0.5, x > 0.5], [x * 2, x * 3], 1.0)),
    "where_nonbool": (lambda x: ops.where(ops.cast(x > 0, "int32"), x, -x), [X], np.abs),
    "segment_sum": (lambda x: ops.segment_sum(x, IDS, 3), [X],
                    lambda x: np.stack([x[0] + x[1], np.zeros(4), x[2]])),
    "segment_max": (lambda x: ops.segment_max(x, IDS, 3)[::2], [X], lambda x: np.stack([np.maximum(x[0], x[1]), x[2]])),
    "searchsorted": (lambda x: ops.searchsorted(np.float32([-1, 0, 1]), x, side="right"), [X],
                     lambda x: np.searchsorted([-1, 0, 1], x, side="right")),
    "in_top_k": (lambda x: ops.in_top_k(np.int32([1, 0, 3]), x, 2), [X],
                 lambda x: np.array([(x[i] > x[i, t]).sum() < 2 for i, t in enumerate([1, 0, 3])])),
    "one_hot_axis": (lambda x: ops.one_hot(ops.argmax(x, -1), 4, axis=0), [X], lambda x: np.eye(4)[x.argmax(-1)].T),
    "multi_hot": (lambda x: ops.multi_hot(ops.argsort(x)[:, :2], 4), [X],
                  lambda x: (np.eye(4)[np.argsort(x)[:, :2]].sum(1) > 0)),
    "scatter": (lambda x: ops.scatter(np.int32([[0, 1], [2, 3]]), x[0, :2], (3, 4)), [X],
                lambda x: np.array([[0, x[0, 0], 0, 0], [0, 0, 0, 0], [0, 0, 0, x[0, 1]]])),
    "scatter_update": (lambda x: ops.scatter_update(x, np.int32([[1]]), x[:1] * 0), [X],
                       lambda x: np.concatenate([x[:1], 0 * x[:1], x[2:]])),
    "linspace_tensor": (lambda x: ops.linspace(x[0], x[1], 5, axis=1), [X],
                        lambda x: np.linspace(x[0], x[1], 5, axis=1)),
    "full_like": (lambda x: ops.full_like(x, 2.5), [X], lambda x: np.full_like(x, 2.5)),
    # elementwise math
    "tan": (ops.tan, [UNIT], np.tan), "sinh": (ops.sinh, [X], np.sinh), "cosh": (ops.cosh, [X], np.cosh),
    "arcsin": (ops.arcsin, [UNIT], np.arcsin), "arccos": (ops.arccos, [UNIT], np.arccos),
    "arctan": (ops.arctan, [X], np.arctan), "arctan2": (ops.arctan2, [X, Y], np.arctan2),
    "arcsinh": (ops.arcsinh, [X], np.arcsinh), "arccosh": (lambda x: ops.arccosh(x * x + 1), [X],
                                                         lambda x: np.arccosh(x * x + 1)),
    "arctanh": (ops.arctanh, [UNIT], np.arctanh), "log2": (lambda x: ops.log2(abs(x)), [X], lambda x: np.log2(abs(x))),
    "log10": (lambda x: ops.log10(abs(x)), [X], lambda x: np.log10(abs(x))), "exp2": (ops.exp2, [X], np.exp2),
    "expm1": (lambda x: ops.expm1(x * 1e-3), [X], lambda x: np.expm1(x * np.float32(1e-3))),
    "logaddexp": (ops.logaddexp, [X * 50, Y], np.logaddexp), "hypot": (ops.hypot, [X, Y], np.hypot),
    "cbrt": (ops.cbrt, [X], np.cbrt), "erfc": (ops.erfc, [X], lambda x: 1 - np.vectorize(math.erf)(x)),
    "trunc": (lambda x: ops.trunc(x * 3), [X], lambda x: np.trunc(x * 3)),
    "erfinv": (lambda x: ops.erf(ops.erfinv(x)), [UNIT], lambda x: x),
    "take_flat_argmax_keepdims": (lambda x: ops.take(x, ops.argmax(x, keepdims=True)) + ops.cast(ops.argmin(x, 1, True), "float32"),
                                  [X], lambda x: x.ravel()[[x.argmax()]].reshape(1, 1) + x.argmin(1)[:, None]),
    "expand_dims_tuple_pad": (lambda x: ops.pad(ops.expand_dims(x, (0, -1)), ((0, 0), (1, 0), (0, 2), (0, 0)), "constant", 1.0),
                              [X], lambda x: np.pad(x[None, :, :, None], ((0, 0), (1, 0), (0, 2), (0, 0)), constant_values=1.0)),
    "round": (lambda x: ops.round(x * 2), [np.float32([0.25, 0.75, 1.25, -0.25, -0.75, 0.3])],
              lambda x: np.round(x * 2)),
    "round_decimals": (lambda x: ops.round(x, 1), [X], lambda x: np.round(x, 1)),
    "signbit": (ops.signbit, [np.float32([-0.0, 0.0, -1.0, 2.0])], np.signbit),
    "heaviside": (lambda x: ops.heaviside(x, 0.5), [np.float32([-1.0, 0.0, 3.0])], lambda x: np.heaviside(x, 0.5)),
    "deg2rad": (ops.deg2rad, [X], np.deg2rad), "rad2deg": (ops.rad2deg, [X], np.rad2deg),
    "mod": (ops.mod, [X * 5, Y], np.mod), "mod_int": (ops.mod, [np.int32([-7, 7, 5]), np.int32([3, -3, 5])], np.mod),
    "floor_divide": (ops.floor_divide, [np.int32([-7, 7, 5]), np.int32([3, -3, 5])], np.floor_divide),
    "true_divide": (ops.true_divide, [X, Y], np.true_divide),
    "divide_no_nan": (ops.divide_no_nan, [X, np.float32([0, 1, 0, 2])], lambda x, y: np.where(y == 0, 0, x / np.where(y == 0, 1, y))),
    "absolute": (ops.absolute, [X], np.abs), "fabs": (ops.fabs, [X], np.fabs),
    "amax": (lambda x: ops.amax(x, 0), [X], lambda x: np.amax(x, 0)), "amin": (ops.amin, [X], np.amin),
    "average": (lambda x, y: ops.average(x, 1, np.float32([1, 2, 3, 4])), [X, Y],
                lambda x, y: np.average(x, 1, [1, 2, 3, 4])),
    "count_nonzero": (lambda x: ops.count_nonzero(ops.relu(x), 1), [X], lambda x: np.count_nonzero(np.maximum(x, 0), 1)),
    "nan_to_num": (lambda x: ops.nan_to_num(x, nan=1.0, posinf=5.0, neginf=-5.0),
                   [np.float32([np.nan, np.inf, -np.inf, 2.0])], lambda x: np.float32([1, 5, -5, 2])),
    "isnan_isinf_isfinite": (lambda x: ops.stack([ops.isnan(x), ops.isinf(x), ops.isfinite(x)]),
                             [np.float32([np.nan, np.inf, -np.inf, 1.0])],
                             lambda x: np.stack([np.isnan(x), np.isinf(x), np.isfinite(x)])),
    "logical_xor": (lambda x, y: ops.logical_xor(x > 0, y > 0), [X, Y], lambda x, y: np.logical_xor(x > 0, y > 0)),
    "norm": (ops.norm, [X], np.linalg.norm), "norm_axis_inf": (lambda x: ops.norm(x, np.inf, 1), [X],
                                                              lambda x: np.linalg.norm(x, np.inf, 1)),
    "norm_matrix_1": (lambda a: ops.norm(a, 1, (1, 2)), [A], lambda a: np.linalg.norm(a, 1, (1, 2))),
    "norm_p3": (lambda x: ops.norm(x, 3, 0, keepdims=True), [X], lambda x: np.linalg.norm(x, 3, 0, keepdims=True)),
    "norm_fro_keepdims": (lambda a: ops.norm(a, "fro", (0, 2), keepdims=True), [A],
                          lambda a: np.linalg.norm(a.transpose(1, 0, 2), "fro", (1, 2))[None, :, None]),
    # statistics and more NumPy-style ops
    **{name: (lambda x, n=name: getattr(ops, n)(x, 1), [NAN], lambda x, n=name: getattr(np, n)(x, 1))
       for name in ("nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd", "nancumsum",
                    "nanargmax")},
    "ptp": (lambda x: ops.ptp(x, 0), [X], lambda x: np.ptp(x, 0)),
    "corrcoef": (ops.corrcoef, [X], np.corrcoef),
    "median": (lambda x: ops.median(x, 1), [X], lambda x: np.median(x, 1)),
    "quantile": (lambda x: ops.quantile(x, [0.1, 0.9], 0), [X], lambda x: np.quantile(x, [0.1, 0.9], 0)),
    "percentile_nearest": (lambda x: ops.percentile(x, 40, (0, 1), "nearest", keepdims=True), [X],
                           lambda x: np.percentile(x, 40, (0, 1), method="nearest", keepdims=True)),
    "isclose": (lambda x: ops.isclose(x, x + 1e-6), [X], lambda x: np.isclose(x, x + np.float32(1e-6))),
    "isin": (lambda x: ops.isin(ops.argmax(x, 1), np.int32([0, 3])), [X], lambda x: np.isin(x.argmax(1), [0, 3])),
    "digitize": (lambda x: ops.digitize(x, np.float32([-1, 0, 1])), [X], lambda x: np.digitize(x, [-1, 0, 1])),
    "bincount": (lambda x: ops.bincount(ops.argmax(x, 1), x[:, 0], minlength=4), [X],
                 lambda x: np.bincount(x.argmax(1), x[:, 0], minlength=4)),
    "rot90": (lambda x: ops.rot90(x, 3), [X], lambda x: np.rot90(x, 3)), "fliplr": (ops.fliplr, [X], np.fliplr),
    "dstack_dsplit": (lambda x: ops.dsplit(ops.dstack([x, x, x]), 3)[1], [X], lambda x: x[:, :, None]),
    "diff": (lambda x: ops.diff(x, 2), [X], lambda x: np.diff(x, 2)),
    "kron": (lambda x: ops.kron(x[:2, :2], x[:2, :3]), [X], lambda x: np.kron(x[:2, :2], x[:2, :3])),
    "cross": (lambda x, y: ops.cross(x[:, :3], y[:, :3]), [X, Y], lambda x, y: np.cross(x[:, :3], y[:, :3])),
    "vander": (lambda x: ops.vander(x[0], 3), [X], lambda x: np.vander(x[0], 3)),
    "trapezoid": (lambda x: ops.trapezoid(x, np.float32([0, 1, 3, 4])), [X], lambda x: np.trapezoid(x, [0, 1, 3, 4])),
    "depth_to_space": (lambda a: ops.space_to_depth(ops.depth_to_space(a, 2), 2), [Q.reshape(2, 3, 1, 8)], lambda a: a),
    "sinc": (ops.sinc, [X], np.sinc), "fmod": (ops.fmod, [X * 3, Y], np.fmod),
    "fmax": (ops.fmax, [NAN, Y], np.fmax), "ldexp": (lambda x: ops.ldexp(x, np.int32([1, 2, 3, 4])), [X],
                                                     lambda x: np.ldexp(x, [1, 2, 3, 4])),
    "logaddexp2": (ops.logaddexp2, [X, Y], np.logaddexp2),
    "segment_min_prod": (lambda x: ops.segment_min(x, IDS, 3)[::2] + ops.segment_prod(x, IDS, 3)[::2], [X],
                         lambda x: np.stack([np.minimum(x[0], x[1]) + x[0] * x[1], 2 * x[2]])),
    "extract_sequences": (lambda x: ops.extract_sequences(x, 2, 1), [X], lambda x: np.stack([x[:, :2], x[:, 1:3], x[:, 2:]], 1)),
    "histogram": (lambda x: ops.histogram(x, 3)[0], [X], lambda x: np.histogram(x, 3)[0]),
    "cdist": (ops.cdist, [X, Y[:2]], lambda x, y: np.sqrt(((x[:, None] - y[None]) ** 2).sum(-1))),
    "associative_scan": (lambda x: ops.associative_scan(lambda a, c: a * c, x, reverse=True, axis=1), [X],
                         lambda x: np.flip(np.cumprod(np.flip(x, 1), 1), 1)),
    "correlate": (lambda x, y: ops.correlate(x[0], y[1, :3], "same"), [X, Y],
                  lambda x, y: np.correlate(x[0], y[1, :3], "same")),
    "correlate_full_valid": (lambda x, y: ops.concatenate([ops.correlate(x[0], y[1, :3], "full"), ops.correlate(x[0], y[1, :3])]),
                             [X, Y], lambda x, y: np.concatenate([np.correlate(x[0], y[1, :3], "full"), np.correlate(x[0], y[1, :3])])),
    "jvp": (lambda x: ops.jvp(lambda t: ops.sin(t) * t, (x,), (ops.ones_like(x),))[1], [X],
            lambda x: np.cos(x) * x + np.sin(x)),
    # nn
    "dot_product_attention": (lambda q, k: ops.dot_product_attention(q, k, k), [Q, K], lambda q, k: _attention(q, k, k)),
    "dot_product_attention_causal": (lambda q, k: ops.dot_product_attention(q, k, k, is_causal=True), [Q, K],
                                     lambda q, k: _attention(q, k, k, causal=True)),
    "layer_normalization": (lambda a: ops.layer_normalization(a, 2.0, 1.0, epsilon=1e-3), [A],
                            lambda a: (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + 1e-3) * 2 + 1),
    "rms_normalization": (lambda a: ops.rms_normalization(a, 2.0, epsilon=1e-3), [A],
                          lambda a: a / np.sqrt((a * a).mean(-1, keepdims=True) + 1e-3) * 2),
    "batch_normalization": (lambda a: ops.batch_normalization(a, a[0, :, 0], a[1, :, 0] ** 2, 1, 1.0, 3.0), [A],
                            lambda a: (a - a[0, :, 0, None]) / np.sqrt(a[1, :, 0, None] ** 2 + 1e-3) * 3 + 1),
    "psnr": (lambda x, y: ops.psnr(x, y, 2.0), [X, Y], lambda x, y: 20 * np.log10(2.0) - 10 * np.log10(((x - y) ** 2).mean())),
    "sparsemax": (ops.sparsemax, [np.float32([[1.0, 2.0, 0.5, 1.8], [0.1, 0.2, 0.3, 5.0]])],
                  lambda x: np.float32([[0, 0.6, 0, 0.4], [0, 0, 0, 1]])),
    "glu": (ops.glu, [X], lambda x: x[:, :2] / (1 + np.exp(-x[:, 2:]))),
    "vectorized_map": (lambda x: ops.vectorized_map(lambda r: ops.sum(r * r), x), [X], lambda x: (x * x).sum(1)),
    "fori_loop": (lambda x: ops.fori_loop(0, 3, lambda i, v: v * x + ops.cast(i, "float32"), ops.ones_like(x)), [X],
                  lambda x: ((x + 0) * x + 1) * x + 2),
    "while_loop_symbolic": (lambda x: ops.while_loop(lambda v: ops.sum(v) < 10.0, lambda v: v + 1.0, x,
                                                     maximum_iterations=20), [np.float32([1.0, 2.0])],
                            lambda x: x + 4.0),
    "cond_symbolic": (lambda x: ops.cond(ops.sum(x) > 0, lambda: x * 2, lambda: -x), [X],
                      lambda x: x * 2 if x.sum() > 0 else -x),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_against_numpy(name, backend):
    build, arrays, reference = VALUES[name]
    placeholders = [layered.placeholder(a.shape, a.dtype.name) for a in arrays]
    got = layered.function(placeholders, build(*placeholders))(*arrays)
    expected = reference(*arrays)
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(expected, np.float64), rtol=2e-5, atol=2e-5)


# name -> (op, input shapes with an unknown batch, expected output shape)
SHAPES = {
    "einsum": (lambda q, k: ops.einsum("bqhd,bkhd->bhqk", q, k), [(None, 3, 2, 4), (None, 5, 2, 4)], (None, 2, 3, 5)),
    "einsum_dense": (lambda x, w: ops.einsum("btd,de->bte", x, w), [(None, 3, 4), (4, 6)], (None, 3, 6)),
    "tensordot": (lambda x, w: ops.tensordot(x, w, 1), [(None, 4), (4, 6)], (None, 6)),
    "dot": (ops.dot, [(None, 3, 4), (4, 6)], (None, 3, 6)),
    "cumsum": (lambda x: ops.cumsum(x, 1), [(None, 4)], (None, 4)),
    "cumprod": (lambda x: ops.cumprod(x, 0), [(None, 4)], (None, 4)),
    "prod": (lambda x: ops.prod(x, 1), [(None, 4)], (None,)),
    "sort": (ops.sort, [(None, 4)], (None, 4)),
    "top_k": (lambda x: ops.top_k(x, 3)[0], [(None, 5)], (None, 3)),
    "take_along_axis": (lambda x: ops.take_along_axis(x, ops.argsort(x)[:, :2], 1), [(None, 5)], (None, 2)),
    "tril": (ops.tril, [(None, 3, 3)], (None, 3, 3)),
    "tile": (lambda x: ops.tile(x, (1, 2)), [(None, 3)], (None, 6)),
    "roll": (lambda x: ops.roll(x, 1, 1), [(None, 3)], (None, 3)),
    "split": (lambda x: ops.split(x, 3, 1)[0], [(None, 6)], (None, 2)),
    "swapaxes": (lambda x: ops.swapaxes(x, 0, 1), [(None, 3)], (3, None)),
    "diagonal": (lambda x: ops.diagonal(x, 0, 1, 2), [(None, 3, 3)], (None, 3)),
    "segment_sum": (lambda x: ops.segment_sum(x, ops.argmax(x, 1), 3), [(None, 3)], (3, 3)),
    "in_top_k": (lambda x: ops.in_top_k(ops.argmin(x, 1), x, 2), [(None, 4)], (None,)),
    "attention": (lambda q: ops.dot_product_attention(q, q, q, is_causal=True), [(None, 3, 2, 4)], (None, 3, 2, 4)),
    "layer_normalization": (ops.layer_normalization, [(None, 4)], (None, 4)),
    "norm": (lambda x: ops.norm(x, axis=-1), [(None, 4)], (None,)),
    "map": (lambda x: ops.map(lambda r: r * 2.0, x), [(None, 4)], (None, 4)),
    "cond": (lambda x: ops.cond(ops.sum(x) > 0, lambda: x, lambda: -x), [(None, 4)], (None, 4)),
    "glu": (ops.glu, [(None, 4)], (None, 2)),
    "sparsemax": (ops.sparsemax, [(None, 4)], (None, 4)),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_symbolic_shapes_with_unknown_batch(name):
    build, shapes, expected = SHAPES[name]
    out = build(*[layered.placeholder(s) for s in shapes])
    assert out.shape == expected
    arrays = [rng.normal(size=tuple(2 if d is None else d for d in s)).astype(np.float32) for s in shapes]
    placeholders = [layered.placeholder(s) for s in shapes]
    value = layered.function(placeholders, build(*placeholders))(*arrays)
    assert value.shape == tuple(2 if d is None else d for d in expected)


def _f64(*shape, low=-2.0, high=2.0):
    return np.random.default_rng(len(shape) + sum(shape)).uniform(low, high, shape)


# name -> (differentiable op, float64 inputs)
GRADIENTS = {
    "einsum_batch": (lambda q, k: ops.einsum("bqhd,bkhd->bhqk", q, k), [_f64(1, 2, 2, 3), _f64(1, 3, 2, 3)]),
    "einsum_trace": (lambda s, a: ops.einsum("ii,bij->bj", s, a), [_f64(2, 2), _f64(2, 2, 2)]),
    "tensordot": (lambda a, c: ops.tensordot(a, c, 1), [_f64(2, 3), _f64(3, 2)]),
    "cumsum": (lambda x: ops.cumsum(x, 0), [_f64(3, 2)]),
    "cumprod": (lambda x: ops.cumprod(x, 1), [_f64(2, 3)]),
    "prod": (lambda x: ops.prod(x, 0), [_f64(3, 2)]),
    "sort": (lambda x: ops.sort(x, 1), [_f64(2, 4)]),
    "top_k": (lambda x: ops.top_k(x, 2)[0], [_f64(2, 4)]),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.int32([[1, 1], [0, 2]]), 1), [_f64(2, 3)]),
    "tril_roll_tile": (lambda x: ops.tile(ops.roll(ops.tril(x), 1, 0), (1, 2)), [_f64(3, 3)]),
    "diag_trace": (lambda x: ops.diag(x[0]) * ops.trace(x), [_f64(3, 3)]),
    "slice_update": (lambda x, u: ops.slice_update(x, (0, 1), u), [_f64(2, 3), _f64(1, 2)]),
    "segment_max": (lambda x: ops.segment_max(x, IDS, 3)[::2], [_f64(3, 2)]),
    "segment_sum": (lambda x: ops.segment_sum(x, IDS, 3), [_f64(3, 2)]),
    "arctan2": (ops.arctan2, [_f64(2, 3), _f64(2, 3, low=0.3)]),
    "inverse_trig": (lambda x: ops.arcsin(x) + ops.arccos(x) * ops.arctan(x) + ops.arctanh(x) + ops.erfinv(x),
                     [_f64(2, 3, low=-0.8, high=0.8)]),
    "hyperbolic": (lambda x: ops.sinh(x) * ops.cosh(x) + ops.arcsinh(x) + ops.tan(x) + ops.expm1(x),
                   [_f64(2, 3, low=-1, high=1)]),
    "logs": (lambda x: ops.log2(x) + ops.log10(x) + ops.exp2(x) + ops.cbrt(x) + ops.arccosh(x + 1.0),
             [_f64(2, 3, low=0.3)]),
    "logaddexp_hypot": (lambda x, y: ops.logaddexp(x, y) * ops.hypot(x, y), [_f64(2, 3), _f64(2, 3, low=0.5)]),
    "divide_no_nan": (lambda x: ops.divide_no_nan(x, np.array([0.0, 1.5, -2.0])), [_f64(3)]),
    "norms": (lambda x: ops.norm(x) + ops.norm(x, 3, 1), [_f64(2, 3, low=0.3)]),
    "sparsemax": (ops.sparsemax, [np.array([[1.0, 2.0, 0.5, 1.8], [0.1, 0.2, 0.3, 0.25]])]),
    "attention": (lambda q, k: ops.dot_product_attention(q, k, k, is_causal=True), [_f64(1, 2, 1, 2), _f64(1, 3, 1, 2)]),
    "layer_rms_batch_norm": (lambda x: ops.layer_normalization(x) + ops.rms_normalization(x)
                             + ops.batch_normalization(x, x[0], x[1] ** 2, 1), [_f64(2, 3)]),
    "activations": (lambda x: ops.celu(x) + ops.mish(x) + ops.log_sigmoid(x) + ops.squareplus(x)
                    + ops.sparse_plus(x) + ops.soft_shrink(x) + ops.tanh_shrink(x) + ops.tile(ops.glu(x), 2),
                    [np.array([[-1.7, -0.3, 0.2, 1.4]])]),
    "fori_loop": (lambda x: ops.fori_loop(0, 3, lambda i, v: v * x, ops.ones_like(x)), [_f64(3)]),
    "while_loop": (lambda x: ops.while_loop(lambda v: ops.sum(v) < 3.0, lambda v: v * 1.5, x, maximum_iterations=8),
                   [np.array([0.4, 0.5])]),
    "vectorized_map": (lambda x: ops.vectorized_map(lambda r: ops.sum(ops.sin(r)), x), [_f64(2, 3)]),
    "quantile_median": (lambda x: ops.quantile(x, [0.3, 0.8], 1) * ops.median(x, 0), [_f64(3, 3)]),
    "nanmean_nanvar": (lambda x: ops.nanmean(x, 0) + ops.nanvar(x, 0), [_f64(3, 2)]),
    "kron_cross_diff": (lambda x: ops.kron(x, x)[:3, :3] * ops.cross(x, x[::-1]) + ops.diff(x, 1, 0)[:1],
                        [_f64(3, 3)]),
    "trapezoid_sinc": (lambda x: ops.trapezoid(ops.sinc(x)), [_f64(2, 3, low=0.2)]),
    "erfinv_deep": (lambda x: ops.erfinv(x), [np.array([-0.999, -0.3, 0.5, 0.99])]),
}


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_gradients_match_finite_differences(name):
    build, arrays = GRADIENTS[name]
    check_vjp(build, arrays)


def test_eager_values_on_arrays():
    assert ops.shape(X) == (3, 4) and ops.ndim(X) == 2 and ops.size(X) == 12 and ops.dtype(X) == "float32"
    batch, width = ops.shape(layered.placeholder((None, 3)))
    assert isinstance(batch, layered.graph.core.Dim) and width == 3
    assert ops.is_tensor(ops.convert_to_tensor(X)) and not ops.is_tensor(X)
    np.testing.assert_array_equal(ops.arange(1, 7, 2).numpy(), [1, 3, 5])
    assert ops.arange(3).dtype == "int32" and ops.arange(3.0).dtype == "float32"
    np.testing.assert_array_equal(ops.eye(3, 4, 1).numpy(), np.eye(3, 4, 1))
    np.testing.assert_array_equal(ops.identity(2).numpy(), np.eye(2))
    np.testing.assert_array_equal(ops.tri(3, k=-1).numpy(), np.tri(3, k=-1))
    np.testing.assert_array_equal(ops.full((2, 2), 7).numpy(), np.full((2, 2), 7))
    np.testing.assert_array_equal(ops.empty((2,)).numpy(), [0, 0])
    np.testing.assert_allclose(ops.linspace(0, 1, 5, endpoint=False).numpy(), np.linspace(0, 1, 5, endpoint=False))
    np.testing.assert_array_equal(ops.unique(np.array([3, 1, 3])).numpy(), [1, 3])
    np.testing.assert_array_equal([i.numpy() for i in ops.nonzero(np.array([[0, 1], [2, 0]]))], [[0, 1], [1, 0]])
    np.testing.assert_allclose(ops.copy(X).numpy(), X)
    np.testing.assert_allclose(ops.nn.relu6(np.float32([-1, 3, 9])).numpy(), [0, 3, 6])
    assert ops.cond(True, lambda: 1, lambda: 2) == 1
    assert ops.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + i), (0, 0)) == (4, 6)
    assert int(ops.switch(1, [lambda x: x + 1, lambda x: x * 10], 2)) == 20
    assert bool(ops.allclose(X, X + 1e-7)) and not ops.any(ops.isnan(X))  # values known now have a truth value
    with pytest.raises(TypeError, match="truth value"):
        bool(ops.sum(layered.placeholder((3,))) > 0)
    np.testing.assert_allclose(ops.hamming(5).numpy(), np.hamming(5), atol=1e-7)
    np.testing.assert_allclose(ops.logspace(0, 2, 3).numpy(), [1, 10, 100], rtol=1e-6)
    np.testing.assert_array_equal(ops.saturate_cast(np.float32([1e10, -1e10, 3.7]), "int32").numpy(),
                                  [2147483520, -2147483648, 3])
    rows, cols = ops.unravel_index(np.int32([5, 7]), (2, 4))
    np.testing.assert_array_equal([rows.numpy(), cols.numpy()], np.unravel_index([5, 7], (2, 4)))


def test_errors_name_the_shapes():
    with pytest.raises(ShapeError, match=r"'j' has size 4 .*\(3, 4\).* 5 .*\(5, 2\)"):
        ops.einsum("ij,jk->ik", X, np.zeros((5, 2), np.float32))
    with pytest.raises(ShapeError, match=r"'ijk' name 3 axes.*\(3, 4\)"):
        ops.einsum("ijk->i", X)
    with pytest.raises(ValueError, match="output letter 'z'"):
        ops.einsum("ij->z", X)
    for bad in (lambda: ops.cumsum(X, 2), lambda: ops.sort(X, -3), lambda: ops.swapaxes(X, 0, 5),
                lambda: ops.take_along_axis(X, np.int32([[0]]), 3), lambda: ops.prod(X, 4)):
        with pytest.raises(ShapeError, match="out of range"):
            bad()
    with pytest.raises(ShapeError, match="equal sections"):
        ops.split(X, 3, 1)
    with pytest.raises(ShapeError, match="top_k"):
        ops.top_k(X, 5)
    p = layered.placeholder((None, 4))
    with pytest.raises(ValueError, match="maximum_iterations"):
        ops.while_loop(lambda v: ops.sum(v) < 1.0, lambda v: v, p)
    with pytest.raises(ValueError, match="equal shapes"):
        ops.cond(ops.sum(p) > 0, lambda: p, lambda: p[:, :2])
    with pytest.raises(ValueError, match="known"):
        ops.unique(p)
    with pytest.raises(NotImplementedError, match="singular values"):
        ops.norm(X, 2, (0, 1))


def test_sort_and_argsort_are_not_differentiable_through_indices():
    from layered.graph.autodiff import NotDifferentiableError
    p = layered.placeholder((3,), "float64")
    with pytest.raises(NotDifferentiableError, match="'argsort'"):
        layered.ops.grad(ops.sum(ops.cast(ops.argsort(p), "float64") * p), [p])
    [g] = layered.ops.grad(ops.sum(ops.sort(p) * np.array([1.0, 2.0, 3.0])), [p])  # through the gather
    np.testing.assert_array_equal(layered.function([p], g)(np.array([3.0, 1.0, 2.0])), [3, 1, 2])


# The ONNX rules of the primitives these ops added (the exporter's own table checks the rest).
ONNX_CASES = [
    ("cumsum", lambda x: b.cumsum(x, 1) + b.cumsum(x, 0, reverse=True), [X]),
    ("argsort", lambda x: b.argsort(x, 1), [X]),
    ("atan2", lambda x, y: b.atan2(x, y), [np.concatenate([X, np.zeros((1, 4), np.float32)]),
                                           np.concatenate([Y, np.float32([[-1, 0, 1, 2]])])]),
]


@pytest.mark.parametrize("name, build, arrays", ONNX_CASES, ids=[c[0] for c in ONNX_CASES])
def test_new_primitives_export_to_onnx(name, build, arrays):
    pytest.importorskip("onnxruntime")
    from tests.export.test_onnx import test_primitive_matches_backend
    test_primitive_matches_backend(name, build, arrays)


def test_run_time_sizes_from_shape_feed_shape_arguments(backend):
    """Keras code reads `ops.shape(x)[0]` and passes it on as a size: reshape, zeros, arange."""
    x, y = layered.placeholder((None, 6, 8)), layered.placeholder((None, None, 8))
    batch = ops.shape(x)[0]
    assert ops.shape(x)[1:] == (6, 8)
    outputs = [ops.reshape(x, (batch, -1, 2, 4)), ops.zeros((batch, 5)), ops.arange(batch),
               ops.reshape(y, ops.shape(y)[:2] + (2, 4)), ops.full(ops.shape(y)[:2], 3.0)]
    assert [o.shape for o in outputs] == [(None, 6, 2, 4), (None, 5), (None,), (None, None, 2, 4), (None, None)]
    got = layered.function([x, y], outputs)(np.ones((3, 6, 8), np.float32), np.ones((2, 5, 8), np.float32))
    assert [g.shape for g in got] == [(3, 6, 2, 4), (3, 5), (3,), (2, 5, 2, 4), (2, 5)]
    np.testing.assert_array_equal(got[2], [0, 1, 2])
    with pytest.raises(TypeError, match="known only at run time"):
        batch * 2


def test_expand_dims_and_squeeze_with_several_unknown_sizes(backend):
    x = layered.placeholder((None, None, 4), "float32")
    grown = ops.expand_dims(x, 1)
    assert grown.shape == (None, 1, None, 4) and ops.squeeze(grown, 1).shape == (None, None, 4)
    values = np.arange(24, dtype="float32").reshape(2, 3, 4)
    out_grown, out_back = layered.function([x], [grown, ops.squeeze(grown, 1)])(values)
    np.testing.assert_array_equal(out_grown, values[:, None])
    np.testing.assert_array_equal(out_back, values)
