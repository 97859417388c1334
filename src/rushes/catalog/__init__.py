"""The catalog (SQLite, WAL): media, cached results, interval tracks, artifacts, jobs."""

from rushes.catalog.schema import SCHEMA_VERSION
from rushes.catalog.store import ArtifactRecord, Catalog, MediaRecord, ResultRecord

__all__ = ["SCHEMA_VERSION", "ArtifactRecord", "Catalog", "MediaRecord", "ResultRecord"]
