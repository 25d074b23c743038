"""Persistence of polled usage in SQLite, and the queries the UI and CLI ask.

Never imports textual: the collector and the CLI use the store without a UI.
"""

from .errors import StoreError
from .paths import default_db_path
from .polls import PollRecord
from .store import Store

__all__ = ["PollRecord", "Store", "StoreError", "default_db_path"]
