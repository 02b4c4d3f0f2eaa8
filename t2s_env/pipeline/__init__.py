"""The live evaluation pipeline: render -> pre-train -> features -> k-NN, written once.

1. render the recipe's pre-training set with the simulator for the configuration (seeded);
2. pre-train the recipe's backbone from scratch to classify the rendered object classes;
3. extract L2-normalised pooled penultimate features of the task's k-NN memory and test images;
4. classify the test images by a 5-NN vote weighted by ``exp(cosine / 0.07)``; the reward is
   the top-1 accuracy.

Steps 1-2 do not depend on the task: a backbone (:class:`BackboneKey`: configuration, simulator
and version, recipe, seed) is pre-trained once and scored on every task
(:func:`evaluate_backbone`), and a :class:`BackboneCache` keeps it so that one more task later
costs only steps 3-4. The live reward source, ``t2s recommend --pretrain``, sweeps and
``benchmarks/live_reward.py`` all call these functions.

>>> from t2s_env.pipeline import BackboneJob, evaluate_backbone, group_by_backbone
"""

from t2s_env.pipeline.cache import BackboneCache, BackboneKey, PretrainedBackbone
from t2s_env.pipeline.evaluate import (
    BackboneJob,
    EvaluationRequest,
    backbone_for,
    evaluate,
    evaluate_backbone,
    evaluate_each,
    group_by_backbone,
    score,
)
from t2s_env.pipeline.stages import PreparedTask, prepare_task, pretrain, score_model

__all__ = [
    "BackboneCache",
    "BackboneJob",
    "BackboneKey",
    "EvaluationRequest",
    "PreparedTask",
    "PretrainedBackbone",
    "backbone_for",
    "evaluate",
    "evaluate_backbone",
    "evaluate_each",
    "group_by_backbone",
    "prepare_task",
    "pretrain",
    "score",
    "score_model",
]
