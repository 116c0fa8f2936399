"""Everything the engine asks of Hubble, on top of the hubble_exchange SDK.

Reads and streams go through the SDK's HubbleClient. Quotes are signed with
``hubble_orders.OrderSigner`` (byte-identical to the SDK, much faster) and
sent as the SDK does, ``order_placeSignedOrders`` over a websocket that is
kept open. The SDK reads its endpoints from the environment, so
``endpoints.export_for_hubble_sdk`` runs before it is imported.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from decimal import Decimal
from typing import Callable

import websockets

from bot.credentials import Secret
from bot.venues.hubble.signing import OrderSigner, SignedHubbleOrder
from bot.maths.quoting import Account, parse_account

log = logging.getLogger("hubble")


async def _identity(response):
    return response


class HubbleGateway:
    def __init__(self, client, signer: OrderSigner, ws_url: str):
        self.client = client
        self.signer = signer
        self.trader = signer.trader
        self._ws_url = ws_url
        self._ws = None
        self._ws_lock = asyncio.Lock()
        self._ids = itertools.count(1)

    @classmethod
    async def connect(cls, private_key: Secret, endpoints: dict[str, str]) -> "HubbleGateway":
        from bot import endpoints as endpoint_config

        endpoint_config.export_for_hubble_sdk(endpoints)
        import hubble_exchange.eth as sdk_eth
        from hubble_exchange import HubbleClient

        # the SDK caches its web3 clients (URL and HTTP session) in module globals
        sdk_eth.async_web3_client = sdk_eth.sync_web3_client = None

        # HubbleClient.__init__ makes a blocking HTTP call: keep it off the event loop.
        client = await asyncio.to_thread(HubbleClient, private_key.reveal())
        signer = OrderSigner(private_key.reveal(), client.trader_address)
        return cls(client, signer, endpoints["HUBBLE_WS_RPC"])

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        await self.client.close_websocket()

    # ---- reads ------------------------------------------------------------------
    async def account(self) -> Account:
        return parse_account(await self.client.get_margin_and_positions(_identity))

    async def position(self, market: int) -> Decimal:
        position = (await self.account()).position(market)
        return position.size if position else Decimal(0)

    async def open_orders(self, market: int) -> list:
        return await self.client.get_open_orders(market, _identity)

    async def order_side(self, order_id: str) -> int | None:
        """+1/-1 for an order the node knows (used when a fill's order is not in our cache)."""
        from hexbytes import HexBytes

        status = await self.client.get_limit_order_details(HexBytes(order_id), _identity)
        side = str(getattr(status, "positionSide", "")).upper()
        if side in ("LONG", "BUY"):
            return 1
        if side in ("SHORT", "SELL"):
            return -1
        qty = Decimal(str(getattr(status, "origQty", "0") or "0"))
        return (qty > 0) - (qty < 0) or None

    # ---- streams ------------------------------------------------------------------
    async def stream_trader_updates(self, on_subscribed: Callable[[], None],
                                    on_update: Callable[[object, float], None]) -> None:
        """Read the trader stream (head confirmations) until it breaks.

        Same wire as the SDK's subscribe_to_trader_updates, read here so that
        the subscription's confirmation marks the stream healthy (a quiet
        trader stream sends nothing else) and so that each update carries the
        perf_counter() of its arrival. ``on_update`` must not wait.
        """
        from hubble_exchange.models import TraderFeedUpdate

        async with websockets.connect(self._ws_url, max_size=2**22) as ws:
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "trading_subscribe",
                                      "params": ["streamTraderUpdates", self.trader, "head"]}))
            async for raw in ws:
                received = time.perf_counter()
                message = json.loads(raw)
                if "error" in message:
                    raise ConnectionError(f"trader stream subscription refused: {message['error']}")
                if message.get("id") == 1 and "result" in message:
                    on_subscribed()
                    continue
                if message.get("method") == "trading_subscription":
                    on_update(TraderFeedUpdate(**message["params"]["result"]), received)

    # ---- orders -------------------------------------------------------------------
    def sign(self, market: int, size: Decimal, price: Decimal, expiry_seconds: float) -> SignedHubbleOrder:
        expire_at = int(time.time() + expiry_seconds)
        return self.signer.sign(market, size, price, expire_at)

    async def place(self, orders: list[SignedHubbleOrder], on_sent: Callable[[], None] | None = None) -> list[dict]:
        """Send signed orders in one order_placeSignedOrders call; one result dict per order."""
        request_id = next(self._ids)
        message = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "order_placeSignedOrders",
                              "params": [json.dumps([o.encoded.hex() for o in orders])]})
        async with self._ws_lock:
            ws = await self._socket()
            try:
                await ws.send(message)
                if on_sent is not None:
                    on_sent()
                reply = await self._reply(ws, request_id)
            except (websockets.ConnectionClosed, OSError):
                self._ws = None
                raise
        if "error" in reply:
            raise RuntimeError(f"Hubble rejected order_placeSignedOrders: {reply['error']}")
        results = (reply.get("result") or {}).get("orders") or []
        return [{"order_id": r.get("orderId", ""), "success": bool(r.get("success")), "error": r.get("error", "")}
                for r in results]

    async def _socket(self):
        if self._ws is None or self._ws.state != websockets.protocol.State.OPEN:
            self._ws = await websockets.connect(self._ws_url, max_size=2**22)
        return self._ws

    @staticmethod
    async def _reply(ws, request_id: int, timeout: float = 10.0) -> dict:
        async def matching() -> dict:
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("id") == request_id:
                    return reply

        return await asyncio.wait_for(matching(), timeout)

    async def cancel(self, orders: list[SignedHubbleOrder]) -> list[dict]:
        """Cancel signed orders on chain (one transaction) and wait for the result per order."""
        from hexbytes import HexBytes
        from hubble_exchange.models import SignedOrder

        from bot.venues.hubble.signing import scale_price, scale_size

        models = [SignedOrder(id=HexBytes(o.order_id), amm_index=o.market, trader=o.trader,
                              base_asset_quantity=scale_size(o.size), price=scale_price(o.price), salt=o.salt,
                              reduce_only=o.reduce_only, expire_at=o.expire_at, signature=HexBytes(o.signature))
                  for o in orders]
        results = []
        for start in range(0, len(models), 100):
            results += await self.client.cancel_signed_orders(models[start:start + 100], True, _identity)
        return results
