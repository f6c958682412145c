"""The customer-value models on a population drawn from a known BG/NBD: the fit recovers the
parameters roughly, predicts the holdout better than the naive baseline, ranks the customers
who do not come back, and degenerate inputs get defined values or a named error."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from custseg.value import (
    ValueInputError,
    ValueSettings,
    ValueWarning,
    evaluate_holdout,
    fit_sample,
    fit_value_model,
    summarise_evaluation,
)

TRUTH = {"r": 0.8, "alpha": 40.0, "a": 0.8, "b": 2.5}


def bg_nbd_population(n: int = 3000, seed: int = 7, observed: float = 365.0, holdout: float = 90.0):
    """Customers from a BG/NBD: purchase rate ~ Gamma(r, alpha), dropout ~ Beta(a, b) after
    each repeat purchase; first purchases spread over the first 200 days. Returns the
    calibration inputs (library conventions, days) and the holdout purchases."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(TRUTH["r"], 1.0 / TRUTH["alpha"], n)
    dropout = rng.beta(TRUTH["a"], TRUTH["b"], n)
    starts = rng.uniform(0, 200, n)
    rows, holdout_counts = [], []
    for i in range(n):
        t, purchases = starts[i], []
        while True:
            t += rng.exponential(1.0 / rates[i])
            if t > observed + holdout:
                break
            purchases.append(t)
            if rng.random() < dropout[i]:
                break
        calibration = [p for p in purchases if p <= observed]
        last = calibration[-1] if calibration else starts[i]
        spend = rng.gamma(4.0, 25.0, max(len(calibration), 1))
        rows.append(
            (
                f"c{i:05d}",
                len(calibration),
                last - starts[i],
                observed - starts[i],
                spend.mean() if calibration else 0.0,
            )
        )
        holdout_counts.append(len(purchases) - len(calibration))
    inputs = pd.DataFrame(rows, columns=["customer_id", "frequency", "recency", "T", "monetary_value"])
    return inputs, pd.Series(holdout_counts, index=inputs["customer_id"], dtype="float64")


@pytest.fixture(scope="module")
def population():
    return bg_nbd_population()


def test_the_fit_recovers_a_known_bg_nbd_roughly(population) -> None:
    inputs, _ = population
    fit = fit_value_model(inputs)
    assert fit.status == "fitted" and not fit.warnings
    for name, true in TRUTH.items():
        assert fit.parameters[name] == pytest.approx(true, rel=0.35), (name, fit.parameters)
    assert set(fit.spend_parameters) == {"p", "q", "v"}


def test_a_capped_fit_uses_a_fixed_sample_and_predicts_everyone(population) -> None:
    inputs, _ = population
    sample = fit_sample(inputs, 1000)
    assert len(sample) == 1000 and sample["customer_id"].is_unique
    shuffled = fit_sample(inputs.sample(frac=1, random_state=3), 1000)
    assert set(shuffled["customer_id"]) == set(sample["customer_id"])  # the ids decide, not the order
    assert fit_sample(inputs, len(inputs)) is inputs
    fit = fit_value_model(inputs, {"fit_max_customers": 1000})
    assert fit.fitted_customers == 1000 and fit.customers == len(inputs)
    for name, true in TRUTH.items():
        assert fit.parameters[name] == pytest.approx(true, rel=0.5), (name, fit.parameters)
    assert len(fit.predict(inputs)) == len(inputs)


def test_predictions_are_defined_for_every_customer(population) -> None:
    inputs, _ = population
    predicted = fit_value_model(inputs).predict(inputs)
    assert len(predicted) == len(inputs) and (predicted["value_status"] == "predicted").all()
    numbers = predicted.drop(columns=["customer_id", "value_status"])
    assert numbers.notna().all().all() and np.isfinite(numbers.to_numpy()).all()
    assert predicted["probability_active"].between(0, 1).all()
    assert predicted["probability_no_purchase"].between(0, 1).all()
    assert (predicted["expected_purchases"] >= 0).all() and (predicted["predicted_value"] >= 0).all()
    one_time = predicted[inputs.sort_values("customer_id")["frequency"].to_numpy() == 0]
    assert one_time["expected_spend"].notna().all()  # the population mean spend


def test_the_model_beats_the_naive_baseline_on_the_holdout(population) -> None:
    inputs, holdout = population
    summary = summarise_evaluation(evaluate_holdout(inputs, holdout, holdout_days=90)).set_index("predictor")
    model, baseline = summary.loc["model"], summary.loc["naive_baseline"]
    assert model["rmse"] < baseline["rmse"] and model["mae"] < baseline["mae"]
    assert model["correlation"] > baseline["correlation"]
    assert model["total_predicted"] == pytest.approx(model["total_actual"], rel=0.15)
    assert model["no_return_auc"] > 0.7


def test_too_few_customers_give_defined_nulls_and_a_warning() -> None:
    inputs, _ = bg_nbd_population(n=12, seed=1)
    with pytest.warns(ValueWarning, match="too few customers"):
        fit = fit_value_model(inputs)
    predicted = fit.predict(inputs)
    assert fit.status == "too_few_customers"
    assert (predicted["value_status"] == "too_few_customers").all()
    assert predicted[["probability_active", "expected_purchases"]].isna().all().all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="T"), "missing column"),
        (lambda f: f.assign(recency=f["T"] + 1), "recency after T"),
        (lambda f: f.assign(frequency=f["frequency"] + 0.5), "whole purchases"),
        (lambda f: f.assign(monetary_value=-1.0), "monetary_value"),
        (lambda f: pd.concat([f, f.head(1)]), "one row per customer"),
    ],
)
def test_impossible_inputs_are_named(population, change, message) -> None:
    inputs, _ = population
    with pytest.raises(ValueInputError, match=message):
        fit_value_model(change(inputs.head(50)))


def test_settings_read_dbt_vars_and_name_bad_keys() -> None:
    assert ValueSettings.from_mapping({"horizon_days": "30"}).horizon_days == 30
    with pytest.raises(ValueError, match="horizon"):
        ValueSettings.from_mapping({"horizon": 30})
    with pytest.raises(ValueError, match="transaction_model"):
        ValueSettings.from_mapping({"transaction_model": "lifetimes"})
    assert math.isclose(ValueSettings().monthly_discount_rate, 0.01)


def test_the_worker_process_returns_the_in_process_fit_and_its_errors(population) -> None:
    from custseg.integration.value_models import fit_value_sources, fit_value_sources_in_worker

    inputs, _ = population
    frame = inputs.head(400).assign(source="online_retail")
    here = fit_value_sources({}, frame, ["online_retail", "smartcart"])
    there = fit_value_sources_in_worker({}, frame, ["online_retail", "smartcart"])
    assert there.equals(here) and there.num_rows == 2
    with pytest.raises(ValueInputError, match="recency after T"):
        fit_value_sources_in_worker({}, frame.assign(recency=frame["T"] + 1))
