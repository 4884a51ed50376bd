"""The IR: tensors and nodes, the primitive table, autodiff and graph passes."""
from layered.graph.core import (Constant as Constant, Node as Node, Placeholder as Placeholder,
                                ShapeError as ShapeError, Tensor as Tensor, Variable as Variable,
                                name_scope as name_scope)
from layered.graph.primitives import PRIMITIVES as PRIMITIVES, Primitive as Primitive
from layered.graph.graph import Graph as Graph, toposort as toposort
from layered.graph.autodiff import grad as grad, NotDifferentiableError as NotDifferentiableError
