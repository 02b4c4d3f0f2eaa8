"""Which evaluations a sweep runs: tasks x configurations x seeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from t2s_env.datasets import DatasetSpec
from t2s_env.pipeline import EvaluationRequest
from t2s_env.pretrain import Recipe, get_recipe
from t2s_env.rewards.live import as_spec, default_space, is_subspace
from t2s_env.simulator import Simulator
from t2s_env.space import KnobSpace


def resolve_configs(space: KnobSpace, configs: str | Sequence[str]) -> list[str]:
    """Configuration keys: ``"all"`` (every configuration, flat-index order) or explicit keys.

    >>> from t2s_env.space import PAPER_SPACE
    >>> len(resolve_configs(PAPER_SPACE, "all"))
    256
    >>> resolve_configs(PAPER_SPACE, ["1_1_1_1_1_3_0_1_1"])
    ['1_1_1_1_1_3_0_1_1']
    """
    if isinstance(configs, str):
        configs = [configs]
    if list(configs) == ["all"]:
        return space.all_keys()
    keys = []
    for key in configs:
        try:
            keys.append(space.action_to_key(space.key_to_action(key)))
        except ValueError as exc:
            raise ValueError(f"bad configuration {key!r}: {exc}") from None
    if not keys:
        raise ValueError("configs must be 'all' or at least one configuration key")
    return list(dict.fromkeys(keys))


def plan_sweep(
    tasks: Sequence[str | DatasetSpec] | Mapping[str, str | DatasetSpec],
    configs: str | Sequence[str],
    simulator: Simulator,
    recipe: str | Recipe,
    seeds: Sequence[int] = (0,),
    space: KnobSpace | None = None,
) -> list[EvaluationRequest]:
    """One request per (task, configuration, seed), tasks innermost (the requests of one
    backbone are adjacent).

    ``configs`` are keys of ``space`` (default: :func:`~t2s_env.rewards.live.default_space`,
    the paper's 256 configurations for the embedded simulator) or ``"all"`` of them.
    """
    if isinstance(tasks, Mapping):
        specs = {str(n): as_spec(s) for n, s in tasks.items()}
    else:
        specs = {}
        for t in tasks:
            spec = as_spec(t)
            specs[spec.name] = spec
    if not specs:
        raise ValueError("a sweep needs at least one task")
    if not seeds:
        raise ValueError("a sweep needs at least one seed")
    recipe = get_recipe(recipe)
    space = default_space(simulator) if space is None else space
    if not is_subspace(space, simulator.space):
        raise ValueError(f"space {space.name!r} is not a sub-space of the simulator's knobs")
    keys = resolve_configs(space, configs)
    return [
        EvaluationRequest(name, spec, space.key_to_dict(key), simulator, recipe, seed)
        for key in keys
        for seed in seeds
        for name, spec in specs.items()
    ]
