"""Metrics by Keras 3 name: state in variables, updated in the graph, read on the host.

`metric.update_graph(y_true, y_pred, sample_weight)` gives the `(variable, new_value)`
updates a compiled step applies; `metric.result()` reads the variables with NumPy;
`metric.update_state(...)` is the eager form on arrays; `layered.metrics.get` resolves
names, classes, objects and plain functions.
"""
from layered import losses
from layered.metrics.accuracy import (Accuracy as Accuracy, BinaryAccuracy as BinaryAccuracy,
                                      CategoricalAccuracy as CategoricalAccuracy,
                                      SparseCategoricalAccuracy as SparseCategoricalAccuracy,
                                      SparseTopKCategoricalAccuracy as SparseTopKCategoricalAccuracy,
                                      TopKCategoricalAccuracy as TopKCategoricalAccuracy, accuracy as accuracy,
                                      binary_accuracy as binary_accuracy, categorical_accuracy as categorical_accuracy,
                                      in_top_k as in_top_k, sparse_categorical_accuracy as sparse_categorical_accuracy,
                                      sparse_top_k_categorical_accuracy as sparse_top_k_categorical_accuracy,
                                      top_k_categorical_accuracy as top_k_categorical_accuracy)
from layered.metrics.auc import AUC as AUC
from layered.metrics.base import Mean as Mean, MeanMetricWrapper as MeanMetricWrapper, Metric as Metric, Sum as Sum
from layered.metrics.confusion import (FalseNegatives as FalseNegatives, FalsePositives as FalsePositives,
                                       Precision as Precision, PrecisionAtRecall as PrecisionAtRecall,
                                       Recall as Recall, RecallAtPrecision as RecallAtPrecision,
                                       SensitivityAtSpecificity as SensitivityAtSpecificity,
                                       SpecificityAtSensitivity as SpecificityAtSensitivity,
                                       TrueNegatives as TrueNegatives, TruePositives as TruePositives)
from layered.metrics.correlation import (ConcordanceCorrelation as ConcordanceCorrelation,
                                         PearsonCorrelation as PearsonCorrelation,
                                         concordance_correlation as concordance_correlation,
                                         pearson_correlation as pearson_correlation)
from layered.metrics.f_score import F1Score as F1Score, FBetaScore as FBetaScore
from layered.metrics.iou import (IoU as IoU, BinaryIoU as BinaryIoU, MeanIoU as MeanIoU, OneHotIoU as OneHotIoU,
                                 OneHotMeanIoU as OneHotMeanIoU)
from layered.metrics.regression import (BinaryCrossentropy as BinaryCrossentropy,
                                        CategoricalCrossentropy as CategoricalCrossentropy,
                                        CategoricalHinge as CategoricalHinge, CosineSimilarity as CosineSimilarity,
                                        Hinge as Hinge, KLDivergence as KLDivergence, LogCoshError as LogCoshError,
                                        MeanAbsoluteError as MeanAbsoluteError,
                                        MeanAbsolutePercentageError as MeanAbsolutePercentageError,
                                        MeanSquaredError as MeanSquaredError,
                                        MeanSquaredLogarithmicError as MeanSquaredLogarithmicError, Poisson as Poisson,
                                        R2Score as R2Score, RootMeanSquaredError as RootMeanSquaredError,
                                        SparseCategoricalCrossentropy as SparseCategoricalCrossentropy,
                                        SquaredHinge as SquaredHinge, cosine_similarity as cosine_similarity)
from layered.registry import lookup

# The per-sample loss functions keras.metrics also exports, under the same names.
binary_crossentropy = losses.binary_crossentropy
binary_focal_crossentropy = losses.binary_focal_crossentropy
categorical_crossentropy = losses.categorical_crossentropy
categorical_focal_crossentropy = losses.categorical_focal_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy
hinge = losses.hinge
squared_hinge = losses.squared_hinge
categorical_hinge = losses.categorical_hinge
huber = losses.huber
kl_divergence = losses.kl_divergence
log_cosh = losses.log_cosh
mean_absolute_error = losses.mean_absolute_error
mean_absolute_percentage_error = losses.mean_absolute_percentage_error
mean_squared_error = losses.mean_squared_error
mean_squared_logarithmic_error = losses.mean_squared_logarithmic_error
poisson = losses.poisson

