"""autoaudit-api: the example service of the AutoAudit stack."""

__version__ = "0.1.0"
