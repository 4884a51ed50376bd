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
                                       Precision as Precision, Recall as Recall, TrueNegatives as TrueNegatives,
                                       TruePositives as TruePositives)
from layered.metrics.regression import (BinaryCrossentropy as BinaryCrossentropy,
                                        CategoricalCrossentropy as CategoricalCrossentropy,
                                        CosineSimilarity as CosineSimilarity, Hinge as Hinge,
                                        KLDivergence as KLDivergence, MeanAbsoluteError as MeanAbsoluteError,
                                        MeanSquaredError as MeanSquaredError,
                                        MeanSquaredLogarithmicError as MeanSquaredLogarithmicError,
                                        RootMeanSquaredError as RootMeanSquaredError,
                                        SparseCategoricalCrossentropy as SparseCategoricalCrossentropy,
                                        cosine_similarity as cosine_similarity)
from layered.registry import lookup

# Names `get` resolves: a Metric class (instantiated with the name given) or a per-sample
# function (wrapped in a MeanMetricWrapper of that name).
METRICS = {
    "accuracy": Accuracy, "acc": Accuracy,
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError, "msle": MeanSquaredLogarithmicError,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "hinge": Hinge,
    "cosine_similarity": CosineSimilarity, "huber": losses.huber,
    "auc": AUC, "precision": Precision, "recall": Recall,
    "true_positives": TruePositives, "false_positives": FalsePositives,
    "true_negatives": TrueNegatives, "false_negatives": FalseNegatives,
}

CLASSES = {cls.__name__: cls for cls in (
    Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
    RootMeanSquaredError, MeanSquaredLogarithmicError, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, KLDivergence, Hinge, CosineSimilarity, AUC, Precision, Recall,
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives)}

# Per-sample functions by name, for MeanMetricWrapper configs.
FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy, cosine_similarity)}
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
