"""Per-market settings. Edit these dicts; the bot validates every value at start-up.

Units are in each comment. Spreads and refreshTolerance are PERCENT
("spread": 0.1 means 0.1 %); slippage and marginShare are
FRACTIONS (0.01 means 1 %); defensiveSkew is percent, scaled by how much of
the free margin the position already uses. Times are seconds unless a comment says otherwise.

Any key may be overridden for one run with ``--set key=value`` (for a level:
``--set orderLevels.1.spread=0.2``); overrides go through the same checks.
An unknown key is an error, so a typo never silently falls back to a default.
"""

AVAX = {
    "name": "AVAX-Perp",                   # Hubble market name (must match the market)
    "marginShare": 0.5,                    # fraction (0, 1] of Hubble free margin this bot may commit
    "leverage": 5,                         # hedge-venue leverage (x), 1 .. the venue's maximum for the asset
    "hedgeMarginShare": 1.0,               # fraction (0, 1] of the hedge account's free margin this market may use (1/3 if AVAX, ETH and SOL share one account)
    "orderFrequency": 2,                   # s between quote refreshes
    "orderExpiry": 2,                      # s a signed quote lives on Hubble (>= orderFrequency; rounded up to the node's whole seconds, so each set outlives the next tick)
    "defensiveSkew": 0.0,                  # % added to the spread of the side that would grow the position, times 10 x (position margin / free margin) (0 = off)
    "priceFeed": "binance-futures",        # mid price source: "binance-futures" (bookTicker) | "binance-spot" (trades)
    "avoidCrossing": True,                 # never quote through the opposite side of the live Hubble book
    "minProfit": 0.0,                      # % a level must earn once hedged at the hedge book after both fees (0 = break even)
    "requoteOnMove": 0.05,                 # % mid move that requotes at once instead of at the next tick (0 = off)
    "volatilitySpread": 0.0,               # x realised volatility added to every spread (0 = off)
    "inventorySkew": 0.0,                  # % price shift per lot carried unhedged (0 = off)
    "orderLevels": {                       # one bid and one ask per level
        # spread: % from mid; qty: AVAX; refreshTolerance: % -- a live quote of the level whose price is
        # within this of the new one (and that outlives the next tick) is kept instead of re-placed
        "1": {"spread": 0.08, "qty": 3, "refreshTolerance": 0.0},
        "2": {"spread": 0.12, "qty": 4, "refreshTolerance": 0.0},
        "3": {"spread": 0.20, "qty": 5, "refreshTolerance": 0.0},
    },
    "maker": "hubble",                     # maker venue, where quotes rest: "hubble" | "hyperliquid" | "binance" (not the hedge venue)
    "deadManSeconds": 30,                  # s: a maker venue other than Hubble cancels our quotes this long after the last heartbeat
    "requoteByModify": True,               # Hyperliquid maker: replace a level's quote by batchModify (False: place + cancel)
    "hedge": "hyperliquid",                # hedge venue: "hyperliquid" | "binance"
    "hedgeMode": True,                     # hedge every fill at once (False = quote only, you carry the risk)
    "slippage": 0.01,                      # fraction: worst hedge price vs the hedge venue's book (IOC limit)
    "hedgeStreams": True,                  # hedge venue book, fills and position pushed by websockets (False = poll by REST)
    "hedgeBookMaxAge": 2,                  # s: an older hedge book pauses quoting (and is re-read before hedging)
    "hedgeVenueProcesses": 1,              # market processes sharing this IP and hedge account (3 for AVAX, ETH and SOL)
    "hedgeNettingWindow": 0,               # s a hedge waits so that fills arriving together go out as one order (0 = at once)
    "hedgeOrdersOverWebsocket": False,     # Hyperliquid: send hedge orders on the websocket (post requests) instead of HTTP
    "futures_feed_frequency": 1,           # s between mid-price updates taken from the price feed
    "mid_price_expiry": 3,                 # s after which the mid price is stale and quoting pauses (> futures_feed_frequency)
    "hedgeClient_orderbook_frequency": 1,  # s between REST reads of the hedge book (with hedgeStreams: only while its stream is silent)
    "hedgeClient_user_state_frequency": 60, # s between REST reads of the hedge account (pushed meanwhile; use 5 without hedgeStreams)
    "orderFillCooldown": 0,                # s the side that filled waits after its hedge before quoting again (the other side goes on)
    "hubblePositionPollInterval": 5,       # s between Hubble margin/position polls
    "position_data_expiry": 12,            # s after which Hubble position data is stale and quoting pauses (> hubblePositionPollInterval)
    "hubble_orderbook_frequency": "1s",    # Hubble depth stream period, a Go duration: "500ms", "1s"
    "performance_tracking_interval": 1800, # s between rows of performance/<market>.csv
    "alertPauseAfter": 300,                # s of paused quoting before an alert is sent (needs ALERT_WEBHOOK_URL; 0 = off)
    "metricsPort": 0,                      # Prometheus endpoint on 127.0.0.1:<port>/metrics (0 = off; one port per market)
    "logRotation": "50MB",                 # logs/<market>.log and the event journal rotate at this size, or "daily"
    "logBackups": 10,                      # rotated files kept of each
    "maxOrderSize": 10,                    # base units: the largest single quote
    "maxOrderNotional": 1000,              # USD: the largest single quote
    "maxRestingPerSide": 24,               # base units resting on one side at once
    "maxPosition": 48,                     # base units: |Hubble position| never grows past this (every resting quote counted as filled)
    "maxPositionUsd": 2500,                # USD: the same bound in notional
    "maxHedgePosition": 60,                # base units: past it the state turns REDUCING (a hedge is never blocked)
    "maxOrderRate": 600,                   # quotes placed per minute
    "inventoryTarget": 24,                 # base units: above this |Hubble position| quotes skew toward zero and the growing side shrinks
    "positionSkew": 0.005,                 # % price shift of both sides per lot above inventoryTarget (0 = off)
    "liquidationWarn": 30,                 # % price move to either venue's liquidation that alerts
    "liquidationReduce": 20,               # % ... that quotes only the side that shrinks the position (REDUCING)
    "liquidationUnwind": 10,               # % ... that closes both legs, unwindSize at a time
    "unwindSize": 3,                       # base units closed on both legs per unwind step
    "maxDailyLoss": 100,                   # USD lost since UTC midnight (both venues' equity) that trips the kill switch (0 = off)
    "maxTotalLoss": 300,                   # USD lost since the risk baseline that trips the kill switch (0 = off)
    "onKill": "halt",                      # "halt": cancel quotes, keep hedging | "flatten": close both legs, then halt
    "riskPollInterval": 30,                # s between REST reads of the hedge account's equity and liquidation price (also after every position change)
}

