"""The implementation modules of `layered.ops` beyond its core (see `layered/ops.py`)."""
