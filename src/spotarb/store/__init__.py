"""Price storage: the interface (:mod:`.base`), the SQLite (:mod:`.sqlite`) and PostgreSQL
(:mod:`.postgres`) backends."""

from spotarb.store.base import (
    CollectionRun,
    PriceFilter,
    PriceStore,
    ProviderInfo,
    StoreInfo,
    WriteStats,
)
from spotarb.store.open import open_store, sqlite_file

__all__ = [
    "CollectionRun",
    "PriceFilter",
    "PriceStore",
    "ProviderInfo",
    "StoreInfo",
    "WriteStats",
    "open_store",
    "sqlite_file",
]
