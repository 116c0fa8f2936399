"""The venue-side observer: judges a market maker from what the venues saw, never from the bot.

``python3 -m tools.observer`` starts tools/simnet in this process, runs the real
bot (``main.py``, live mode, its own process and working directory) against it,
samples the venues once a second, reads the trader's fills from the venues'
own APIs after the run and writes a JSON report per scenario plus a markdown
table. ``options`` holds what a run is asked for, ``records`` what it
collects (the data types), ``metrics`` the pure computations,
``venue_view`` the in-process samples, ``venue_fills`` the after-run reads,
``bot_process`` the bot's process, ``run`` one run, ``report`` the output,
``liquidations`` the venues' liquidations of the bot after the run and
``bot_metrics`` the two risk figures only the bot can state (its liquidation
distance and time in each risk state), scraped from its Prometheus endpoint.
"""
