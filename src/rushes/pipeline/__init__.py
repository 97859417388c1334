"""The pipeline: analyzers, their registry, the runner, jobs and execution engines.

* :mod:`rushes.pipeline.analyzer` — the :class:`~rushes.pipeline.analyzer.Analyzer` interface and cache keys
* :mod:`rushes.pipeline.registry` — built-in and plug-in analyzers, graph resolution
* :mod:`rushes.pipeline.runner` — one file through the graph: cached steps skipped, outputs committed atomically
* :mod:`rushes.pipeline.jobs` — persisted batch jobs (pause / resume / cancel from another process)
* :mod:`rushes.pipeline.engine` — where files run: serial, a process pool, or another engine
* :mod:`rushes.pipeline.worker` — the per-file function an engine runs

Nothing is imported here, so ``import rushes.pipeline`` stays cheap.
"""
