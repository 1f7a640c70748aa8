"""Export a network: documented JSON, a ``torch.nn.Module``, ONNX, GraphML.

``wann.network/1`` JSON (``network_to_dict``) is the compiled network, runnable
without wann::

    {"format": "wann.network/1",
     "inputs": ["x", ...], "outputs": ["force"],      # names, in input/output order
     "shared_weight": w,                               # multiplies every node's input sum
     "weight_agnostic": true,                          # edge weights all 1, w is the shared weight
     "activations": {"5": {"name": "tanh", "formula": "tanh(x)"}, ...},   # the ids used
     "nodes": {"kind": ["bias", "input", ..., "hidden", ..., "output"], "activation": [...]},
     "edges": {"source": [...], "target": [...], "weight": [...]},        # node indices
     "task": {...task options...}}

Evaluation: ``v[0] = 1``, ``v[1..n_in] = inputs``, then for every later node i in
list order ``v[i] = act_i(shared_weight * sum(weight_k * v[source_k]) over edges k
with target i, summed in list order)``; the outputs are the last ``len(outputs)`` nodes.

``WannModule`` computes the same function in torch, batched, one depth level at a
time, summing each node's edges in the numba kernel's order (so it agrees with
``wann.network.forward`` to rounding). Its per-edge weights are a Parameter (for
training); the shared weight is a buffer.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from wann.activations import FORMULAS, NAMES, apply_torch
from wann.errors import UserError
from wann.genome import Genome
from wann.network import Net

NETWORK_FORMAT = "wann.network/1"


# ---- JSON ------------------------------------------------------------------------
def network_to_dict(net: Net, shared_weight: float, input_names, output_names, task_options: dict) -> dict:
    """The ``wann.network/1`` JSON form of a compiled net."""
    n_hidden = net.n_nodes - net.first - net.n_out
    kinds = ["bias"] + ["input"] * net.n_in + ["hidden"] * n_hidden + ["output"] * net.n_out
    target = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    used = sorted(set(net.act.tolist()))
    return {
        "format": NETWORK_FORMAT,
        "inputs": list(input_names),
        "outputs": list(output_names),
        "shared_weight": float(shared_weight),
        "weight_agnostic": bool(net.shared),
        "activations": {str(a): {"name": NAMES[a], "formula": FORMULAS[a]} for a in used},
        "nodes": {"kind": kinds, "activation": net.act.tolist()},
        "edges": {"source": net.src.tolist(), "target": target.tolist(), "weight": net.cw.tolist()},
        "task": task_options,
    }


def network_from_dict(data: dict) -> tuple[Net, float]:
    """(Net, shared weight) from the ``wann.network/1`` JSON form; ValueError when malformed."""
    if data.get("format") != NETWORK_FORMAT:
        raise ValueError(f"format is {data.get('format')!r}, expected {NETWORK_FORMAT!r}")
    kinds, act = data["nodes"]["kind"], np.asarray(data["nodes"]["activation"], dtype=np.int64)
    src = np.asarray(data["edges"]["source"], dtype=np.int64)
    dst = np.asarray(data["edges"]["target"], dtype=np.int64)
    if np.any(src >= dst):
        raise ValueError("every edge must go from a lower to a higher node index")
    if np.any(np.diff(dst) < 0):
        raise ValueError("edges must be sorted by target")
    indptr = np.zeros(act.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst, minlength=act.size), out=indptr[1:])
    net = Net(n_in=kinds.count("input"), n_out=kinds.count("output"), act=act, indptr=indptr, src=src,
              cw=np.asarray(data["edges"]["weight"], dtype=np.float64), shared=bool(data["weight_agnostic"]))
    return net, float(data["shared_weight"])


# ---- torch -----------------------------------------------------------------------
class WannModule(nn.Module):
    """``forward(x [B, n_in]) -> [B, n_out]``, equal to ``wann.network.forward(net, x, shared_weight)``.

    Nodes are computed one depth level at a time; within a level every node sums
    its incoming edges in the Net's (gene) order, like the numba kernel.
    ``weight`` (Parameter, one per Net edge) and ``shared_weight`` (buffer) are
    the only state.
    """

    def __init__(self, net: Net, shared_weight: float = 1.0, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        self.n_in, self.n_out = net.n_in, net.n_out
        self.weight = nn.Parameter(torch.tensor(net.cw, dtype=dtype))
        self.register_buffer("shared_weight", torch.tensor(float(shared_weight), dtype=dtype))
        depth = net.depth()
        order = np.argsort(depth, kind="stable")  # a topological order grouped by depth
        position = np.empty(net.n_nodes, dtype=np.int64)
        position[order] = np.arange(net.n_nodes)
        self.register_buffer("out_pos", torch.tensor(position[net.n_nodes - net.n_out:], dtype=torch.long))
        self.levels: list[tuple[str, list[int]]] = []  # buffer prefix, activation ids used in the level
        for d in range(1, int(depth.max(initial=0)) + 1):
            nodes = np.flatnonzero(depth == d)
            deg = net.indptr[nodes + 1] - net.indptr[nodes]
            width = max(int(deg.max(initial=0)), 1)
            src = np.zeros((nodes.size, width), dtype=np.int64)  # padding reads the bias (1.0) ...
            edge = np.full((nodes.size, width), net.cw.size, dtype=np.int64)
            live = np.zeros((nodes.size, width))  # ... times 0
            for r, i in enumerate(nodes.tolist()):
                k0, k1 = int(net.indptr[i]), int(net.indptr[i + 1])
                src[r, : k1 - k0] = position[net.src[k0:k1]]
                edge[r, : k1 - k0] = np.arange(k0, k1)
                live[r, : k1 - k0] = 1.0
            name = f"level{d}"
            self.register_buffer(f"{name}_src", torch.tensor(src))
            self.register_buffer(f"{name}_edge", torch.tensor(edge))
            self.register_buffer(f"{name}_live", torch.tensor(live, dtype=dtype))
            acts = sorted(set(net.act[nodes].tolist()))
            for a in acts[1:]:
                self.register_buffer(f"{name}_is{a}", torch.tensor(net.act[nodes] == a))
            self.levels.append((name, acts))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        vals = torch.cat([torch.ones_like(x[:, :1]), x], dim=1)
        for name, acts in self.levels:
            src, live = getattr(self, f"{name}_src"), getattr(self, f"{name}_live")
            padded = torch.cat([self.weight, self.weight.new_zeros(1)])  # padding edges index the zero at the end
            cw = padded[getattr(self, f"{name}_edge")] * live
            s = vals[:, src[:, 0]] * cw[:, 0]
            for k in range(1, src.shape[1]):
                s = s + vals[:, src[:, k]] * cw[:, k]
            s = self.shared_weight * s
            y = apply_torch(acts[0], s)
            for a in acts[1:]:
                y = torch.where(getattr(self, f"{name}_is{a}"), apply_torch(a, s), y)
            vals = torch.cat([vals, y], dim=1)
        return vals[:, self.out_pos]

    def edge_weights(self) -> np.ndarray:
        """The effective per-edge weights (shared weight folded in), in Net edge order."""
        return (self.weight.detach() * self.shared_weight).cpu().numpy().astype(np.float64)


# ---- files -------------------------------------------------------------------------
def export_torch(module: WannModule, path: str | Path) -> None:
    """Write a ``torch.export`` program (``.pt2``; load with ``torch.export.load(path).module()``)."""
    batch = torch.export.Dim("batch", min=1)
    x = torch.zeros(2, module.n_in, dtype=module.weight.dtype)
    program = torch.export.export(module, (x,), dynamic_shapes=({0: batch},))
    _replace_via_tmp(Path(path), lambda tmp: torch.export.save(program, tmp))


def export_onnx(module: WannModule, path: str | Path, input_names=None, output_names=None) -> None:
    """Write ONNX via torch's TorchScript-based exporter (works offline; the dynamo exporter needs onnxscript).

    One input ``x`` [batch, n_in], one output ``y`` [batch, n_out]; the names of
    the task's inputs and outputs go into the model's metadata. UserError naming the extra to install when
    the ``onnx`` package is missing (it is not a dependency of ``pip install .``).
    """
    try:
        import onnx
    except ImportError:
        raise UserError("wann export --to onnx needs the onnx package: pip install 'wann[onnx]' "
                        "(or pip install onnx)") from None

    x = torch.zeros(2, module.n_in, dtype=module.weight.dtype)

    def write(tmp: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(module, (x,), str(tmp), dynamo=False, input_names=["x"], output_names=["y"],
                              dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
        model = onnx.load(str(tmp))
        for key, names in (("inputs", input_names), ("outputs", output_names)):
            if names is not None:
                entry = model.metadata_props.add()
                entry.key, entry.value = key, ",".join(names)
        onnx.save(model, str(tmp))

    _replace_via_tmp(Path(path), write)


def export_graphml(genome: Genome, path: str | Path, input_names, output_names) -> None:
    """Write the genome's graph (enabled connections) as GraphML via networkx."""
    import networkx as nx

    from wann.plots import genome_graph

    graph = genome_graph(genome, input_names, output_names)
    for _, data in graph.nodes(data=True):
        data["x"], data["y"] = data.pop("pos")
    _replace_via_tmp(Path(path), lambda tmp: nx.write_graphml(graph, tmp))


def _replace_via_tmp(path: Path, write) -> None:
    """Let ``write(tmp)`` produce the file beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
