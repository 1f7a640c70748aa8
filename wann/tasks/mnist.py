"""MNIST-256 classification task (the reference's ``mnist256``) and the champion's test report.

Inputs: the 60,000 training images, resized to 16x16 and deskewed as the reference does
(``envs.mnist.load_mnist``), 256 inputs; 10 linear outputs (logits). Score of a network under one
shared weight = minus the mean cross-entropy of a numerically stable log-softmax over a minibatch
of ``minibatch`` (1000) training images. Rollout r of generation seed s uses the minibatch
``default_rng(s + r).choice(n_train, minibatch, replace=False)``: the same images for every
individual and every weight of a generation (common random numbers).

Reference (google/brain-tokyo-workshop, prettyNeatWann ``domain/classify_gym.py``, ``p/mnist256.json``):
batch 1000, reward -mean(-log softmax[label]), hidden activations without step
(``[1, 3, 4, 5, 6, 7, 8, 9, 10]``), one rollout, pop 960, tournament 32, p_init 0.05.
Differences, by design: the reference computes ``-log(softmax)``, which is -inf when a probability
underflows to 0; here ``log-softmax = z - (m + log sum exp(z - m))`` stays finite (a NaN loss, from
a network that overflows, scores -inf). The reference draws its minibatch with the global
``np.random.seed(seed); np.random.permutation(60000)[:1000]``; here a seeded ``Generator``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envs.mnist import MnistDataError, load_mnist, resolve_data_dir
from wann import classify
from wann.errors import UserError
from wann.genome import Genome
from wann.network import Net, compile_genome

ACTIVATIONS = (1, 3, 4, 5, 6, 7, 8, 9, 10)  # the reference's classification set: no step (2)
N_TRAIN = 60000


@dataclass
class MnistOptions:
    name: str = "mnist256"
    data_dir: str = ""  # folder of the four IDX files; "" = $WANN_MNIST_DIR
    minibatch: int = 1000  # training images per evaluation (reference: 1000)
    rollouts: int = 1  # minibatches per weight, rollout r drawn from seed + r (reference: 1)
    train_size: int = 0  # use only the first N training images (0 = all 60,000)

    def __post_init__(self) -> None:
        if self.minibatch < 1 or self.rollouts < 1:
            raise ValueError("minibatch and rollouts must be >= 1")
        if not 0 <= self.train_size <= N_TRAIN:
            raise ValueError(f"train_size must be in [0, {N_TRAIN}] (0 = all)")
        if self.minibatch > (self.train_size or N_TRAIN):
            raise ValueError(f"minibatch ({self.minibatch}) exceeds the training images used "
                             f"({self.train_size or N_TRAIN})")

    def check(self) -> None:
        """Raise UserError unless the MNIST folder exists and holds the four IDX files."""
        try:
            resolve_data_dir(self.data_dir or None)
        except MnistDataError as exc:
            raise UserError(str(exc)) from None


def load_split(data_dir: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(X [N, 256] float64, y [N] int64) of ``split``; MNIST problems become a UserError."""
    try:
        return load_mnist(data_dir or None, split, 16)
    except MnistDataError as exc:
        raise UserError(str(exc)) from None


