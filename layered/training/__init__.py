"""Compiling graphs that read and update variables, and (later) the fit loop."""
from layered.training.function import Function as Function, function as function
