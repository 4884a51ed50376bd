"""Layers by Keras 3 name, one module per family."""
from layered.layers.core import Activation as Activation, Dense as Dense, Identity as Identity
from layered.layers.core import Input as Input, InputLayer as InputLayer
from layered.layers.core import Lambda as Lambda
from layered.layers.attention import Attention as Attention, MultiHeadAttention as MultiHeadAttention
from layered.layers.convolutional import Conv1D as Conv1D, Conv2D as Conv2D, Conv3D as Conv3D
from layered.layers.convolutional import Conv1DTranspose as Conv1DTranspose, Conv2DTranspose as Conv2DTranspose
from layered.layers.convolutional import DepthwiseConv1D as DepthwiseConv1D, DepthwiseConv2D as DepthwiseConv2D
from layered.layers.convolutional import SeparableConv1D as SeparableConv1D, SeparableConv2D as SeparableConv2D
from layered.layers.embedding import Embedding as Embedding
from layered.layers.merging import Add as Add, Average as Average, Concatenate as Concatenate
from layered.layers.merging import Maximum as Maximum, Minimum as Minimum, Multiply as Multiply
from layered.layers.merging import Subtract as Subtract, add as add, concatenate as concatenate
from layered.layers.merging import Dot as Dot
from layered.layers.normalization import BatchNormalization as BatchNormalization
from layered.layers.normalization import GroupNormalization as GroupNormalization
from layered.layers.normalization import LayerNormalization as LayerNormalization
from layered.layers.normalization import UnitNormalization as UnitNormalization
from layered.layers.pooling import AveragePooling1D as AveragePooling1D, AveragePooling2D as AveragePooling2D
from layered.layers.pooling import AveragePooling3D as AveragePooling3D, MaxPooling1D as MaxPooling1D
from layered.layers.pooling import MaxPooling2D as MaxPooling2D, MaxPooling3D as MaxPooling3D
from layered.layers.pooling import GlobalAveragePooling1D as GlobalAveragePooling1D
from layered.layers.pooling import GlobalAveragePooling2D as GlobalAveragePooling2D
from layered.layers.pooling import GlobalAveragePooling3D as GlobalAveragePooling3D
from layered.layers.pooling import GlobalMaxPooling1D as GlobalMaxPooling1D
from layered.layers.pooling import GlobalMaxPooling2D as GlobalMaxPooling2D
from layered.layers.pooling import GlobalMaxPooling3D as GlobalMaxPooling3D
from layered.layers.preprocessing import Normalization as Normalization, Rescaling as Rescaling
from layered.layers.recurrent import GRU as GRU, LSTM as LSTM, RNN as RNN, SimpleRNN as SimpleRNN
from layered.layers.recurrent_cells import GRUCell as GRUCell, LSTMCell as LSTMCell, SimpleRNNCell as SimpleRNNCell
from layered.layers.regularization import Dropout as Dropout
from layered.layers.regularization import ActivityRegularization as ActivityRegularization
from layered.layers.regularization import GaussianDropout as GaussianDropout, GaussianNoise as GaussianNoise
from layered.layers.regularization import SpatialDropout1D as SpatialDropout1D
from layered.layers.regularization import SpatialDropout2D as SpatialDropout2D
from layered.layers.reshaping import Flatten as Flatten, Reshape as Reshape
from layered.layers.reshaping import Cropping1D as Cropping1D, Cropping2D as Cropping2D, Masking as Masking
from layered.layers.reshaping import Permute as Permute, RepeatVector as RepeatVector
from layered.layers.reshaping import UpSampling1D as UpSampling1D, UpSampling2D as UpSampling2D
from layered.layers.reshaping import ZeroPadding1D as ZeroPadding1D, ZeroPadding2D as ZeroPadding2D
from layered.layers.wrappers import Bidirectional as Bidirectional, TimeDistributed as TimeDistributed
from layered.models.layer import InputSpec as InputSpec, Layer as Layer
