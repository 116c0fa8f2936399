"""Failures that need the operator: the process exits 78 so pm2 does not restart it into the same wall."""
from __future__ import annotations


class ConfigurationProblem(RuntimeError):
    """A venue refused this account or setup (credentials, account mode, unfunded or settled market).

    str() is one line: what is wrong, where, and what to do.
    """
