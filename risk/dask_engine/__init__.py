"""The distributed engine: the local engine's features, model and scores on a Dask cluster.

``risk score DIR --as-of D --engine dask [--scheduler tcp://host:8786]`` runs the pipeline of
:func:`risk.scoring.score_utility` with the work split between the process that runs the
command (the *driver*) and the Dask *workers*:

driver
    holds the tables as read (:func:`risk.ingest.read_utility` or a workspace); orders the
    pipes along a Hilbert curve (dask-geopandas) and cuts them into spatial partitions of
    about :data:`PIPES_PER_PARTITION` pipes; cuts breaks, welds and inspections to each
    partition and sends soils, weather and stations once to every worker (see
    :func:`partition_utility`); computes the few network-wide quantities the features need
    (pipes in service, category lists, first year of the break record, panel sampling
    rate); fits the LEYP prior (:class:`risk.baselines.WeibullBaseline`, which samples at
    most 200,000 pipes) at each date on pipe attributes without geometry; checks expected
    against observed failures on the held-out panel dates; ranks every pipe; writes the output.
workers
    hold one :class:`risk.features.FeatureBuilder` per partition (its neighbour pairs, soil
    overlaps and nearest stations are computed there once), build the features and labels
    of every panel date and predict the prior on them, train XGBoost together
    (``xgboost.dask``), then score and explain their partitions with the fitted
    :class:`risk.model.RiskModel`'s own methods.

Features equal the local engine's exactly: the same ``FeatureBuilder`` code runs on each
partition's pipes with every record that can reach them (breaks without a location get the
middle of their pipe first, computed over the whole network), and categories are recoded to
the network-wide lists. Scores of a *given* model are identical too. A model *trained* here
is close to, not equal to, the local one: distributed XGBoost merges per-worker quantile
sketches and draws row subsamples per worker, so the trees differ (tolerance measured in
docs/dask.md). Reasons of a given model are identical too: words such as "high"/"low"
compare a value with the median of the whole network, gathered from every partition.

Modules: ``cluster`` (connect), ``partitions`` (the partitioned utility on the workers),
``training`` (the panel and XGBoost on the cluster), ``scoring`` (features, scores, reasons).
"""

from risk.dask_engine.cluster import (
    SCHEDULER_TIMEOUT_S,
    SchedulerUnreachableError,
    connect,
)
from risk.dask_engine.partitions import (
    LABEL_COLUMN,
    MARGIN_COLUMN,
    PIPES_PER_PARTITION,
    WEIGHT_COLUMN,
    DateContext,
    PartitionedUtility,
    empty_like,
    partition_utility,
)
from risk.dask_engine.scoring import (
    build_features_dask,
    score_utility_dask,
)
from risk.dask_engine.training import (
    check_partitions,
    fit_utility_dask,
    panel_chunks,
    train_model_dask,
)

__all__ = [
    "DateContext",
    "LABEL_COLUMN",
    "MARGIN_COLUMN",
    "PIPES_PER_PARTITION",
    "PartitionedUtility",
    "SCHEDULER_TIMEOUT_S",
    "SchedulerUnreachableError",
    "WEIGHT_COLUMN",
    "build_features_dask",
    "check_partitions",
    "connect",
    "empty_like",
    "fit_utility_dask",
    "panel_chunks",
    "partition_utility",
    "score_utility_dask",
    "train_model_dask",
]
