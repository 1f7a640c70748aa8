"""Pruning baselines for WANN comparisons: IMP (lottery tickets), SynFlow, OBD, magnitude and random
pruning of dense MLPs in torch, with the lottery-ticket controls. Independent of ``wann``.

Run ``python -m prune_baselines --help``; results folders are described in :mod:`prune_baselines.results`.
"""
from .errors import PruneError
from .experiment import ExperimentConfig, run_experiment
from .masks import Masks
from .models import MLP, build_model
from .obd import hessian_diagonal, obd_scores
from .results import Point, Result, load_network, load_result
from .scoring import keep_top_k, magnitude_scores, random_scores
from .synflow import synflow_prune, synflow_scores
from .train import TrainConfig, evaluate, train

__all__ = ["PruneError", "ExperimentConfig", "run_experiment", "Masks", "MLP", "build_model", "hessian_diagonal",
           "obd_scores", "Point", "Result", "load_network", "load_result", "keep_top_k", "magnitude_scores",
           "random_scores", "synflow_prune", "synflow_scores", "TrainConfig", "evaluate", "train"]
