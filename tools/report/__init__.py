"""Offline HTML report over the runs' event journal, CSV, summaries and log (``python3 -m tools.report``)."""
