"""Customer segmentation: sample data, feature preprocessing and clustering for the dbt project."""

__version__ = "0.1.0"
