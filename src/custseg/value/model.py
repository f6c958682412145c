"""Fit and evaluate the customer-value models (pymc-marketing's CLV module, MAP fits)."""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

INPUT_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")
VALUE_COLUMNS = (
    "customer_id",
    "probability_active",
    "probability_no_purchase",
    "expected_purchases",
    "expected_spend",
    "predicted_value",
    "value_status",
)
# The transaction models, by setting, with their parameters; both give the probability of no
# purchase over a horizon, which is what the churn risk reads.
TRANSACTION_MODELS = {
    "bg_nbd": ("BetaGeoModel", ("r", "alpha", "a", "b")),
    "pareto_nbd": ("ParetoNBDModel", ("r", "alpha", "s", "beta")),
}
SPEND_PARAMETERS = ("p", "q", "v")
_CACHE_SETTING = "CUSTSEG_PYTENSOR_CACHE"


class ValueInputError(ValueError):
    """The model inputs cannot be fitted (missing columns, impossible values); the message
    names the column and the count."""


class ValueWarning(UserWarning):
    """A documented fallback was applied (too few customers, a fit that did not converge)."""


@dataclass(frozen=True)
class ValueSettings:
    """How the value models are fitted and what they predict (docs/customer_value.md)."""

    transaction_model: str = "bg_nbd"
    horizon_days: int = 90
    value_months: int = 12
    monthly_discount_rate: float = 0.01
    flat_priors: bool = True
    min_customers: int = 20
    min_repeat_customers: int = 10
    # The parameters are fitted on at most this many customers (a fixed pseudo-random sample
    # above it), and every customer is predicted: four parameters need no more, and the fit's
    # cost stays flat at any size.
    fit_max_customers: int = 20_000

    def __post_init__(self) -> None:
        if self.transaction_model not in TRANSACTION_MODELS:
            raise ValueError(
                f"setting 'transaction_model': must be one of {sorted(TRANSACTION_MODELS)}, "
                f"got {self.transaction_model!r}"
            )
        counts = ("horizon_days", "value_months", "min_customers", "min_repeat_customers")
        counts += ("fit_max_customers",)
        for key in counts:
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"setting '{key}': expected a positive integer, got {value!r}")
        if not 0 <= self.monthly_discount_rate < 1:
            raise ValueError(
                f"setting 'monthly_discount_rate': must be in [0, 1), got {self.monthly_discount_rate}"
            )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | ValueSettings | None) -> ValueSettings:
        """From a plain dict (dbt config); unknown keys raise, ``null`` takes the default;
        numbers given as text (rendered dbt vars) are read as numbers."""
        if isinstance(mapping, ValueSettings):
            return mapping
        mapping = dict(mapping or {})
        allowed = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - set(allowed))
        if unknown:
            raise ValueError(f"unknown value setting(s) {unknown}; allowed keys: {sorted(allowed)}")
        values = {}
        for key, value in mapping.items():
            if value is None:
                continue
            kind = type(allowed[key].default)
            if kind in (int, float) and isinstance(value, str):
                value = kind(float(value)) if kind is int else float(value)
            values[key] = value
        return cls(**values)


