"""`einsum`: Einstein summation lowered to diagonals, sums, transposes, reshapes and matmul.

Operands are contracted left to right. For each pair, the letters split into batch (in both
and needed later), contracted (in both, needed no more) and free ones; the pair becomes one
batched matmul, (batch, M, K) @ (batch, K, N), with each group merged by a reshape.
"""
import math
import string

from layered.graph import build as b
from layered.graph.core import ShapeError

__all__ = ["einsum"]

# Letters standing for the axes an ellipsis covers (right-aligned, as NumPy broadcasts them).
_ELLIPSIS_LETTERS = [chr(0x3b1 + i) for i in range(20)]  # greek: never a user's subscript


def einsum(subscripts, *operands):
    """Einstein summation, e.g. ``einsum("bqhd,bkhd->bhqk", q, k)``: batch letters, ellipsis
    ('...') and implicit outputs (the letters used once, in alphabetical order) work.

    Example:
        ops.einsum("ij,jk->ik", a, c)  # matmul
    """
    operands = b._coerce(*operands)
    inputs, output = _parse(subscripts.replace(" ", ""), operands)
    sizes = _sizes(subscripts, inputs, operands)
    terms = []
    for letters, x in zip(inputs, operands):
        x, letters = _take_diagonals(x, letters)
        terms.append((x, letters))
    x, letters = terms[0]
    for i, (y, other) in enumerate(terms[1:], start=1):
        later = set(output).union(*[set(t[1]) for t in terms[i + 1:]])
        x, letters = _sum_unused(x, letters, later | set(other))
        y, other = _sum_unused(y, other, later | set(letters))
        x, letters = _contract(x, letters, y, other, later, sizes)
    x, letters = _sum_unused(x, letters, set(output))
    perm = [letters.index(c) for c in output]
    return x if perm == list(range(len(perm))) else b.transpose(x, perm)


def _parse(subscripts, operands):
    if "->" in subscripts:
        left, output = subscripts.split("->")
    else:
        left, output = subscripts, None
    inputs = left.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum '{subscripts}' names {len(inputs)} operands, got {len(operands)}")
    n_ellipsis = 0
    expanded = []
    for term, x in zip(inputs, operands):
        if term.count("...") > 1 or term.replace("...", "").strip(string.ascii_letters):
            raise ValueError(f"einsum: bad subscripts '{term}' in '{subscripts}'")
        if "..." in term:
            k = x.ndim - (len(term) - 3)
            if k < 0:
                raise ShapeError(f"einsum '{subscripts}': operand of shape {x.shape} has fewer axes than '{term}'")
            n_ellipsis = max(n_ellipsis, k)
            term = term.replace("...", "".join(_ELLIPSIS_LETTERS[len(_ELLIPSIS_LETTERS) - k:]))
        if len(term) != x.ndim:
            raise ShapeError(f"einsum '{subscripts}': subscripts '{term}' name {len(term)} axes, but the operand has "
                             f"shape {x.shape}")
        expanded.append(term)
    ellipsis = "".join(_ELLIPSIS_LETTERS[len(_ELLIPSIS_LETTERS) - n_ellipsis:])
    if output is None:
        letters = "".join(expanded)
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis))
    else:
        output = output.replace("...", ellipsis)
    for c in output:
        if not any(c in term for term in expanded):
            raise ValueError(f"einsum '{subscripts}': output letter '{c}' names no input axis")
    if len(set(output)) != len(output):
        raise ValueError(f"einsum '{subscripts}': an output letter repeats")
    return expanded, output


def _sizes(subscripts, inputs, operands):
    sizes, seen = {}, {}
    for term, x in zip(inputs, operands):
        for c, d in zip(term, x.shape):
            known = sizes.get(c)
            if d is not None and known is not None and d != known and 1 not in (d, known):
                raise ShapeError(f"einsum '{subscripts}': '{c}' has size {known} in the operand of shape {seen[c]} "
                                 f"and {d} in the operand of shape {x.shape}")
            if d is not None and (known is None or known == 1):
                sizes[c], seen[c] = d, x.shape
    return sizes


def _take_diagonals(x, letters):
    """A letter repeated in one operand ('ii') reads its diagonal."""
    from layered._ops.array import diagonal
    while len(set(letters)) != len(letters):
        c = next(c for c in letters if letters.count(c) > 1)
        first = letters.index(c)
        second = letters.index(c, first + 1)
        x = diagonal(x, 0, first, second)
        letters = "".join(l for i, l in enumerate(letters) if i not in (first, second)) + c
    return x, letters


def _sum_unused(x, letters, needed):
    axes = [i for i, c in enumerate(letters) if c not in needed]
    if not axes:
        return x, letters
    return b.reduce_sum(x, axes), "".join(c for c in letters if c in needed)


def _group_size(x, positions):
    dims = [x.shape[i] for i in positions]
    return None if None in dims else math.prod(dims)


def _contract(x, xl, y, yl, later, sizes):
    batch = [c for c in xl if c in yl and c in later]
    summed = [c for c in xl if c in yl and c not in later]
    x_free = [c for c in xl if c not in yl]
    y_free = [c for c in yl if c not in xl]
    x = _order(x, xl, batch + x_free + summed)
    y = _order(y, yl, batch + summed + y_free)
    nb = len(batch)
    x_batch, y_batch = x.shape[:nb], y.shape[:nb]
    m = _group_size(x, range(nb, nb + len(x_free)))
    k = _group_size(x, range(nb + len(x_free), x.ndim))
    n = _group_size(y, range(nb + len(summed), y.ndim))
    if k is None:
        k = _group_size(y, range(nb, nb + len(summed)))
    x_shape, y_shape = x_batch + (m, k), y_batch + (k, n)
    out_letters = "".join(batch + x_free + y_free)
    out_shape = tuple(_batch_size(a, c) for a, c in zip(x_batch, y_batch)) + \
        x.shape[nb:nb + len(x_free)] + y.shape[nb + len(summed):]
    if max(x_shape.count(None), y_shape.count(None), out_shape.count(None)) > 1:
        raise ShapeError(f"einsum: contracting '{xl}' of shape {x.shape} with '{yl}' of shape {y.shape} "
                         "involves too many sizes unknown at build time")
    product = b.matmul(_regroup(x, x_shape), _regroup(y, y_shape))
    return _regroup(product, out_shape), out_letters


def _batch_size(a, c):
    if a is None or c is None:
        return None if a in (None, 1) and c in (None, 1) else (c if a in (None, 1) else a)
    return max(a, c)


def _regroup(x, shape):
    shape = tuple(shape)
    return x if shape == x.shape else b.reshape(x, shape)


def _order(x, letters, wanted):
    perm = [letters.index(c) for c in wanted]
    return x if perm == list(range(len(perm))) else b.transpose(x, perm)

