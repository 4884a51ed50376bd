"""The scan lowering: `lax.scan` over the lowered body graph."""
from jax import lax


def scan(*arrays, body, n_carry, n_seq, length, reverse, saved):
    from backends.jax import lower  # the package imports the lowering table

    step = lower(body)
    carries = list(arrays[:n_carry])
    sequences = list(arrays[n_carry:n_carry + n_seq])
    invariants = list(arrays[n_carry + n_seq:])

    def run(carry, slices):
        outputs = step(*carry, *slices, *invariants)
        # A body output may be a host constant or a weakly typed value: the carry keeps its type.
        new = [lax.convert_element_type(o, c.dtype) for o, c in zip(outputs[:n_carry], carry)]
        return new, list(outputs[n_carry:]) + [carry[i] for i in saved]

    final, stacked = lax.scan(run, carries, sequences, length=None if sequences else length, reverse=reverse)
    return list(final) + list(stacked)


LOWERINGS = {"scan": scan}