def _clv():
    """pymc-marketing's CLV module, imported quietly (no BLAS link: these models need none; no
    ArviZ notice), with PyTensor's compiled C backend when a C++ compiler is there (its cache:
    ``CUSTSEG_PYTENSOR_CACHE``, default PyTensor's own in the home folder, so every build and
    test shares it). Without a compiler, PyTensor's NumPy backend with elementwise fusion off:
    fused expressions would run in Python for every customer (about 10x slower again)."""
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    extra = ["blas__ldflags="]
    cache = os.environ.get(_CACHE_SETTING)
    if cache and "base_compiledir" not in flags:
        extra.append(f"base_compiledir={Path(cache).resolve()}")
    if "cxx" not in flags and not has_compiler():
        extra += ["cxx=", "optimizer_excluding=fusion"]
    os.environ["PYTENSOR_FLAGS"] = ",".join([flags, *extra] if flags else extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        from pymc_marketing import clv
    return clv


def has_compiler() -> bool:
    """Whether PyTensor can compile its C backend (a ``g++`` on the PATH, as PyTensor looks for)."""
    return shutil.which("g++") is not None


def fit_sample(frame: pd.DataFrame, max_customers: int) -> pd.DataFrame:
    """The customers the parameters are fitted on: all of them up to ``max_customers``, else
    the ``max_customers`` with the smallest hash of their id (the same sample on every build of
    the same customers, spread over the whole base), in customer order."""
    if len(frame) <= max_customers:
        return frame
    hashes = pd.util.hash_pandas_object(frame["customer_id"].astype("str"), index=False)
    chosen = np.sort(np.argsort(hashes.to_numpy(), kind="stable")[:max_customers])
    return frame.iloc[chosen].reset_index(drop=True)


def validate_inputs(inputs: pd.DataFrame) -> pd.DataFrame:
    """The inputs sorted by customer, as floats; impossible values raise, naming the column."""
    missing = [c for c in INPUT_COLUMNS if c not in inputs.columns]
    if missing:
        raise ValueInputError(f"value model inputs are missing column(s) {missing}")
    frame = inputs.loc[:, list(INPUT_COLUMNS)].copy()
    if frame["customer_id"].isna().any() or frame["customer_id"].duplicated().any():
        raise ValueInputError("value model inputs need one row per customer_id, none null")
    for column in INPUT_COLUMNS[1:]:
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        bad = int((values.isna() | ~np.isfinite(values) | (values < 0)).sum())
        if bad:
            raise ValueInputError(
                f"value model input '{column}' has {bad} missing, negative or infinite value(s)"
            )
        frame[column] = values
    if (frame["frequency"] % 1 != 0).any():
        raise ValueInputError("value model input 'frequency' must count whole purchases")
    late = int((frame["recency"] > frame["T"]).sum())
    if late:
        raise ValueInputError(f"value model inputs: {late} customer(s) with recency after T")
    return frame.sort_values("customer_id", kind="mergesort").reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class ValueFit:
    """One source's fitted value models, or the reason there are none."""

    settings: ValueSettings
    parameters: dict[str, float]
    spend_parameters: dict[str, float]
    status: str  # fitted, fitted_with_default_priors, too_few_customers, not_converged
    warnings: tuple[str, ...]
    customers: int
    repeat_customers: int
    fitted_customers: int
    transaction: Any = dataclasses.field(repr=False, default=None)
    spend: Any = dataclasses.field(repr=False, default=None)

    def predict(self, inputs: pd.DataFrame) -> pd.DataFrame:
        """Per customer: probability active, probability of no purchase and expected purchases
        over ``horizon_days``, expected spend per purchase, predicted value over
        ``value_months`` (discounted), and ``value_status`` (``predicted``, or why a figure is
        missing). Never NaN or infinity: a figure that cannot be predicted is null."""
        frame = validate_inputs(inputs)
        out = pd.DataFrame({"customer_id": frame["customer_id"]})
        for column in VALUE_COLUMNS[1:-1]:
            out[column] = np.nan
        if self.transaction is None:
            out["value_status"] = self.status
            return _nulls(out)
        data = frame
        horizon = self.settings.horizon_days
        out["probability_active"] = _values(self.transaction.expected_probability_alive(data=data))
        out["probability_no_purchase"] = _values(self._no_purchase(data, horizon))
        out["expected_purchases"] = _values(self.transaction.expected_purchases(data=data, future_t=horizon))
        out["value_status"] = "predicted"
        if self.spend is not None:
            out["expected_spend"] = _values(self.spend.expected_customer_spend(data=data))
            value = self.spend.expected_customer_lifetime_value(
                transaction_model=self.transaction,
                data=data.copy(),
                future_t=self.settings.value_months,
                discount_rate=self.settings.monthly_discount_rate,
                time_unit="D",
            )
            out["predicted_value"] = _values(value.sel(customer_id=data["customer_id"].to_numpy()))
        else:
            out.loc[:, "value_status"] = "no_spend_model"
        return _nulls(out)

    def _no_purchase(self, data: pd.DataFrame, horizon: int):
        if self.settings.transaction_model == "pareto_nbd":
            return self.transaction.expected_purchase_probability(data=data, n_purchases=0, future_t=horizon)
        return self.transaction.expected_probability_no_purchase(t=horizon, data=data)


def _values(array) -> np.ndarray:
    """A (chain, draw, customer) result of one MAP point as plain numbers."""
    return np.asarray(array.mean(("chain", "draw")).to_numpy(), dtype="float64")


def _nulls(frame: pd.DataFrame) -> pd.DataFrame:
    numbers = frame.columns[1:-1]
    frame[numbers] = frame[numbers].where(np.isfinite(frame[numbers].astype("float64")))
    return frame


def _flat_priors(clv, names: tuple[str, ...]) -> dict:
    from pymc_extras.prior import Prior

    return {name: Prior("HalfFlat") for name in names}


def _fit_transaction(clv, cfg: ValueSettings, frame: pd.DataFrame, *, flat: bool):
    """The transaction model fitted by MAP: the model, its parameters, and whether it converged."""
    class_name, names = TRANSACTION_MODELS[cfg.transaction_model]
    model = getattr(clv, class_name)(model_config=_flat_priors(clv, names) if flat else None)
    converged = _fit_map(model, frame[["customer_id", "frequency", "recency", "T"]])
    parameters = {name: float(model.fit_result[name].to_numpy().squeeze()) for name in names}
    return model, parameters, converged


def _rounded(parameters: Mapping[str, float]) -> dict[str, float]:
    return {name: float(f"{value:.4g}") for name, value in parameters.items()}


def _fit_map(model, data: pd.DataFrame) -> bool:
    """Fit ``model`` by MAP; True when the optimiser reports convergence. pymc-marketing's own
    MAP fit does not report it, so PyMC's ``find_MAP`` runs here with ``return_raw`` and its
    point becomes the model's fit result (the library's public setter: one MAP for each
    model, where fitting again from the point would compile the model's functions twice)."""
    import arviz as az
    import pymc as pm

    model.build_model(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        point, raw = pm.find_MAP(model=model.model, return_raw=True, progressbar=False)
    names = [v.name for v in (*model.model.free_RVs, *model.model.deterministics) if v.name in point]
    posterior = {name: np.asarray(point[name])[None, None, ...] for name in names}  # one chain, one draw
    model.fit_result = az.from_dict(posterior=posterior)
    return bool(getattr(raw, "success", True))


def fit_value_model(
    inputs: pd.DataFrame, settings: Mapping[str, Any] | ValueSettings | None = None
) -> ValueFit:
    """Fit the transaction model on every customer and Gamma-Gamma on the repeat buyers with
    spend; documented fallbacks instead of errors for data that cannot be fitted."""
    cfg = ValueSettings.from_mapping(settings)
    frame = validate_inputs(inputs)
    sample = fit_sample(frame, cfg.fit_max_customers)
    repeat = sample[(sample["frequency"] > 0) & (sample["monetary_value"] > 0)]
    notes: list[str] = []
    common = {
        "customers": len(frame),
        "repeat_customers": int((frame["frequency"] > 0).sum()),
        "fitted_customers": len(sample),
    }
    if len(sample) < cfg.min_customers or len(repeat) < cfg.min_repeat_customers:
        notes.append(
            f"too few customers to fit ({len(sample)} customers, {len(repeat)} with repeat purchases; "
            f"need {cfg.min_customers} and {cfg.min_repeat_customers}): no predictions"
        )
        return _warned(ValueFit(cfg, {}, {}, "too_few_customers", tuple(notes), **common))
    if not has_compiler():  # said in the build output, not a fallback of this fit
        warnings.warn(
            "no C++ compiler (g++) on the PATH: PyTensor fits the value models in NumPy, several "
            "times slower on large customer bases (install g++ for its compiled backend)",
            ValueWarning,
            stacklevel=2,
        )
    clv = _clv()
    transaction, parameters, converged = _fit_transaction(clv, cfg, sample, flat=cfg.flat_priors)
    status = "fitted"
    if not converged and cfg.flat_priors:
        # Flat priors have no optimum when the data carry no evidence of dropout varying between
        # customers (the dropout parameters run off to infinity, e.g. SmartCart's snapshot):
        # the library's default priors keep them finite and change little where the data speak.
        notes.append(
            f"with flat priors the {cfg.transaction_model} fit did not converge (parameters "
            f"{_rounded(parameters)}); fitted with pymc-marketing's default priors instead"
        )
        transaction, parameters, converged = _fit_transaction(clv, cfg, sample, flat=False)
        status = "fitted_with_default_priors"
    if not converged or not all(math.isfinite(v) for v in parameters.values()):
        notes.append(
            f"the {cfg.transaction_model} fit did not converge (parameters {_rounded(parameters)}): "
            "no predictions; the evaluation's naive baseline still applies"
        )
        return _warned(ValueFit(cfg, parameters, {}, "not_converged", tuple(notes), **common))
    spend = clv.GammaGammaModel()
    spend_converged = _fit_map(spend, repeat[["customer_id", "frequency", "monetary_value"]])
    spend_parameters = {name: float(spend.fit_result[name].to_numpy().squeeze()) for name in SPEND_PARAMETERS}
    if not spend_converged or spend_parameters["q"] <= 1:
        notes.append(
            f"the Gamma-Gamma fit did not converge or has q <= 1 ({spend_parameters}): "
            "no expected spend or value, purchases and churn risk still predicted"
        )
        spend = None
    return _warned(
        ValueFit(
            cfg,
            parameters,
            spend_parameters,
            status,
            tuple(notes),
            transaction=transaction,
            spend=spend,
            **common,
        )
    )


def _warned(fit: ValueFit) -> ValueFit:
    for message in fit.warnings:
        warnings.warn(message, ValueWarning, stacklevel=3)
    return fit


def evaluate_holdout(
    calibration: pd.DataFrame,
    holdout_purchases: pd.Series,
    settings: Mapping[str, Any] | ValueSettings | None = None,
    *,
    holdout_days: int,
) -> pd.DataFrame:
    """Fit on the calibration inputs and predict the ``holdout_days`` after them; per customer
    the prediction, the naive baseline (the customer's calibration purchase rate
    frequency / T times the holdout length, 0 for T = 0), the actual repeat purchases
    (``holdout_purchases`` by customer_id, 0 when absent), the probability active and the
    probability of no purchase in the holdout."""
    cfg = dataclasses.replace(ValueSettings.from_mapping(settings), horizon_days=holdout_days)
    frame = validate_inputs(calibration)
    fit = fit_value_model(frame, cfg)
    predicted = fit.predict(frame)
    actual = holdout_purchases.reindex(frame["customer_id"]).fillna(0).to_numpy(dtype="float64")
    rate = np.divide(
        frame["frequency"], frame["T"], out=np.zeros(len(frame)), where=frame["T"].to_numpy() > 0
    )
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "predicted_purchases": predicted["expected_purchases"].to_numpy(),
            "baseline_purchases": rate * holdout_days,
            "actual_purchases": actual,
            "probability_active": predicted["probability_active"].to_numpy(),
            "probability_no_purchase": predicted["probability_no_purchase"].to_numpy(),
            "value_status": predicted["value_status"].to_numpy(),
        }
    )


