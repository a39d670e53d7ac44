"""autoaudit-secrets internals."""
