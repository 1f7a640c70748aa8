"""The JSON formats wann reads back (genome, champion, checkpoint state), as strict pydantic models.

Every field has one type and is checked as such: an integer is not a boolean or a float, a
boolean is a boolean, numbers that must be finite are finite, node ids and innovations fit the
checkpoint's int32 columns, list columns have equal lengths, a champion's ``per_weight`` has one
value per weight. Extra keys are allowed (``tuned``, ``imported``, ...). ``check(model, data,
what)`` returns the validated model or raises ``SchemaError`` with one line naming the field.
Graph-level rules (a DAG, outputs linear, ...) stay with ``Genome.validate``.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, ValidationError, model_validator

Id = Annotated[int, Field(ge=0, lt=2**31)]  # node ids and innovations (int32 in checkpoints)
Kind = Literal["bias", "input", "output", "hidden"]


class SchemaError(ValueError):
    """A file field of the wrong type or out of range (one line, naming the field)."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class Nodes(_Strict):
    id: list[Id]
    kind: list[Kind]
    activation: list[Annotated[int, Field(ge=0, lt=2**31)]]

    @model_validator(mode="after")
    def _lengths(self) -> Nodes:
        if not len(self.id) == len(self.kind) == len(self.activation):
            raise ValueError("node columns id, kind, activation have different lengths")
        return self


class Connections(_Strict):
    innovation: list[Id]
    source: list[Id]
    target: list[Id]
    enabled: list[bool]
    weight: list[FiniteFloat] | None = None

    @model_validator(mode="after")
    def _lengths(self) -> Connections:
        sizes = {len(self.innovation), len(self.source), len(self.target), len(self.enabled)}
        if self.weight is not None:
            sizes.add(len(self.weight))
        if len(sizes) != 1:
            raise ValueError("connection columns innovation, source, target, enabled, weight have different lengths")
        return self


class GenomeModel(_Strict):
    format: Literal["wann.genome/1"]
    nodes: Nodes
    connections: Connections
    phenotype: Literal["reference", "enabled"] = "enabled"  # absent in files from before the option


class ChampionModel(_Strict):
    format: Literal["wann.champion/1"]
    task: dict
    weights: Annotated[list[FiniteFloat], Field(min_length=1)]
    generation: int
    fitness: FiniteFloat
    per_weight: list[FiniteFloat]
    seeds: list[Annotated[int, Field(ge=0)]]
    genome: GenomeModel

    @model_validator(mode="after")
    def _per_weight(self) -> ChampionModel:
        if len(self.per_weight) != len(self.weights):
            raise ValueError(f"per_weight has {len(self.per_weight)} values for {len(self.weights)} weights")
        if not isinstance(self.task.get("name"), str):
            raise ValueError("task needs a name (a string)")
        return self


class SearchState(_Strict):
    next_node: Id
    next_conn: Id
    rng: dict


class CheckpointState(_Strict):
    format: Literal["wann.checkpoint/2"]
    phenotype: Literal["reference", "enabled"] = "enabled"
    generation: Annotated[int, Field(ge=0)]
    evaluations: Annotated[int, Field(ge=0)]
    elapsed: Annotated[FiniteFloat, Field(ge=0)]
    search: SearchState
    eval_rng: dict
    champion: ChampionModel | None
    config: dict | None = None  # the resolved config (absent in checkpoints from before it was recorded)


def check(model: type[BaseModel], data, what: str):
    """``model`` validated from ``data`` (a parsed JSON value); SchemaError naming ``what`` and the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise SchemaError(f"{what}: field {where}: {err['msg']}{more}") from None
