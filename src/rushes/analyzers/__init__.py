"""Built-in analyzers. Each module registers its analyzers with :func:`rushes.pipeline.registry.register`."""
