"""The paper's agent: a REINFORCE policy with a greedy baseline and self-imitation (Task2Sim,
Mishra et al. CVPR 2022, sec. 3.2-3.3 and the supplementary training details).

Policy: an MLP ``dim -> 400 -> 400`` (ReLU) with one softmax head per knob. Each update takes a
batch of tasks; for each task it samples one configuration from the softmax with exploration
noise ``eps = 0.4 / ceil((epoch + 1) / 5)`` moved from the argmax option to the others, and asks
the env for its reward and for the reward of the policy's argmax configuration on the same task
(the greedy baseline, through ``reset(options={"task": ...})``). The loss of task ``i`` is
``-(r_i - r_i^greedy) * log q_i(a_i)`` with **its own** action ``a_i`` and advantage: the
authors' code indexes a ``(B, options)`` probability matrix with the whole batch's actions,
``probs[:, actions]``, which yields a ``(B, B)`` matrix and mixes the tasks of a batch in the
loss; this implementation does not (tested in ``tests/test_agents_paper.py``). From epoch 50 on,
each update adds 5 self-imitation steps, each the same loss on each task's best configuration
found so far (advantage ``r_best - r_greedy``; the greedy action and the best so far are
recomputed before each step, so a greedy query that beats the best becomes the next target).
SGD with momentum 0.9 and weight decay, linear warm-up over 50 epochs, lr x0.1 at epoch 500.

**Why it is fast.** The first layer has 9,600 x 400 weights, but SGD only ever adds to it
outer products ``x^T g`` of the inputs it trained on, and weight decay scales it uniformly. So
``W1 = s * W1_init + X^T C`` exactly, with ``X`` the distinct training inputs (12 for the seen
tasks) and ``C`` a ``(12, 400)`` coefficient matrix; the momentum buffer has the same form. The
agent keeps ``s``, ``C`` and ``X W1_init`` instead of ``W1``: every update is the one PyTorch's
SGD would make (tested against ``torch.optim.SGD`` on the full matrix), at a few microseconds.

>>> agent = Task2SimAgent(Task2SimConfig(hidden=8), seed=0)
>>> import numpy as np
>>> obs = np.random.default_rng(0).normal(size=(3, 20))
>>> agent.act(obs, deterministic=True).shape
(3, 8)
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.base import (
    check_batch,
    check_positive,
    check_unit,
    query,
    read_state,
    rng_state,
    set_rng_state,
    write_state,
)
from t2s_env.space import PAPER_SPACE, KnobSpace


@functools.cache
def _blas() -> Any:
    """The process's thread pools (made on first use: finding them takes milliseconds)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@dataclass(frozen=True)
