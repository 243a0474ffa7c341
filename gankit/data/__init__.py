"""Data: every source becomes a DataSource of normalised tensors with its normalisation recorded."""
from gankit.data.build import build_data
from gankit.data.source import DataInfo, DataSource

__all__ = ["build_data", "DataInfo", "DataSource"]
