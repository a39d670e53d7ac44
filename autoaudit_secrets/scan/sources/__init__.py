"""Where scanned documents come from: the working tree (``_tree``) and git history (``_git``).

Each source yields documents (bytes plus their provenance: path, commit, ...) for the engine; the engine scans
documents and does not ask where they came from.
"""