# Names `get` resolves: a Metric class (instantiated with the name given) or a per-sample
# function (wrapped in a MeanMetricWrapper of that name).
METRICS = {
    "accuracy": Accuracy, "acc": Accuracy,
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError, "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError, "root_mean_squared_error": RootMeanSquaredError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError, "msle": MeanSquaredLogarithmicError,
    "MSLE": MeanSquaredLogarithmicError,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "hinge": Hinge,
    "cosine_similarity": CosineSimilarity, "huber": losses.huber,
    "auc": AUC, "precision": Precision, "recall": Recall,
    "true_positives": TruePositives, "false_positives": FalsePositives,
    "true_negatives": TrueNegatives, "false_negatives": FalseNegatives,
    "log_cosh_error": LogCoshError, "poisson": Poisson, "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge, "r2_score": R2Score, "f1_score": F1Score, "f_beta_score": FBetaScore,
    "pearson_correlation": PearsonCorrelation, "concordance_correlation": ConcordanceCorrelation,
    # These need constructor arguments: by name they fail as in Keras, with a TypeError naming them.
    "io_u": IoU, "mean_io_u": MeanIoU, "binary_io_u": BinaryIoU, "one_hot_io_u": OneHotIoU,
    "one_hot_mean_io_u": OneHotMeanIoU, "precision_at_recall": PrecisionAtRecall,
    "recall_at_precision": RecallAtPrecision, "sensitivity_at_specificity": SensitivityAtSpecificity,
    "specificity_at_sensitivity": SpecificityAtSensitivity,
}

CLASSES = {cls.__name__: cls for cls in (
    Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
    RootMeanSquaredError, MeanSquaredLogarithmicError, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, KLDivergence, Hinge, CosineSimilarity, AUC, Precision, Recall,
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives, MeanAbsolutePercentageError, LogCoshError, Poisson,
    SquaredHinge, CategoricalHinge, R2Score, F1Score, FBetaScore, PearsonCorrelation, ConcordanceCorrelation, IoU,
    MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU, PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,
    SpecificityAtSensitivity)}

# Per-sample functions by name, for MeanMetricWrapper configs.
FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy, cosine_similarity, pearson_correlation, concordance_correlation)}
FUNCTIONS.update({name: fn for name, fn in losses.LOSS_FUNCTIONS.items() if name not in FUNCTIONS})


def serialize(metric):
    """`{"class_name": ..., "config": ...}` for a metric object, as Keras saves it."""
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config):
    """A metric object from `serialize`'s dict."""
    return lookup(CLASSES, config["class_name"], "metric class").from_config(config["config"])


def get(identifier):
    """A new metric object from a name, a class, a config dict or a function; objects pass through.

    A name gives a metric called by that name ('mse' gives a MeanSquaredError named
    'mse'); 'accuracy' gives the exact-match `Accuracy` (compile picks binary, categorical
    or sparse accuracy itself). A function `(y_true, y_pred) -> per-sample values` is
    wrapped in a MeanMetricWrapper named after it. An unknown name raises a ValueError
    listing the valid names and the closest one.

    Example:
        layered.metrics.get("auc")  # AUC(name='auc')
        layered.metrics.get(my_fn)  # MeanMetricWrapper(my_fn, name='my_fn')
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier in CLASSES:
            return CLASSES[identifier](name=identifier)  # Keras logs the string as given
        entry = lookup(METRICS, identifier, "metric")
        if isinstance(entry, type):
            return entry(name=identifier)
        return MeanMetricWrapper(entry, name=identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(f"cannot interpret {identifier!r} as a metric: give a name, a Metric class or object, "
                     "or a function (y_true, y_pred) -> per-sample values")
