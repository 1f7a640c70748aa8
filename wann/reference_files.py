"""Networks released with the reference WANN code (google/brain-tokyo-workshop, ``WANNRelease``), as genomes.

- ``*.out`` (``WANN/champions/*.out``, written by ``wann_src/ind.py: exportNet``): an N x (N+1) CSV
  matrix. Its first N columns are the weight matrix in the order the reference evaluates nodes
  (bias, inputs, hidden nodes in topological order, outputs; row = source, column = target); the
  last column is each node's activation id. 0 means no gene, NaN a disabled gene, any other value
  a connection: the reference's WANN evaluation (``task.py: setWeights``) puts the shared weight
  on every such entry, so their values do not matter for a weight agnostic score.
- ``*.wann.json`` (``WANNTool/zoo/*.wann.json``, written by WANNTool's ``train.py``):
  ``[[p_0, ..., p_{K-1}], score]``, the tuned weights of the K connections in row-major matrix
  order, each stored minus the game's ``weight_bias`` (WANNTool ``config.py``: -1.5 for
  swing-up, -1.87 for the biped, -0.7 for the racer): connection k carries ``p_k + weight_bias``.

The genome keeps every gene of the file (connections enabled, NaN entries disabled) in row-major
order and the reference phenotype; the hidden-to-hidden block of an exported matrix already holds
the disabled genes that phenotype expresses, as ordinary connections.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from wann.activations import NAMES
from wann.errors import UserError
from wann.genome import BIAS, HIDDEN, INPUT, OUTPUT, Genome, GenomeError


def read_network(path: str | Path, n_inputs: int, n_outputs: int) -> Genome:
    """The weight agnostic genome of a reference ``.out`` file for a task of ``n_inputs``/``n_outputs``.

    Raises UserError naming the file when it is not such a matrix or does not fit the task.
    """
    path = Path(path)
    try:
        table = np.loadtxt(path, delimiter=",", ndmin=2)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except ValueError as exc:
        raise UserError(f"{path}: not a reference network (a CSV matrix of numbers): {exc}") from None
    n = table.shape[0]
    if table.shape != (n, n + 1):
        raise UserError(f"{path}: a reference network is N x (N+1) (weights, then activations); got {table.shape}")
    w, act = table[:, :n], table[:, n]
    n_io = 1 + n_inputs + n_outputs
    if n < n_io:
        raise UserError(f"{path}: {n} nodes, fewer than the task's bias + {n_inputs} inputs + {n_outputs} outputs")
    if np.any(np.tril(np.nan_to_num(w, nan=1.0)) != 0):
        raise UserError(f"{path}: entries on or below the diagonal; the reference writes nodes in evaluation "
                        "order, so every connection goes to a later node")
    if np.any(act != np.round(act)) or not set(act.astype(int).tolist()) <= set(NAMES):
        raise UserError(f"{path}: activation column holds {sorted(set(act.tolist()))}; valid ids: {sorted(NAMES)}")
    n_hidden = n - n_io
    # file order: bias, inputs, hidden, outputs -> genome layout: bias, inputs, outputs, hidden
    first_out = 1 + n_inputs + n_hidden
    layout = np.r_[np.arange(1 + n_inputs), np.arange(first_out, n), np.arange(1 + n_inputs, first_out)]
    new_id = np.empty(n, dtype=np.int64)
    new_id[layout] = np.arange(n)
    kind = np.r_[[BIAS], [INPUT] * n_inputs, [OUTPUT] * n_outputs, [HIDDEN] * n_hidden].astype(np.int64)
    rows, cols = np.nonzero(w != 0)  # row-major, NaN included (disabled genes)
    genome = Genome(np.arange(n, dtype=np.int64), kind, act[layout].astype(np.int64),
                    np.arange(rows.size, dtype=np.int64), new_id[rows], new_id[cols], ~np.isnan(w[rows, cols]),
                    None, "reference")
    try:
        genome.validate()
    except GenomeError as exc:
        raise UserError(f"{path}: not a WANN for this task ({exc})") from None
    return genome


def read_tuned_weights(path: str | Path, genome: Genome, weight_bias: float) -> Genome:
    """``genome`` (from ``read_network``) with the tuned weights of a WANNTool ``.wann.json`` file.

    Raises UserError naming the file when it is not such a file or its length is not the
    genome's number of connections.
    """
    path = Path(path)
    try:
        params = np.asarray(json.loads(path.read_text())[0], dtype=np.float64)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise UserError(f"{path}: not a WANNTool weights file ([[weights...], score]): {exc}") from None
    on = np.flatnonzero(genome.expressed)
    if params.ndim != 1 or params.size != on.size:
        raise UserError(f"{path}: {params.size} weights for a network of {on.size} connections")
    g = genome.copy()
    g.conn_weight = np.zeros(g.conn_innov.size)
    g.conn_weight[on] = params + weight_bias
    return g