ETH = {
    "name": "ETH-Perp",
    "marginShare": 0.5,
    "leverage": 5,
    "hedgeMarginShare": 1.0,
    "orderFrequency": 2,
    "orderExpiry": 2,
    "defensiveSkew": 0.0,
    "priceFeed": "binance-futures",
    "avoidCrossing": True,
    "minProfit": 0.0,
    "requoteOnMove": 0.05,
    "volatilitySpread": 0.0,
    "inventorySkew": 0.0,
    "orderLevels": {                       # qty in ETH (multiples of 0.01)
        "1": {"spread": 0.08, "qty": 0.08, "refreshTolerance": 0.0},
        "2": {"spread": 0.12, "qty": 0.09, "refreshTolerance": 0.0},
        "3": {"spread": 0.20, "qty": 0.10, "refreshTolerance": 0.0},
    },
    "maker": "hubble",
    "deadManSeconds": 30,
    "requoteByModify": True,
    "hedge": "hyperliquid",
    "hedgeMode": True,
    "slippage": 0.01,
    "hedgeStreams": True,
    "hedgeBookMaxAge": 2,
    "hedgeVenueProcesses": 1,
    "hedgeNettingWindow": 0,
    "hedgeOrdersOverWebsocket": False,
    "futures_feed_frequency": 1,
    "mid_price_expiry": 3,
    "hedgeClient_orderbook_frequency": 1,
    "hedgeClient_user_state_frequency": 60,
    "orderFillCooldown": 0,
    "hubblePositionPollInterval": 5,
    "position_data_expiry": 12,
    "hubble_orderbook_frequency": "1s",
    "performance_tracking_interval": 1800,
    "alertPauseAfter": 300,
    "metricsPort": 0,
    "logRotation": "50MB",
    "logBackups": 10,
    "maxOrderSize": 0.3,
    "maxOrderNotional": 1500,
    "maxRestingPerSide": 0.54,
    "maxPosition": 1.08,
    "maxPositionUsd": 4000,
    "maxHedgePosition": 1.4,
    "maxOrderRate": 600,
    "inventoryTarget": 0.54,
    "positionSkew": 0.005,
    "liquidationWarn": 30,
    "liquidationReduce": 20,
    "liquidationUnwind": 10,
    "unwindSize": 0.08,
    "maxDailyLoss": 100,
    "maxTotalLoss": 300,
    "onKill": "halt",
    "riskPollInterval": 30,
}

