"""autoaudit-api: the AutoAudit HTTP API (stack-proof fixture)."""
