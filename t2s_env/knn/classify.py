"""Weighted k-nearest-neighbour classification by cosine similarity.

Each test point takes its ``k`` most similar training points (cosine of L2-normalised features);
each neighbour votes for its label with weight ``exp(similarity / temperature)``; the class with
the largest total wins (top-1). The paper's protocol: ``k = 5``, ``temperature = 0.07``.

>>> import torch
>>> train = torch.nn.functional.normalize(torch.tensor([[1.0, 0], [0.9, 0.1], [0, 1.0]]), dim=1)
>>> test = torch.nn.functional.normalize(torch.tensor([[1.0, 0.05], [0.1, 1.0]]), dim=1)
>>> knn_predict(train, torch.tensor([0, 0, 1]), test, num_classes=2, k=2).tolist()
[0, 1]
"""

from __future__ import annotations

import torch


def knn_predict(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    num_classes: int,
    k: int = 5,
    temperature: float = 0.07,
    chunk: int = 1024,
) -> torch.Tensor:
    """Predicted labels ``int64 (M,)`` of ``test_features`` (features must be L2-normalised)."""
    if train_features.ndim != 2 or test_features.ndim != 2:
        raise ValueError("features must be 2-D (N, D)")
    if train_features.shape[1] != test_features.shape[1]:
        raise ValueError(
            f"train features have {train_features.shape[1]} dims, test {test_features.shape[1]}"
        )
    if len(train_labels) != len(train_features):
        raise ValueError(f"{len(train_labels)} labels for {len(train_features)} train features")
    if k < 1 or temperature <= 0:
        raise ValueError(f"k must be >= 1 and temperature > 0, got k={k}, T={temperature}")
    k = min(k, len(train_features))
    labels = train_labels.to(train_features.device, torch.int64)
    preds = []
    for start in range(0, len(test_features), chunk):
        sims = test_features[start : start + chunk] @ train_features.T
        top_sim, top_idx = sims.topk(k, dim=1)
        votes = torch.zeros(len(sims), num_classes, device=sims.device)
        votes.scatter_add_(1, labels[top_idx], torch.exp(top_sim / temperature))
        preds.append(votes.argmax(dim=1))
    return torch.cat(preds) if preds else torch.zeros(0, dtype=torch.int64)


def knn_accuracy(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    test_labels: torch.Tensor,
    num_classes: int,
    k: int = 5,
    temperature: float = 0.07,
) -> float:
    """Top-1 accuracy (fraction) of :func:`knn_predict` on ``test_labels``."""
    if len(test_labels) == 0:
        raise ValueError("no test images to evaluate")
    pred = knn_predict(train_features, train_labels, test_features, num_classes, k, temperature)
    return float((pred.cpu() == test_labels.cpu().to(torch.int64)).float().mean())