class MnistTask:
    """Score = -(mean cross-entropy) on the generation's minibatch, per weight and rollout."""

    name = "mnist256"
    n_inputs = 256
    n_outputs = 10
    input_names = tuple(f"px{r:02d}_{c:02d}" for r in range(16) for c in range(16))
    output_names = tuple(str(d) for d in range(10))
    activations = ACTIVATIONS
    metric_name = "accuracy"  # capabilities (wann.tasks.protocol): HeldOutMetric, Ensemble, TrainingData,
    input_shape = (16, 16)  # ImageInputs, LabelledTestSet, ChampionSummary

    def __init__(self, options: MnistOptions) -> None:
        self.options = options
        self.n_rollouts = options.rollouts
        x, y = load_split(options.data_dir, "train")
        n = options.train_size or x.shape[0]
        self.x, self.y = x[:n], y[:n]
        self._batches: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._test: tuple[np.ndarray, np.ndarray] | None = None

    def test_set(self) -> tuple[np.ndarray, np.ndarray]:
        """The 10,000 test images [N, 256] and labels [N] (loaded once)."""
        if self._test is None:
            self._test = load_split(self.options.data_dir, "test")
        return self._test

    def test_metric(self, net: Net, weights) -> np.ndarray:
        """Test accuracy (fraction, all 10,000 images) per shared weight."""
        return evaluate(net, np.asarray(weights, dtype=np.float64), *self.test_set())[0]

    def test_ensemble(self, net: Net, weights) -> float:
        """Test accuracy of the ensemble over ``weights`` (mean of the per-weight softmax outputs)."""
        return evaluate(net, np.asarray(weights, dtype=np.float64), *self.test_set())[1]

    def training_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The training images and labels (``wann tune`` trains on them with Adam)."""
        return self.x, self.y

    def champion_lines(self, genome: Genome, weights) -> list[str]:
        """``wann show``: accuracy on the test images per shared weight and as the ensemble."""
        return accuracy_report(genome, weights, self.options.data_dir).lines()

    def minibatch(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(inputs transposed [256, m], labels [m]) of the minibatch drawn from ``seed`` (cached)."""
        if seed not in self._batches:
            if len(self._batches) >= self.n_rollouts:
                self._batches.clear()
            idx = np.random.default_rng(seed).choice(self.y.size, self.options.minibatch, replace=False)
            self._batches[seed] = (np.ascontiguousarray(self.x[idx].T), self.y[idx])
        return self._batches[seed]

    def score(self, net: Net, weights: np.ndarray, seed: int) -> np.ndarray:
        out = np.empty((len(weights), self.n_rollouts))
        for r in range(self.n_rollouts):
            xt, y = self.minibatch(seed + r)
            out[:, r] = -classify.cross_entropy(classify.logits(net, xt, weights), y)
        return out


@dataclass
class AccuracyReport:
    """Accuracy of one network on the test images, per shared weight and as an ensemble."""

    weights: list[float]
    accuracy: list[float]  # per weight, fraction correct
    ensemble: float  # argmax of the mean of the per-weight softmax outputs
    n_images: int
    connections: int

    @property
    def mean(self) -> float:
        return float(np.mean(self.accuracy))

    @property
    def sd(self) -> float:
        """Standard deviation across weights (population SD, ddof = 0)."""
        return float(np.std(self.accuracy))

    @property
    def best_weight(self) -> float:
        return self.weights[int(np.argmax(self.accuracy))]

    @property
    def best(self) -> float:
        return float(np.max(self.accuracy))

    def lines(self) -> list[str]:
        """Human-readable summary (percentages)."""
        out = [f"  test accuracy on {self.n_images} images ({self.connections} connections):"]
        out += [f"    w = {w:+5.2f}: {100 * a:6.2f} %" for w, a in zip(self.weights, self.accuracy)]
        out += [f"    mean over weights: {100 * self.mean:.2f} +- {100 * self.sd:.2f} %",
                f"    ensemble of the {len(self.weights)} weights (mean softmax): {100 * self.ensemble:.2f} %",
                f"    best weight: w = {self.best_weight:+.2f}, {100 * self.best:.2f} %"]
        return out


def evaluate(net: Net, weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """(accuracy per weight, ensemble accuracy) on inputs x [N, 256] and labels y [N]."""
    logits = classify.logits(net, np.ascontiguousarray(np.asarray(x, dtype=np.float64).T), weights)
    acc = (np.argmax(logits, axis=1) == y[None, :]).mean(axis=1)
    probs = np.exp(classify.log_softmax(logits, axis=1)).mean(axis=0)  # [10, N]
    return acc, float((np.argmax(probs, axis=0) == y).mean())


def accuracy_report(genome: Genome, weights, data_dir: str = "") -> AccuracyReport:
    """Accuracy of ``genome`` on all 10,000 MNIST test images, per weight and as the ensemble."""
    x, y = load_split(data_dir, "test")
    weights = np.asarray(weights, dtype=np.float64)
    acc, ens = evaluate(compile_genome(genome), weights, x, y)
    return AccuracyReport([float(w) for w in weights], [float(a) for a in acc], ens, int(y.size),
                      genome.n_connections)
