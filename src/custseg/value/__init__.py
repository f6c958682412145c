"""Customer value and churn risk: buy-till-you-die models fitted with pymc-marketing's CLV
module (a transaction model for purchase counts and the probability a customer is still
active, Gamma-Gamma for spend per purchase; MAP fits), their predictions per customer, and
a calibration/holdout evaluation against a naive baseline.

``fit_value_model(inputs, settings)`` fits one source; ``evaluate_holdout`` compares the
predictions of a model fitted on a calibration period with what customers then bought.
The inputs follow the library's conventions (one row per customer): ``frequency`` repeat
purchases, ``recency`` time from the first to the last purchase, ``T`` time from the first
purchase to the end of observation (days), ``monetary_value`` mean spend per repeat
purchase. Settings and the approximations per source are documented in docs/customer_value.md.
"""

from custseg.value.model import (
    VALUE_COLUMNS,
    ValueFit,
    ValueInputError,
    ValueSettings,
    ValueWarning,
    evaluate_holdout,
    fit_sample,
    fit_value_model,
    summarise_evaluation,
)

__all__ = [
    "VALUE_COLUMNS",
    "ValueFit",
    "ValueInputError",
    "ValueSettings",
    "ValueWarning",
    "evaluate_holdout",
    "fit_sample",
    "fit_value_model",
    "summarise_evaluation",
]
