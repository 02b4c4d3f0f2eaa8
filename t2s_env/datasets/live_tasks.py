"""The project's named live tasks: downstream tasks every CPU user has without a download.

Few-shot variants and class subsets of scikit-learn's digits (bundled) and Fashion-MNIST
(Debian's ``dataset-fashion-mnist``), each a spec string with its settings
(:mod:`t2s_env.datasets.spec`), so ``DatasetSpec.parse("fmnist-tops")`` is one fixed task.
They play the role of the paper's 20 tasks for the live pipeline: the seen tasks train a policy,
the unseen ones test its transfer. The split keeps both sources and both kinds of variant
(all classes, class subsets) on each side.

| task            | source        | classes                          | shots | test  | split  |
|-----------------|---------------|----------------------------------|-------|-------|--------|
| `fmnist-20shot` | Fashion-MNIST | all 10                           | 20    | 2,000 | seen   |
| `fmnist-tops`   | Fashion-MNIST | T-shirt, pullover, coat, shirt   | 20    | 1,000 | seen   |
| `fmnist-shoes`  | Fashion-MNIST | sandal, sneaker, ankle boot      | 20    | 900   | seen   |
| `digits-10shot` | digits        | all 10                           | 10    | 350   | seen   |
| `digits-0to4`   | digits        | 0-4                              | 10    | 175   | seen   |
| `fmnist-5shot`  | Fashion-MNIST | all 10                           | 5     | 2,000 | unseen |
| `fmnist-wear`   | Fashion-MNIST | trouser, dress, bag              | 20    | 900   | unseen |
| `digits-5to9`   | digits        | 5-9                              | 10    | 175   | unseen |

Test sets are class-balanced samples of each source's test split (digits: the seeded 20 %
stratified split, about 36 images a class), fixed by the spec's seed (0).

>>> sorted(live_task_split()["unseen"])
['digits-5to9', 'fmnist-5shot', 'fmnist-wear']
"""

from __future__ import annotations

LIVE_TASKS: dict[str, str] = {
    "fmnist-20shot": "fashion-mnist?shots=20&test=2000",
    "fmnist-tops": "fashion-mnist?classes=0+2+4+6&shots=20&test=1000",
    "fmnist-shoes": "fashion-mnist?classes=5+7+9&shots=20&test=900",
    "digits-10shot": "digits?shots=10&test=350",
    "digits-0to4": "digits?classes=0+1+2+3+4&shots=10&test=175",
    "fmnist-5shot": "fashion-mnist?shots=5&test=2000",
    "fmnist-wear": "fashion-mnist?classes=1+3+8&shots=20&test=900",
    "digits-5to9": "digits?classes=5+6+7+8+9&shots=10&test=175",
}
"""Name -> spec string of every named live task."""

_UNSEEN = ("fmnist-5shot", "fmnist-wear", "digits-5to9")


def live_task_split() -> dict[str, tuple[str, ...]]:
    """``{"seen": (5 names), "unseen": (3 names)}``, like :func:`t2s_env.data.load_task_split`."""
    return {
        "seen": tuple(t for t in LIVE_TASKS if t not in _UNSEEN),
        "unseen": _UNSEEN,
    }
