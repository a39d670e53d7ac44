"""The scanning engine: the multi-pattern matcher (Hyperscan, RE2 or ``re``), the detector that confirms and
filters candidate matches, inline suppression, and the worker processes. ``Scanner`` lives in ``_scanner``."""
