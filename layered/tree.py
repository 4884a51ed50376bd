"""Nested structures of lists, tuples and dicts, as models take and return them.

Dicts are walked in sorted key order, so a structure flattens the same way every time.
"""


def flatten(structure):
    """The leaves of `structure` in a fixed order."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    """The same structure with `fn` applied to every leaf."""
    if isinstance(structure, dict):
        return {key: map_structure(fn, structure[key]) for key in structure}
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, item) for item in structure)
    return fn(structure)


def pack_like(structure, leaves):
    """`structure` rebuilt with `leaves` (in `flatten` order) in place of its leaves."""
    leaves = iter(leaves)

    def rebuild(node):
        if isinstance(node, dict):
            return {key: rebuild(node[key]) for key in sorted(node)}
        if isinstance(node, (list, tuple)):
            return type(node)(rebuild(item) for item in node)
        return next(leaves)
    return rebuild(structure)
