"""SQLite schema of the catalog (one file, WAL mode).

Tables:

``media``       one row per distinct file *content* (fingerprint), with its latest path and probe.
``results``     the cache: one row per finished (media, analyzer, version, params, model) step.
``intervals``   the one generic interval-track table: shots, tags, words, slates, takes, ...
``interval_fts`` FTS5 index over interval labels (transcript words, OCR text, tags).
``artifacts``   files an analyzer produced (thumbnails, embeddings), relative to the library.
``jobs`` / ``job_items``  persisted batch state, so jobs can be paused, resumed and cancelled.
``failures``    what failed, where, and why (the report).
"""

from __future__ import annotations

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS media (
    id          INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    path        TEXT NOT NULL,
    name        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    mtime       REAL,
    kind        TEXT NOT NULL,
    duration_s  REAL,
    frame_rate  TEXT,
    probe_json  TEXT NOT NULL,
    added_at    REAL NOT NULL,
    updated_at  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS media_path ON media(path);
CREATE INDEX IF NOT EXISTS media_name ON media(name);

CREATE TABLE IF NOT EXISTS results (
    key          TEXT PRIMARY KEY,
    media_id     INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    analyzer     TEXT NOT NULL,
    version      TEXT NOT NULL,
    params_hash  TEXT NOT NULL,
    model_id     TEXT NOT NULL DEFAULT '',
    params_json  TEXT NOT NULL,
    job_id       INTEGER,
    wall_s       REAL,
    cpu_s        REAL,
    model_calls  INTEGER NOT NULL DEFAULT 0,
    metrics_json TEXT NOT NULL DEFAULT '{}',
    created_at   REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS results_media ON results(media_id, analyzer);

CREATE TABLE IF NOT EXISTS intervals (
    id         INTEGER PRIMARY KEY,
    media_id   INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    track      TEXT NOT NULL,
    label      TEXT NOT NULL,
    start_pts  INTEGER NOT NULL,
    end_pts    INTEGER NOT NULL,
    tb_num     INTEGER NOT NULL,
    tb_den     INTEGER NOT NULL,
    start_s    REAL NOT NULL,
    end_s      REAL NOT NULL,
    score      REAL NOT NULL DEFAULT 1.0,
    attrs      TEXT,
    producer   TEXT NOT NULL,
    version    TEXT NOT NULL,
    result_key TEXT REFERENCES results(key) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS intervals_track ON intervals(track, label, media_id, start_s);
CREATE INDEX IF NOT EXISTS intervals_media ON intervals(media_id, track, start_s);
CREATE INDEX IF NOT EXISTS intervals_result ON intervals(result_key);

CREATE VIRTUAL TABLE IF NOT EXISTS interval_fts USING fts5(
    label, track UNINDEXED, content='intervals', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS intervals_ai AFTER INSERT ON intervals BEGIN
    INSERT INTO interval_fts(rowid, label, track) VALUES (new.id, new.label, new.track);
END;
CREATE TRIGGER IF NOT EXISTS intervals_ad AFTER DELETE ON intervals BEGIN
    INSERT INTO interval_fts(interval_fts, rowid, label, track) VALUES ('delete', old.id, old.label, old.track);
END;

CREATE TABLE IF NOT EXISTS artifacts (
    id         INTEGER PRIMARY KEY,
    media_id   INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    result_key TEXT REFERENCES results(key) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    path       TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    attrs      TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS artifacts_media ON artifacts(media_id, kind);

CREATE TABLE IF NOT EXISTS jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,
    params_json TEXT NOT NULL,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    pid         INTEGER,
    host        TEXT,
    message     TEXT
);

CREATE TABLE IF NOT EXISTS job_items (
    job_id      INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    path        TEXT NOT NULL,
    media_id    INTEGER,
    state       TEXT NOT NULL,
    error_type  TEXT,
    error       TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    started_at  REAL,
    finished_at REAL,
    stats_json  TEXT,
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE IF NOT EXISTS failures (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER,
    path        TEXT NOT NULL,
    media_id    INTEGER,
    analyzer    TEXT,
    error_type  TEXT NOT NULL,
    message     TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 1,
    created_at  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_path ON failures(path);
"""
