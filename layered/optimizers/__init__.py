"""Optimizers: parameter updates written as graph operations."""
from layered.optimizers.base import Optimizer as Optimizer
from layered.optimizers.sgd import SGD as SGD
