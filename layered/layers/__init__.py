"""Layers by Keras 3 name, one module per family."""
from layered.layers.adaptive_pooling import AdaptiveAveragePooling1D as AdaptiveAveragePooling1D
from layered.layers.adaptive_pooling import AdaptiveAveragePooling2D as AdaptiveAveragePooling2D
from layered.layers.adaptive_pooling import AdaptiveAveragePooling3D as AdaptiveAveragePooling3D
from layered.layers.adaptive_pooling import AdaptiveMaxPooling1D as AdaptiveMaxPooling1D
from layered.layers.adaptive_pooling import AdaptiveMaxPooling2D as AdaptiveMaxPooling2D
from layered.layers.adaptive_pooling import AdaptiveMaxPooling3D as AdaptiveMaxPooling3D
from layered.layers.activation import ELU as ELU, LeakyReLU as LeakyReLU, PReLU as PReLU, ReLU as ReLU
from layered.layers.activation import Softmax as Softmax
from layered.layers.core import Activation as Activation, Dense as Dense, Identity as Identity
from layered.layers.core import Input as Input, InputLayer as InputLayer
from layered.layers.core import Lambda as Lambda
from layered.layers.attention import Attention as Attention, MultiHeadAttention as MultiHeadAttention
from layered.layers.attention import AdditiveAttention as AdditiveAttention
from layered.layers.grouped_query_attention import GroupedQueryAttention as GroupedQueryAttention
from layered.layers.grouped_query_attention import GroupQueryAttention as GroupQueryAttention
from layered.layers.conv_lstm import ConvLSTM1D as ConvLSTM1D, ConvLSTM2D as ConvLSTM2D, ConvLSTM3D as ConvLSTM3D
from layered.layers.convolutional import Conv1D as Conv1D, Conv2D as Conv2D, Conv3D as Conv3D
from layered.layers.convolutional import Conv1DTranspose as Conv1DTranspose, Conv2DTranspose as Conv2DTranspose
from layered.layers.convolutional import Conv3DTranspose as Conv3DTranspose
from layered.layers.convolutional import DepthwiseConv1D as DepthwiseConv1D, DepthwiseConv2D as DepthwiseConv2D
from layered.layers.convolutional import SeparableConv1D as SeparableConv1D, SeparableConv2D as SeparableConv2D
from layered.layers.einsum_dense import EinsumDense as EinsumDense
from layered.layers.encoding import CategoryEncoding as CategoryEncoding, Discretization as Discretization
from layered.layers.embedding import Embedding as Embedding
from layered.layers.merging import Add as Add, Average as Average, Concatenate as Concatenate
from layered.layers.merging import Maximum as Maximum, Minimum as Minimum, Multiply as Multiply
from layered.layers.merging import Subtract as Subtract, add as add, concatenate as concatenate
from layered.layers.merging import Dot as Dot, average as average, dot as dot, maximum as maximum
from layered.layers.merging import minimum as minimum, multiply as multiply, subtract as subtract
from layered.layers.image_preprocessing import CenterCrop as CenterCrop, RandomFlip as RandomFlip
from layered.layers.image_preprocessing import RandomCrop as RandomCrop, Resizing as Resizing
from layered.layers.image_augmentation import RandomRotation as RandomRotation, RandomZoom as RandomZoom
from layered.layers.image_augmentation import RandomTranslation as RandomTranslation
from layered.layers.image_augmentation import RandomBrightness as RandomBrightness, RandomContrast as RandomContrast
from layered.layers.normalization import BatchNormalization as BatchNormalization
from layered.layers.normalization import GroupNormalization as GroupNormalization
from layered.layers.normalization import LayerNormalization as LayerNormalization
from layered.layers.normalization import UnitNormalization as UnitNormalization
from layered.layers.normalization import RMSNormalization as RMSNormalization
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
from layered.layers.recurrent_cells import StackedRNNCells as StackedRNNCells
from layered.layers.regularization import Dropout as Dropout
from layered.layers.regularization import ActivityRegularization as ActivityRegularization
from layered.layers.regularization import GaussianDropout as GaussianDropout, GaussianNoise as GaussianNoise
from layered.layers.regularization import SpatialDropout1D as SpatialDropout1D
from layered.layers.regularization import SpatialDropout2D as SpatialDropout2D
from layered.layers.regularization import AlphaDropout as AlphaDropout, SpatialDropout3D as SpatialDropout3D
from layered.layers.reshaping import Flatten as Flatten, Reshape as Reshape
from layered.layers.reshaping import Cropping1D as Cropping1D, Cropping2D as Cropping2D, Masking as Masking
from layered.layers.reshaping import Permute as Permute, RepeatVector as RepeatVector
from layered.layers.reshaping import UpSampling1D as UpSampling1D, UpSampling2D as UpSampling2D
from layered.layers.reshaping import ZeroPadding1D as ZeroPadding1D, ZeroPadding2D as ZeroPadding2D
from layered.layers.reshaping import Cropping3D as Cropping3D, UpSampling3D as UpSampling3D
from layered.layers.reshaping import ZeroPadding3D as ZeroPadding3D
from layered.layers.wrappers import Bidirectional as Bidirectional, TimeDistributed as TimeDistributed
from layered.layers.wrappers import Pipeline as Pipeline, Wrapper as Wrapper
from layered.models.layer import InputSpec as InputSpec, Layer as Layer

# Keras's alternative names for the same classes (a saved config names the class itself).
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D


def serialize(layer):
    """A layer as Keras's `{"class_name": ..., "config": ...}` dict (JSON-ready).

    Example:
        config = layered.layers.serialize(layered.layers.Dense(3))
    """
    from layered.saving.serialization import serialize_layer
    return serialize_layer(layer)


def deserialize(config, custom_objects=None):
    """The layer that `serialize` described; custom classes come from `custom_objects`.

    Example:
        layer = layered.layers.deserialize({"class_name": "Dense", "config": {"units": 3}})
    """
    from layered.saving.serialization import deserialize_layer
    return deserialize_layer(config, custom_objects)
