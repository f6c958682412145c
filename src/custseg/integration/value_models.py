"""What the dbt Python models of customer value call: read the model inputs dbt hands them,
fit each source once (:mod:`custseg.value`), and return one Arrow row per source with the
fit's summary and its per-customer results as nested columns, which SQL models unnest."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from custseg import __version__ as package_version
from custseg.value import (
    VALUE_COLUMNS,
    ValueSettings,
    ValueWarning,
    evaluate_holdout,
    fit_sample,
    fit_value_model,
    summarise_evaluation,
)

INPUT_COLUMNS = ("source", "customer_id", "frequency", "recency", "T", "monetary_value")
_TEXT, _DOUBLE, _INT = pa.string(), pa.float64(), pa.int64()


def _rows(*fields: tuple[str, pa.DataType]) -> pa.DataType:
    return pa.list_(pa.struct([pa.field(name, kind) for name, kind in fields]))


_SUMMARY = {
    "source": _TEXT,
    "status": _TEXT,
    "model_version": _TEXT,
    "transaction_model": _TEXT,
    "horizon_days": _INT,
    "value_months": _INT,
    "monthly_discount_rate": _DOUBLE,
    "customers": _INT,
    "repeat_customers": _INT,
    "fitted_customers": _INT,
    "parameters": _rows(("model", _TEXT), ("parameter", _TEXT), ("value", _DOUBLE)),
    "warnings": pa.list_(_TEXT),
}
_PREDICTIONS = _rows(
    ("customer_id", _TEXT), *[(c, _DOUBLE) for c in VALUE_COLUMNS[1:-1]], ("value_status", _TEXT)
)
_METRICS = _rows(
    ("predictor", _TEXT),
    ("customers", _INT),
    ("mae", _DOUBLE),
    ("rmse", _DOUBLE),
    ("correlation", _DOUBLE),
    ("total_predicted", _DOUBLE),
    ("total_actual", _DOUBLE),
    ("no_return_auc", _DOUBLE),
    ("no_return_auc_probability_active", _DOUBLE),
)
_CUSTOMER_RESULTS = _rows(
    ("customer_id", _TEXT),
    ("predicted_purchases", _DOUBLE),
    ("baseline_purchases", _DOUBLE),
    ("actual_purchases", _DOUBLE),
    ("probability_no_purchase", _DOUBLE),
)
# One row per source and fit: `full_history` (the predictions) and `holdout` (fitted on the
# calibration period: the evaluation's metrics and per-customer results).
VALUE_SCHEMA = pa.schema(
    [
        ("fit", _TEXT),
        *_SUMMARY.items(),
        ("predictions", _PREDICTIONS),
        ("metrics", _METRICS),
        ("customer_results", _CUSTOMER_RESULTS),
    ]
)


class Relation(Protocol):
    def df(self) -> pd.DataFrame: ...


def fit_value_sources_in_worker(
    settings: Mapping[str, Any],
    inputs: Relation | pd.DataFrame,
    sources: Sequence[str] = (),
    *,
    calibration: Relation | pd.DataFrame | None = None,
    holdout_days: int | None = None,
    holdout_sources: Sequence[str] = (),
) -> pa.Table:
    """:func:`fit_value_sources` in a worker process (the inputs read here). PyTensor compiles
    the models' functions by rewriting their graphs in pure Python, holding the interpreter
    lock for most of the fit: in dbt's process it stalls every Python model dbt runs beside it
    (measured at 10M lines: the segmentation fit took 104 s beside it instead of 45 s alone,
    more than the two one after the other). A worker of its own runs on the other core."""
    frames = [_read(inputs), None if calibration is None else _read(calibration)]
    context = multiprocessing.get_context("spawn")  # not fork: dbt's process runs threads
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as worker:
        job = worker.submit(
            fit_value_sources,
            settings,
            frames[0],
            list(sources),
            calibration=frames[1],
            holdout_days=holdout_days,
            holdout_sources=list(holdout_sources),
        )
        try:
            return job.result()
        except BrokenProcessPool as error:
            raise RuntimeError(
                "the value models' worker process stopped before it finished (killed, or out of "
                "memory): no customer value this build; run it again, or lower var "
                "customer_value_fit_max_customers"
            ) from error


def fit_value_sources(
    settings: Mapping[str, Any],
    inputs: Relation | pd.DataFrame,
    sources: Sequence[str] = (),
    *,
    calibration: Relation | pd.DataFrame | None = None,
    holdout_days: int | None = None,
    holdout_sources: Sequence[str] = (),
) -> pa.Table:
    """The value models of every source of ``sources`` and any other in ``inputs`` (columns
    :data:`INPUT_COLUMNS`), fitted on the whole history (``fit`` = ``full_history``, with every
    customer's predictions), and, given ``calibration`` (the same columns plus
    ``holdout_purchases``), fitted again on the calibration period of every source of
    ``holdout_sources`` and any other in it and compared with the ``holdout_days`` after it
    (``fit`` = ``holdout``). Rows of :data:`VALUE_SCHEMA`; a source without customers has its
    rows. Fallbacks (too few customers, no convergence) are in ``warnings`` and ``status``."""
    cfg = ValueSettings.from_mapping(settings)
    rows = [_fit_row(cfg, source, part) for source, part in _by_source(_frame(inputs), sources)]
    if calibration is not None:
        if holdout_days is None:
            raise ValueError("holdout_days is required with calibration inputs")
        frame = _frame(calibration, extra=("holdout_purchases",))
        rows += [
            _holdout_row(cfg, source, part, holdout_days)
            for source, part in _by_source(frame, holdout_sources)
        ]
    return pa.Table.from_pylist(rows, schema=VALUE_SCHEMA)


def _fit_row(cfg: ValueSettings, source: str, part: pd.DataFrame) -> dict[str, Any]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ValueWarning)
        fit = fit_value_model(part, cfg)
        predicted = fit.predict(part)
    row = _summary(source, fit.status, cfg, part, fit.parameters, fit.spend_parameters, caught)
    return {"fit": "full_history", **row, "predictions": _records(predicted)}


def _holdout_row(cfg: ValueSettings, source: str, part: pd.DataFrame, holdout_days: int) -> dict[str, Any]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ValueWarning)
        holdout = part.set_index("customer_id")["holdout_purchases"].astype("float64")
        results = evaluate_holdout(
            part.drop(columns="holdout_purchases"), holdout, cfg, holdout_days=holdout_days
        )
    if (results["value_status"] == "predicted").any():
        status = "evaluated"
    else:  # one fallback for every customer; none without customers
        status = str(results["value_status"].iloc[0]) if len(results) else "too_few_customers"
    row = _summary(source, status, cfg, part, {}, {}, caught, horizon_days=holdout_days)
    columns = [
        "customer_id",
        "predicted_purchases",
        "baseline_purchases",
        "actual_purchases",
        "probability_no_purchase",
    ]
    return {
        "fit": "holdout",
        **row,
        "metrics": _records(summarise_evaluation(results)),
        "customer_results": _records(results[columns]),
    }


def _read(relation: Relation | pd.DataFrame) -> pd.DataFrame:
    return relation if isinstance(relation, pd.DataFrame) else relation.df()


def _frame(relation: Relation | pd.DataFrame, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = _read(relation)
    missing = [c for c in (*INPUT_COLUMNS, *extra) if c not in frame.columns]
    if missing:
        raise ValueError(f"value model inputs lack column(s) {missing}")
    return frame.assign(customer_id=frame["customer_id"].astype("str"))


def _by_source(frame: pd.DataFrame, sources: Sequence[str]):
    for source in sorted({*map(str, sources), *frame["source"].astype("str").unique()}):
        yield str(source), frame[frame["source"] == source].drop(columns="source").reset_index(drop=True)


def _summary(
    source: str,
    status: str,
    cfg: ValueSettings,
    inputs: pd.DataFrame,
    parameters: Mapping[str, float],
    spend_parameters: Mapping[str, float],
    caught: list,
    horizon_days: int | None = None,
) -> dict[str, Any]:
    messages = [str(w.message) for w in caught if issubclass(w.category, ValueWarning)]
    listed = [{"model": cfg.transaction_model, "parameter": k, "value": v} for k, v in parameters.items()]
    listed += [{"model": "gamma_gamma", "parameter": k, "value": v} for k, v in spend_parameters.items()]
    return {
        "source": source,
        "status": status,
        "model_version": _version(source, cfg, inputs, horizon_days),
        "transaction_model": cfg.transaction_model,
        "horizon_days": horizon_days or cfg.horizon_days,
        "value_months": cfg.value_months,
        "monthly_discount_rate": cfg.monthly_discount_rate,
        "customers": int(len(inputs)),
        "repeat_customers": int((inputs["frequency"] > 0).sum()),
        "fitted_customers": len(fit_sample(inputs, cfg.fit_max_customers)),
        "parameters": [{**p, "value": _plain(p["value"])} for p in listed],
        "warnings": messages,
    }


def _version(source: str, cfg: ValueSettings, inputs: pd.DataFrame, horizon_days: int | None) -> str:
    """12 hex digits of a SHA-256 of the settings, the library versions and the sorted inputs."""
    import pymc_marketing

    hasher = hashlib.sha256()
    meta = {
        "source": source,
        "settings": {**vars(cfg), "horizon_days": horizon_days or cfg.horizon_days},
        "custseg": package_version,
        "pymc_marketing": pymc_marketing.__version__,
    }
    hasher.update(json.dumps(meta, sort_keys=True, default=str).encode())
    ordered = inputs.sort_values("customer_id", kind="mergesort").reset_index(drop=True)
    hasher.update(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
    return hasher.hexdigest()[:12]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
