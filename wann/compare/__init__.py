"""Evolved WANNs against pruned networks on one axis: test accuracy against connections.

Every network (a WANN champion, a pruned ticket, a control) becomes a Genome
(``wann.compare.pruned_graph`` for pruned MLPs) and is scored by the same evaluator,
``wann.tasks.mnist.evaluate``, under these evaluations:

* ``trained``: pruned nets with their trained weights; a WANN champion with the
  weights of its ``wann tune`` output (``champion.tuned.json`` beside it), if any;
* ``shared``: every connection (bias connections included) carries one weight w,
  for each w of the series; plus ``best`` (the best w, chosen on the test set,
  so optimistic) and ``ensemble`` (argmax of the mean softmax over the series);
* ``signed_trained`` / ``signed_init`` (pruned nets only): w times the sign of the
  trained / initial weight ("signed constant"); bias connections as documented in
  ``wann.compare.pruned_graph``.

Controls: every pruned ticket also gets a ``random mask (untrained)`` network, a
uniformly random mask with the same per-layer counts (shared and signed_init
evaluations only). Trained controls come from prune_baselines folders: IMP's
``random_mask`` variant (same per-layer counts, trained: ``IMP random mask
(trained)``), ``--method random`` (``random mask (trained)``) and level 0 of an
``--model mlp`` run (``dense MLP``: a small dense network of about the same size;
its pruned levels at the dense size are skipped, nothing was pruned there).

Connections on the figure's x axis count bias connections (``connections_with_biases``):
a WANN's bias node connections are connections too. The table carries both counts. A pruned point
counts only the weights on an input->output path (prune_baselines' ``effective_connections``), as a
WANN's compiled network keeps only nodes that reach an output; the raw kept count decides only which
targets duplicate the dense network. Folders pruned on ``--synthetic`` data are refused.

This package is the one part of ``wann`` that imports ``prune_baselines`` (and so torch), always
when a function needs it. Modules: ``networks`` (loading WANN champions and prune folders as
``Network``), ``scoring`` (the evaluations), ``tables`` (summary, Markdown, CSV, JSON), ``figure``,
``pruned_graph`` (a pruned MLP as a Genome), ``comparison`` (the whole ``wann compare``),
``prune_command`` (``wann prune``).
"""
from __future__ import annotations

from wann.compare.networks import Network, pruned_networks, wann_networks
from wann.compare.scoring import compare, mnist_test_set, score
from wann.compare.series import series_label
from wann.compare.tables import markdown, markdown_budgets, markdown_weights, report, rows_csv, summarize

__all__ = ["Network", "compare", "markdown", "markdown_budgets", "markdown_weights", "mnist_test_set",
           "pruned_networks", "report", "rows_csv", "score", "series_label", "summarize", "wann_networks"]
