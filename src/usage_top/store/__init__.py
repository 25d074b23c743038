"""Persistence of polled usage in SQLite, and the queries the UI and CLI ask.

Never imports textual: the collector and the CLI use the store without a UI.
"""

from usage_top.store.errors import StoreError
from usage_top.store.paths import default_db_path
from usage_top.store.polls import PollRecord
from usage_top.store.store import Store

__all__ = ["PollRecord", "Store", "StoreError", "default_db_path"]
