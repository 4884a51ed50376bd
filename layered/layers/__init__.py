"""Layers by Keras 3 name, one module per family."""
from layered.layers.core import Activation as Activation, Dense as Dense, Identity as Identity
from layered.layers.core import Input as Input, InputLayer as InputLayer
from layered.layers.merging import Add as Add, Average as Average, Concatenate as Concatenate
from layered.layers.merging import Maximum as Maximum, Minimum as Minimum, Multiply as Multiply
from layered.layers.merging import Subtract as Subtract, add as add, concatenate as concatenate
from layered.layers.regularization import Dropout as Dropout
from layered.layers.reshaping import Flatten as Flatten, Reshape as Reshape
from layered.models.layer import InputSpec as InputSpec, Layer as Layer
