"""Format-aware analyzers that run beside the token rules: Dockerfiles, compose files, build contexts
(``docker/``), CI workflows, ``.env`` files, sensitive file names and configuration values.

The registry of analyzers is :mod:`._registry`; an analyzer module is imported only when a scanned file could
concern it.
"""
