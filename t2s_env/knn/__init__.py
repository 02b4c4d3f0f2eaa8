"""The downstream evaluation: L2-normalised pooled features and a weighted 5-NN classifier."""

from t2s_env.knn.classify import knn_accuracy, knn_predict
from t2s_env.knn.features import extract_features, prepare_images

__all__ = ["extract_features", "knn_accuracy", "knn_predict", "prepare_images"]