SOL = {
    "name": "SOL-Perp",
    "marginShare": 0.5,
    "leverage": 5,
    "hedgeMarginShare": 1.0,
    "orderFrequency": 2,
    "orderExpiry": 2,
    "defensiveSkew": 0.0,
    "priceFeed": "binance-futures",
    "avoidCrossing": True,
    "minProfit": 0.0,
    "requoteOnMove": 0.05,
    "volatilitySpread": 0.0,
    "inventorySkew": 0.0,
    "orderLevels": {                       # qty in SOL (multiples of 0.1)
        "1": {"spread": 0.08, "qty": 1.0, "refreshTolerance": 0.0},
        "2": {"spread": 0.12, "qty": 1.2, "refreshTolerance": 0.0},
        "3": {"spread": 0.20, "qty": 1.2, "refreshTolerance": 0.0},
    },
    "maker": "hubble",
    "deadManSeconds": 30,
    "requoteByModify": True,
    "hedge": "hyperliquid",
    "hedgeMode": True,
    "slippage": 0.01,
    "hedgeStreams": True,
    "hedgeBookMaxAge": 2,
    "hedgeVenueProcesses": 1,
    "hedgeNettingWindow": 0,
    "hedgeOrdersOverWebsocket": False,
    "futures_feed_frequency": 1,
    "mid_price_expiry": 3,
    "hedgeClient_orderbook_frequency": 1,
    "hedgeClient_user_state_frequency": 60,
    "orderFillCooldown": 0,
    "hubblePositionPollInterval": 5,
    "position_data_expiry": 12,
    "hubble_orderbook_frequency": "1s",
    "performance_tracking_interval": 1800,
    "alertPauseAfter": 300,
    "metricsPort": 0,
    "logRotation": "50MB",
    "logBackups": 10,
    "maxOrderSize": 3,
    "maxOrderNotional": 1000,
    "maxRestingPerSide": 6.8,
    "maxPosition": 13.6,
    "maxPositionUsd": 2500,
    "maxHedgePosition": 17,
    "maxOrderRate": 600,
    "inventoryTarget": 6.8,
    "positionSkew": 0.005,
    "liquidationWarn": 30,
    "liquidationReduce": 20,
    "liquidationUnwind": 10,
    "unwindSize": 1.0,
    "maxDailyLoss": 100,
    "maxTotalLoss": 300,
    "onKill": "halt",
    "riskPollInterval": 30,
}

MARKETS = {"AVAX": AVAX, "ETH": ETH, "SOL": SOL}

# Venue endpoints: not secret. Mainnet defaults; an environment variable of the
# same name (or .env.secret / .env) overrides each one. --sim points them all
# at the local simulator.
ENDPOINTS = {
    "HUBBLE_ENV": "mainnet",
    "HUBBLE_RPC": "https://rpc.hubble.exchange",
    "HUBBLE_WS_RPC": "wss://ws-rpc.hubble.exchange",
    "HUBBLE_INDEXER_API_URL": "https://indexer.hubble.exchange",
    "HYPERLIQUID_API_URL": "https://api.hyperliquid.xyz",
    "BINANCE_FUTURES_REST": "https://fapi.binance.com",
    "BINANCE_FUTURES_WS": "wss://fstream.binance.com",
    "BINANCE_SPOT_REST": "https://api.binance.com",
    "BINANCE_SPOT_WS": "wss://stream.binance.com:9443",
}