class Task2SimConfig:
    """Hyperparameters of the paper's agent (defaults: the authors' published setup)."""

    hidden: int = 400
    """Width of both hidden layers."""
    lr: float = 1e-3
    """Base learning rate of SGD."""
    momentum: float = 0.9
    """SGD momentum (PyTorch convention: ``buf = m * buf + grad``, no dampening)."""
    weight_decay: float = 1e-5
    """L2 penalty added to every parameter's gradient (biases too, as in the authors' setup)."""
    warmup_epochs: int = 50
    """Epochs of linear warm-up from ``warmup_lr`` to ``lr``."""
    warmup_lr: float = 1e-6
    """Learning rate at epoch 0."""
    decay_epoch: int = 500
    """Every ``decay_epoch`` epochs the learning rate is multiplied by ``decay_gamma``."""
    decay_gamma: float = 0.1
    """Step-decay factor."""
    epochs: int = 1000
    """Epochs of the full schedule (one epoch = every training task once)."""
    batch_size: int = 4
    """Tasks per update."""
    exploration: float = 0.4
    """Initial exploration noise ``eps`` moved from the argmax option to the others."""
    exploration_decay_epochs: int = 5
    """``eps = exploration / ceil((epoch + 1) / exploration_decay_epochs)``."""
    imitation_start: int = 50
    """First epoch with self-imitation steps."""
    imitation_steps: int = 5
    """Self-imitation steps after each policy step from ``imitation_start`` on."""
    reward_scale: float = 100.0
    """Advantages are multiplied by this: the authors' table holds accuracies in percent, the
    env's rewards are fractions, so 100 keeps the paper's effective step sizes."""
    reuse_measurements: bool = True
    """Re-use the remembered reward of a (task, configuration) the agent has already measured
    instead of querying the env again (each query is a pre-training run in reality). Identical
    results on a noise-free table; set ``False`` to re-measure in a noisy env."""

    def __post_init__(self) -> None:
        for name in ("hidden", "epochs", "batch_size", "exploration_decay_epochs", "decay_epoch"):
            v = getattr(self, name)
            if not (isinstance(v, int) and v >= 1):
                raise ValueError(f"{name} must be an int >= 1, got {v!r}")
        for name in ("warmup_epochs", "imitation_start", "imitation_steps"):
            v = getattr(self, name)
            if not (isinstance(v, int) and v >= 0):
                raise ValueError(f"{name} must be an int >= 0, got {v!r}")
        check_positive("lr", self.lr)
        check_positive("warmup_lr", self.warmup_lr)
        check_positive("weight_decay", self.weight_decay, allow_zero=True)
        check_unit("momentum", self.momentum)
        check_unit("decay_gamma", self.decay_gamma)
        check_unit("exploration", self.exploration)
        check_positive("reward_scale", self.reward_scale)

    def learning_rate(self, epoch: int) -> float:
        """The learning rate of ``epoch``: linear warm-up, then step decay."""
        if epoch < self.warmup_epochs:
            return self.warmup_lr + (self.lr - self.warmup_lr) * epoch / self.warmup_epochs
        return self.lr * self.decay_gamma ** (epoch // self.decay_epoch)

    def epsilon(self, epoch: int) -> float:
        """Exploration noise of ``epoch``."""
        return self.exploration / math.ceil((epoch + 1) / self.exploration_decay_epochs)


_DENSE = ("b1", "w2", "b2", "wh", "bh")


class Task2SimAgent:
    """The paper's REINFORCE + self-imitation policy (see the module docstring).

    Args:
        config: Hyperparameters (the paper's by default).
        seed: Seeds the weight initialisation, the task order, sampling and exploration.
        space: The knob space (one softmax head per varying knob).
    """

    name = "task2sim"
    kind = "contextual"

    def __init__(
        self, config: Task2SimConfig | None = None, seed: int = 0, space: KnobSpace = PAPER_SPACE
    ) -> None:
        self.space = space
        self._heads = np.r_[0, np.cumsum(space.nvec)]  # head j owns columns heads[j]:heads[j+1]
        self._head_of_column = np.repeat(np.arange(len(space.nvec)), space.nvec)
        self._uniform = bool(np.all(space.nvec == space.nvec[0]))
        self._fresh(Task2SimConfig() if config is None else config, seed)

    def _fresh(self, config: Task2SimConfig, seed: int) -> None:
        """The untrained state for ``config`` and ``seed`` (no parameters until the first
        observation fixes their input size); :meth:`load` starts from it too."""
        if not isinstance(config, Task2SimConfig):
            raise TypeError(f"config must be a Task2SimConfig, got {type(config)}")
        self.config = config
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        self.dim: int | None = None
        self.epoch = 0
        self.best: dict[int, tuple[float, np.ndarray]] = {}  # basis row -> best (reward, action)
        self.measured: dict[tuple[int, int], float] = {}  # (basis row, config) -> reward

    # -- parameters ------------------------------------------------------------------------------
    def _init(self, dim: int) -> None:
        """PyTorch's default ``nn.Linear`` initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        h, out = self.config.hidden, int(self._heads[-1])
        init = np.random.default_rng([self.seed, 0])  # its own stream: independent of sampling

        def uniform(fan_in: int, shape: tuple[int, ...]) -> np.ndarray:
            bound = 1 / math.sqrt(fan_in)
            return init.uniform(-bound, bound, shape).astype(np.float32)

        self.dim = dim
        self._w1_init = uniform(dim, (dim, h))
        self.p: dict[str, Any] = {
            "b1": uniform(dim, (h,)),
            "w2": uniform(h, (h, h)),
            "b2": uniform(h, (h,)),
            "wh": uniform(h, (h, out)),
            "bh": uniform(h, (out,)),
        }
        self.buf = {k: np.zeros_like(v) for k, v in self.p.items()}
        # W1 = s * W1_init + basis^T @ coef; its momentum buffer = buf_s * W1_init + basis^T @ buf_coef
        self.s, self.buf_s = 1.0, 0.0
        self.basis = np.zeros((0, dim))
        self.basis_w1 = np.zeros((0, h), np.float32)  # basis @ W1_init
        self.gram = np.zeros((0, 0), np.float32)  # basis @ basis^T
        self.coef = np.zeros((0, h), np.float32)
        self.buf_coef = np.zeros((0, h), np.float32)
        self._basis_index: dict[bytes, int] = {}

    def _basis_rows(self, obs: np.ndarray) -> np.ndarray:
        """Basis row of each training input, adding new inputs to the basis."""
        rows = []
        for x in obs:
            key = x.tobytes()
            if key not in self._basis_index:
                self._basis_index[key] = len(self.basis)
                self.basis = np.vstack([self.basis, x])
                x32 = x.astype(np.float32)
                self.basis_w1 = np.vstack([self.basis_w1, x32 @ self._w1_init])
                g = (self.basis @ x).astype(np.float32)
                self.gram = np.block([[self.gram, g[:-1, None]], [g[None, :-1], g[-1:, None]]])
                zeros = np.zeros((1, self.config.hidden), np.float32)
                self.coef = np.vstack([self.coef, zeros])
                self.buf_coef = np.vstack([self.buf_coef, zeros])
            rows.append(self._basis_index[key])
        return np.array(rows, dtype=np.int64)

    def _forward_pre(self, xw: np.ndarray, xb: np.ndarray) -> tuple[np.ndarray, ...]:
        """Forward pass from ``xw = x W1_init`` and ``xb = x basis^T``: (z1, h1, z2, h2, probs)."""
        z1 = self.s * xw + xb @ self.coef + self.p["b1"]
        h1 = np.maximum(z1, 0)
        z2 = h1 @ self.p["w2"] + self.p["b2"]
        h2 = np.maximum(z2, 0)
        logits = h2 @ self.p["wh"] + self.p["bh"]
        starts, head = self._heads[:-1], self._head_of_column
        e = np.exp(logits - np.maximum.reduceat(logits, starts, axis=1)[:, head])
        return z1, h1, z2, h2, e / np.add.reduceat(e, starts, axis=1)[:, head]

    def _forward_rows(self, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """Forward pass of training inputs (basis rows): no 9,600-wide product at all."""
        return self._forward_pre(self.basis_w1[rows], self.gram[rows])

    def _forward(self, obs: np.ndarray) -> tuple[np.ndarray, ...]:
        """Forward pass of any inputs."""
        if self.dim is None:
            self._init(obs.shape[1])
        rows = np.array([self._basis_index.get(x.tobytes(), -1) for x in obs], dtype=np.int64)
        # One BLAS thread, as in training: a multi-threaded BLAS sums in an order that depends
        # on the thread count, so answers and probabilities would depend on OMP_NUM_THREADS.
        with _blas().limit(limits=1, user_api="blas"):
            if (rows >= 0).all():  # training inputs: the cached products
                return self._forward_rows(rows)
            xw = obs.astype(np.float32) @ self._w1_init
            return self._forward_pre(xw, (obs @ self.basis.T).astype(np.float32))

    def probabilities(self, obs: np.ndarray) -> list[np.ndarray]:
        """The policy's option probabilities per knob: a list of ``(B, n_options)`` arrays."""
        probs = self._forward(check_batch(obs, self.dim))[-1]
        return [probs[:, a:b] for a, b in zip(self._heads[:-1], self._heads[1:], strict=True)]

    # -- acting ----------------------------------------------------------------------------------
    def _argmax(self, probs: np.ndarray) -> np.ndarray:
        """Per-knob argmax option, ``(B, K)``."""
        if self._uniform:
            return probs.reshape(len(probs), len(self.space.nvec), -1).argmax(axis=2)
        heads = zip(self._heads[:-1], self._heads[1:], strict=True)
        return np.stack([probs[:, a:b].argmax(axis=1) for a, b in heads], axis=1)

    def _noisy(self, probs: np.ndarray, eps: float) -> np.ndarray:
        """Move ``eps`` of each head's probability from its argmax option to the others, evenly
        (clipped so no probability goes negative)."""
        n = self.space.nvec[None, :]  # (1, K)
        top = self._heads[:-1] + self._argmax(probs)  # column of each head's argmax
        rows = np.arange(len(probs))[:, None]
        e = np.minimum(eps, probs[rows, top])  # (B, K)
        q = probs + (e / (n - 1))[:, self._head_of_column]
        q[rows, top] -= e + e / (n - 1)
        return q

    def _sample(self, q: np.ndarray) -> np.ndarray:
        out = np.empty((len(q), len(self._heads) - 1), dtype=np.int64)
        for j, (a, b) in enumerate(zip(self._heads[:-1], self._heads[1:], strict=True)):
            cdf = np.cumsum(q[:, a:b], axis=1)
            u = self.rng.random(len(q))[:, None] * cdf[:, -1:]
            out[:, j] = np.minimum((u > cdf).sum(axis=1), b - a - 1)
        return out

    def act(self, obs: np.ndarray, deterministic: bool = False) -> np.ndarray:
        obs = check_batch(obs, self.dim)
        probs = self._forward(obs)[-1]
        if deterministic:
            return self._argmax(probs)
        return self._sample(self._noisy(probs, self.config.epsilon(self.epoch)))

    # -- learning --------------------------------------------------------------------------------
    def _gradients(
        self,
        forward: tuple[np.ndarray, ...],
        actions: np.ndarray,
        advantages: np.ndarray,
        eps: float,
    ) -> tuple[dict[str, np.ndarray], np.ndarray, float]:
        """Gradients of ``mean_i -adv_i * log q_i(a_i)``, **each task i with its own action a_i
        and advantage adv_i**. ``q`` is the sampling distribution (the policy with noise ``eps``,
        a constant added to the probabilities; the plain policy when ``eps == 0``). Returns the
        dense gradients, the gradient at the first layer's pre-activation and the loss."""
        z1, h1, z2, h2, probs = forward
        q = self._noisy(probs, eps) if eps > 0 else probs
        b = len(actions)
        cols = self._heads[:-1] + actions  # (B, K): each task's own chosen column per knob
        rows = np.arange(b)[:, None]
        p_a, q_a = probs[rows, cols], q[rows, cols]
        loss = -float(np.sum(advantages[:, None] * np.log(q_a))) / b
        # d(-log q_a)/dz = (p_a / q_a) (p - onehot(a)) for a softmax head, q = p + constant
        c = (advantages[:, None] * p_a / q_a / b).astype(probs.dtype)
        dlogits = probs * c[:, self._head_of_column]
        dlogits[rows, cols] -= c
        g = {"wh": h2.T @ dlogits, "bh": dlogits.sum(axis=0)}
        # (W @ d^T)^T: numpy's d @ W.T takes a slow non-BLAS path for a 4-row d
        dz2 = (self.p["wh"] @ dlogits.T).T * (z2 > 0)
        g["w2"], g["b2"] = h1.T @ dz2, dz2.sum(axis=0)
        dz1 = (self.p["w2"] @ dz2.T).T * (z1 > 0)
        g["b1"] = dz1.sum(axis=0)
        return g, dz1, loss

    def _sgd(self, g: dict[str, np.ndarray], dz1: np.ndarray, rows: np.ndarray, lr: float) -> None:
        """One ``torch.optim.SGD`` step (momentum, weight decay), W1 in its basis form."""
        mu, wd = self.config.momentum, self.config.weight_decay
        for k in _DENSE:
            buf, p = self.buf[k], self.p[k]
            buf *= mu
            buf += g[k]
            buf += np.float32(wd) * p
            p -= np.float32(lr) * buf
        g_coef = np.zeros_like(self.coef)
        np.add.at(g_coef, rows, dz1)  # dL/dW1 = sum_i x_i^T dz1_i = basis^T g_coef
        self.buf_s = mu * self.buf_s + wd * self.s
        self.buf_coef *= np.float32(mu)
        self.buf_coef += g_coef + np.float32(wd) * self.coef
        self.s -= lr * self.buf_s
        self.coef -= np.float32(lr) * self.buf_coef

    def update(
        self, obs: np.ndarray, actions: np.ndarray, advantages: np.ndarray, eps: float = 0.0
    ) -> float:
        """One policy-gradient step on the loss ``mean_i -adv_i log q_i(a_i)`` (advantages as
        given, not scaled) at the current epoch's learning rate; returns the loss."""
        obs = check_batch(obs, self.dim)
        if self.dim is None:
            self._init(obs.shape[1])
        rows = self._basis_rows(obs)
        actions = np.asarray(actions, dtype=np.int64).reshape(len(obs), -1)
        return self._step(
            rows, self._forward_rows(rows), actions, np.asarray(advantages, float), eps
        )

    def _step(self, rows, forward, actions, advantages, eps) -> float:
        g, dz1, loss = self._gradients(forward, actions, advantages, eps)
        self._sgd(g, dz1, rows, self.config.learning_rate(self.epoch))
        return loss

    def _remember(self, rows: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        for r, a, rew in zip(rows.tolist(), actions, rewards, strict=True):
            if r not in self.best or rew > self.best[r][0]:
                self.best[r] = (float(rew), np.array(a, dtype=np.int64))

    def learn(self, obs: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> dict[str, float]:
        """REINFORCE on given (obs, action, reward) triples, for callers without an env.

        Without the env there is no greedy query, so the baseline is the best reward remembered
        for the task before this batch (0 for a new task). :meth:`train_batch` is the paper's
        procedure.
        """
        obs = check_batch(obs, self.dim)
        if self.dim is None:
            self._init(obs.shape[1])
        rows = self._basis_rows(obs)
        rewards = np.asarray(rewards, dtype=np.float64)
        base = np.array([self.best.get(r, (0.0, None))[0] for r in rows.tolist()])
        adv = self.config.reward_scale * (rewards - base)
        actions = np.asarray(actions, dtype=np.int64).reshape(len(obs), -1)
        loss = self._step(
            rows, self._forward_rows(rows), actions, adv, self.config.epsilon(self.epoch)
        )
        self._remember(rows, actions, rewards)
        return {"losses/policy_loss": loss}

    def _measure(
        self, env: gym.Env, tasks: list[str], rows: np.ndarray, actions: np.ndarray
    ) -> np.ndarray:
        """Rewards of ``actions`` on ``tasks``: queried through ``env`` (or, with
        ``reuse_measurements``, recalled when this (task, configuration) was measured before)."""
        out = np.empty(len(tasks))
        configs = np.atleast_1d(self.space.action_to_index(actions))
        for i, (t, r, c, a) in enumerate(
            zip(tasks, rows.tolist(), configs.tolist(), actions, strict=True)
        ):
            if self.config.reuse_measurements and (r, c) in self.measured:
                out[i] = self.measured[(r, c)]
            else:
                out[i] = self.measured[(r, c)] = query(env, t, a)[1]
        self._remember(rows, actions, out)
        return out

    def train_batch(self, env: gym.Env, tasks: list[str], epoch: int) -> dict[str, float]:
        """One step of the paper's procedure on ``tasks``, querying ``env``: a sampled action
        and the greedy baseline per task, a REINFORCE step, then (from ``imitation_start``)
        ``imitation_steps`` self-imitation steps on each task's best configuration so far."""
        self.epoch = int(epoch)
        cfg = self.config
        obs = np.stack([env.reset(options={"task": t})[0] for t in tasks]).astype(np.float64)
        if self.dim is None:
            self._init(obs.shape[1])
        rows = self._basis_rows(obs)
        eps = cfg.epsilon(epoch)
        fwd = self._forward_rows(rows)
        sampled = self._sample(self._noisy(fwd[-1], eps))
        greedy = self._argmax(fwd[-1])
        r = self._measure(env, tasks, rows, sampled)
        r_greedy = self._measure(env, tasks, rows, greedy)
        loss = self._step(rows, fwd, sampled, cfg.reward_scale * (r - r_greedy), eps)
        stats = {
            "charts/sampled_reward": float(r.mean()),
            "charts/greedy_reward_batch": float(r_greedy.mean()),
            "losses/policy_loss": loss,
        }
        if epoch >= cfg.imitation_start and cfg.imitation_steps > 0:
            sil = 0.0
            for _ in range(cfg.imitation_steps):
                # the best (reward, action) per task so far, greedy queries of the previous
                # imitation steps included (as in the authors' replay memory)
                r_best = np.array([self.best[i][0] for i in rows.tolist()])
                best = np.stack([self.best[i][1] for i in rows.tolist()])
                fwd = self._forward_rows(rows)
                r_greedy = self._measure(env, tasks, rows, self._argmax(fwd[-1]))
                sil += self._step(rows, fwd, best, cfg.reward_scale * (r_best - r_greedy), 0.0)
            stats["losses/imitation_loss"] = sil / cfg.imitation_steps
        return stats

    # -- persistence -----------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        meta: dict[str, Any] = {
            "name": self.name,
            "seed": self.seed,
            "epoch": self.epoch,
            "config": dataclasses.asdict(self.config),
            "rng": rng_state(self.rng),
            "dim": self.dim,
        }
        arrays: dict[str, np.ndarray] = {}
        if self.dim is not None:
            meta.update(s=self.s, buf_s=self.buf_s)
            meta["best"] = [[r, float(v[0]), v[1].tolist()] for r, v in self.best.items()]
            meta["measured"] = [[r, c, v] for (r, c), v in self.measured.items()]
            arrays = {f"p_{k}": v for k, v in self.p.items()}
            arrays.update({f"buf_{k}": v for k, v in self.buf.items()})
            arrays.update(basis=self.basis, coef=self.coef, buf_coef=self.buf_coef)
        write_state(path, meta, arrays)

    def load(self, path: str | Path) -> None:
        meta, arrays = read_state(path, self.name)
        self._fresh(Task2SimConfig(**meta["config"]), meta["seed"])
        set_rng_state(self.rng, meta["rng"])
        self.epoch = int(meta["epoch"])
        if meta["dim"] is None:
            return
        dim = meta["dim"]
        if isinstance(dim, bool) or not isinstance(dim, int) or not 1 <= dim <= 10**6:
            raise ValueError(f"dim must be an integer in [1, 1e6], got {dim!r}")
        self._init(dim)  # re-draws W1_init from the seed (not stored: 30 MB)
        self.p = {k: _checked(arrays[f"p_{k}"], v.shape, f"p_{k}") for k, v in self.p.items()}
        self.buf = {
            k: _checked(arrays[f"buf_{k}"], v.shape, f"buf_{k}") for k, v in self.buf.items()
        }
        self.s, self.buf_s = float(meta["s"]), float(meta["buf_s"])
        basis = np.asarray(arrays["basis"])
        if basis.ndim != 2 or basis.shape[1] != dim or not np.all(np.isfinite(basis)):
            raise ValueError(f"basis has shape {basis.shape}, expected (rows, {dim}), finite")
        self._basis_rows(basis.astype(np.float64))
        rows = (len(self.basis), self.config.hidden)
        self.coef = _checked(arrays["coef"], rows, "coef")
        self.buf_coef = _checked(arrays["buf_coef"], rows, "buf_coef")
        self.best = {int(r): (float(v), np.array(a, np.int64)) for r, v, a in meta["best"]}
        self.measured = {(int(r), int(c)): float(v) for r, c, v in meta["measured"]}
        for r, (_, action) in self.best.items():
            if (
                not 0 <= r < rows[0]
                or action.shape != (len(self.space.nvec),)
                or np.any((action < 0) | (action >= self.space.nvec))
            ):
                raise ValueError(f"the best action of basis row {r} is not an action of the space")
        if any(not (0 <= r < rows[0] and 0 <= c < self.space.size) for r, c in self.measured):
            raise ValueError("a measured (row, configuration) is out of range")


def _checked(array: np.ndarray, shape: tuple[int, ...], name: str) -> np.ndarray:
    """A float32 copy of a saved parameter, which must have ``shape`` and be finite."""
    a = np.asarray(array)
    if a.shape != tuple(shape) or a.dtype.kind != "f" or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} has shape {a.shape} ({a.dtype}), expected {tuple(shape)}, finite")
    return a.astype(np.float32)