def summarise_evaluation(per_customer: pd.DataFrame) -> pd.DataFrame:
    """MAE, RMSE, Pearson correlation and totals of the model and of the baseline; for the
    model, how well it ranks the customers who did not come back (ROC AUC, 0.5 is chance) by
    probability of no purchase and by probability active (lower = more at risk)."""
    rows = []
    actual = per_customer["actual_purchases"].to_numpy(dtype="float64")
    for name, column in (("model", "predicted_purchases"), ("naive_baseline", "baseline_purchases")):
        predicted = per_customer[column].to_numpy(dtype="float64")
        ok = np.isfinite(predicted)
        error = predicted[ok] - actual[ok]
        rows.append(
            {
                "predictor": name,
                "customers": int(ok.sum()),
                "mae": float(np.mean(np.abs(error))) if ok.any() else math.nan,
                "rmse": float(np.sqrt(np.mean(error**2))) if ok.any() else math.nan,
                "correlation": _correlation(predicted[ok], actual[ok]),
                "total_predicted": float(predicted[ok].sum()),
                "total_actual": float(actual[ok].sum()),
                "no_return_auc": _auc(
                    per_customer["probability_no_purchase"].to_numpy(dtype="float64"), actual == 0
                )
                if name == "model"
                else math.nan,
                "no_return_auc_probability_active": _auc(
                    -per_customer["probability_active"].to_numpy(dtype="float64"), actual == 0
                )
                if name == "model"
                else math.nan,
            }
        )
    return pd.DataFrame(rows)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or np.std(a) == 0 or np.std(b) == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def _auc(score: np.ndarray, positive: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    ok = np.isfinite(score)
    if len(np.unique(positive[ok])) < 2:
        return math.nan
    return float(roc_auc_score(positive[ok], score[ok]))
