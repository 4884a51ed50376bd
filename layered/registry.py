"""Name lookups shared by activations, initializers, losses and optimizers.

Each family keeps a literal dict of names; `lookup` resolves one and, for an unknown
name, raises an error listing the valid names and the closest match.
"""
import difflib


def lookup(table, name, kind):
    """`table[name]`, or a ValueError naming the valid choices and the closest one."""
    try:
        return table[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(table), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"unknown {kind} '{name}'. Valid names: {', '.join(sorted(table))}.{hint}") from None
