"""Everything the engine asks of Hubble, on top of the hubble_exchange SDK.

Reads and streams go through the SDK's HubbleClient where it has them. Quotes
are signed with ``signing.OrderSigner`` (byte-identical to the SDK, much
faster) and sent as the SDK does, ``order_placeSignedOrders`` over a
websocket that is kept open. Chain reads the SDK lacks (head block, fill
logs, receipts, order status) are plain JSON-RPC calls on one aiohttp
session. The SDK reads its endpoints from the environment, so
``endpoints.export_for_hubble_sdk`` runs before it is imported.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from decimal import Decimal
from typing import Any, Callable

import aiohttp
import websockets

from bot.credentials import Secret
from bot.errors import ConfigurationProblem
from bot.maths.quoting import Account, Position
from bot.venues.hubble import chain_logs
from bot.venues.hubble.signing import OrderSigner, SignedHubbleOrder, scale_price, scale_size

log = logging.getLogger("hubble")
CLEARING_HOUSE = "0x03000000000000000000000000000000000000b2"   # the SDK's mainnet config
LOG_CHUNK_BLOCKS = 1000          # blocks per eth_getLogs call when replaying a gap
RPC_TIMEOUT = 10.0
CANCEL_RECEIPT_TIMEOUT = 10.0    # seconds for a cancel transaction to be mined and accepted
IOC_EXPIRY_SECONDS = 5           # an unwind's IOC order is dead this long after it is signed
SUBSCRIBE_CONFIRM_TIMEOUT = 10.0 # seconds for the node to confirm a trader-stream subscription (else reconnect)


async def _identity(response):
    return response


class RpcError(RuntimeError):
    """The node answered a JSON-RPC call with an error."""


def parse_account(response) -> Account:
    """Account from the SDK's GetPositionsResponse (strings/floats -> Decimal, exactly as sent)."""
    def dec(value) -> Decimal:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)

    positions = []
    for raw in response.positions:
        get = raw.get if hasattr(raw, "get") else (lambda k, r=raw: getattr(r, k, None))
        positions.append(Position(int(get("market")), dec(get("size")), dec(get("notionalPosition")),
                                  dec(get("unrealisedProfit")), dec(get("unrealisedFunding"))))
    return Account(dec(response.margin), dec(response.reservedMargin), tuple(positions))


class HubbleGateway:
    def __init__(self, client, signer: OrderSigner, ws_url: str, rpc_url: str):
        self.client = client
        self.signer = signer
        self.trader = signer.trader
        self._ws_url = ws_url
        self._rpc_url = rpc_url
        self._ws = None
        self._ws_lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None
        self.nonces = Nonces(lambda: self.rpc("eth_getTransactionCount", [self.trader, "pending"]))

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
        return cls(client, signer, endpoints["HUBBLE_WS_RPC"], endpoints["HUBBLE_RPC"])

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self.client.close_websocket()

    # ---- JSON-RPC ---------------------------------------------------------------------------
    async def rpc(self, method: str, params: list[Any]) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=RPC_TIMEOUT))
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        async with self._session.post(self._rpc_url, json=body) as resp:
            answer = await resp.json(content_type=None)
        if "error" in answer:
            error = answer["error"]
            raise RpcError(f"{method}: {error.get('message', error) if isinstance(error, dict) else error}")
        return answer.get("result")

    async def head_block(self) -> int:
        return int(await self.rpc("eth_blockNumber", []), 16)

    async def matched_logs(self, from_block: int, to_block: int) -> list[chain_logs.MatchedLog]:
        """This trader's OrderMatched logs in [from_block, to_block], oldest first (chunked)."""
        found: list[chain_logs.MatchedLog] = []
        for start in range(max(0, from_block), to_block + 1, LOG_CHUNK_BLOCKS):
            end = min(to_block, start + LOG_CHUNK_BLOCKS - 1)
            logs = await self.rpc("eth_getLogs", [chain_logs.matched_logs_filter(self.trader, start, end)])
            found += [chain_logs.parse_matched(item) for item in logs or ()]
        return found

    async def position_changes(self, tx_hash: str) -> list[chain_logs.PositionChange]:
        """This trader's position changes in a transaction (market and side of a fill on an unknown order)."""
        receipt = await self.rpc("eth_getTransactionReceipt", [tx_hash])
        return chain_logs.position_changes(receipt or {}, self.trader)

    async def fill_block(self, order_id: str, tx_hash: str) -> int | None:
        """The accepted block in which `tx_hash` matched `order_id`, or None when no accepted block holds it
        (receipts exist only for accepted blocks: the node serves no unfinalized data)."""
        receipt = await self.rpc("eth_getTransactionReceipt", [tx_hash])
        if not receipt or not chain_logs.matches_order(receipt, order_id):
            return None
        return int(receipt["blockNumber"], 16) if isinstance(receipt["blockNumber"], str) else int(receipt["blockNumber"])

    async def order_status(self, order_id: str) -> dict | None:
        """The node's view of an open order (trading_getOrderStatus); None when the node does not hold
        it open (filled, cancelled, expired, or never received)."""
        try:
            return await self.rpc("trading_getOrderStatus", [order_id])
        except RpcError as exc:
            if "not found" in str(exc):
                return None
            raise

    # ---- reads ------------------------------------------------------------------------------------
    async def account(self) -> Account:
        return parse_account(await self.client.get_margin_and_positions(_identity))

    async def check_trader(self) -> Account:
        """The trader's margin account; a missing one is the operator's to fix (deposit margin first)."""
        from hubble_exchange.errors import TraderNotFound

        try:
            return await self.account()
        except TraderNotFound:
            raise ConfigurationProblem(
                f"Hubble: trader {self.trader} has no margin account (the node says 'trader not found'): "
                "deposit margin on Hubble for this key before starting the bot") from None

    async def margin_requirement(self) -> Decimal:
        """The chain's minAllowableMargin as a fraction (0.2 = 5x): the margin Hubble reserves for an
        order and charges a position (hubblenet bibliophile VariablesReadFromClearingHouseSlots,
        ``min_allowable_margin``, 1e6-scaled, read through testing_getClearingHouseVars as the SDK does)."""
        return await self._clearing_house_fraction("min_allowable_margin")

    async def maintenance_margin(self) -> Decimal:
        """The chain's maintenanceMargin as a fraction: a position whose margin fraction falls under it can be
        liquidated (same read as margin_requirement, ``maintenance_margin``, 1e6-scaled)."""
        return await self._clearing_house_fraction("maintenance_margin")

    async def _clearing_house_fraction(self, name: str) -> Decimal:
        answer = await self.rpc("testing_getClearingHouseVars", [self.trader])
        fraction = Decimal(str(answer[name])) / Decimal(10) ** 6
        if not 0 < fraction <= 1:
            raise RpcError(f"testing_getClearingHouseVars: {name} {fraction} is not in (0, 1]")
        return fraction

    async def maker_fee(self) -> Decimal:
        """Hubble's maker fee as a fraction (negative: a rebate): ClearingHouse.makerFee() of the SDK's ABI,
        1e6-scaled like the node's GetMakerFee."""
        from eth_abi import decode
        from eth_utils import keccak

        raw = await self.rpc("eth_call", [{"to": CLEARING_HOUSE, "data": "0x" + keccak(b"makerFee()")[:4].hex()},
                                          "latest"])
        (fee,) = decode(["int256"], bytes.fromhex(raw[2:]))
        return Decimal(fee) / Decimal(10) ** 6

    async def position(self, market: int) -> Decimal:
        position = (await self.account()).position(market)
        return position.size if position else Decimal(0)

    # ---- streams ------------------------------------------------------------------------------------
    async def stream_trader_updates(self, on_subscribed: Callable[[], None],
                                    on_update: Callable[[object, float], None]) -> None:
        """Read the trader stream (head confirmations) until it breaks.

        Same wire as the SDK's subscribe_to_trader_updates, read here so that
        the subscription's confirmation marks the stream healthy (a quiet
        trader stream sends nothing else) and so that each update carries the
        perf_counter() of its arrival. ``on_update`` must not wait.
        """
        async with websockets.connect(self._ws_url, max_size=2**22) as ws:
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "trading_subscribe",
                                      "params": ["streamTraderUpdates", self.trader, "head"]}))
            deadline = time.monotonic() + SUBSCRIBE_CONFIRM_TIMEOUT
            confirmed = False
            while not confirmed:
                try:
                    raw = await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    raise ConnectionError(f"the node did not confirm the trader stream's subscription in "
                                          f"{SUBSCRIBE_CONFIRM_TIMEOUT:.0f}s: reconnecting") from None
                confirmed = self._on_trader_message(raw, on_subscribed, on_update)
            async for raw in ws:
                self._on_trader_message(raw, on_subscribed, on_update)

    @staticmethod
    def _on_trader_message(raw, on_subscribed: Callable[[], None], on_update: Callable[[object, float], None]) -> bool:
        """Hand one trader-stream message on; True when it was the subscription's confirmation."""
        from hubble_exchange.models import TraderFeedUpdate

        received = time.perf_counter()
        message = json.loads(raw)
        if "error" in message:
            raise ConnectionError(f"trader stream subscription refused: {message['error']}")
        if message.get("id") == 1 and "result" in message:
            on_subscribed()
            return True
        if message.get("method") == "trading_subscription":
            on_update(TraderFeedUpdate(**message["params"]["result"]), received)
        return False

    # ---- orders ---------------------------------------------------------------------------------------
    def sign(self, market: int, size: Decimal, price: Decimal, expiry_seconds: float) -> SignedHubbleOrder:
        """A quote that lives at least `expiry_seconds`: the node's expireAt is whole seconds, so it is
        rounded up (truncating would give a fractional expiry an order born expired)."""
        expire_at = -int(-(time.time() + expiry_seconds) // 1)
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

    async def cancel(self, orders: list[SignedHubbleOrder], timeout: float = CANCEL_RECEIPT_TIMEOUT) -> list[dict]:
        """Cancel signed orders on chain (one transaction per 100); one result dict per order.

        A result is a success only when the receipt holds the order's OrderCancelAccepted; a transaction
        that failed to go out, or was not mined within `timeout`, gives every order of it a failure that
        says so (the caller asks the node whether the order still rests)."""
        from hexbytes import HexBytes
        from hubble_exchange.models import SignedOrder

        models = [SignedOrder(id=HexBytes(o.order_id), amm_index=o.market, trader=o.trader,
                              base_asset_quantity=scale_size(o.size), price=scale_price(o.price), salt=o.salt,
                              reduce_only=o.reduce_only, expire_at=o.expire_at, signature=HexBytes(o.signature))
                  for o in orders]
        deadline = time.monotonic() + timeout
        results = []
        for start in range(0, len(models), 100):
            chunk = models[start:start + 100]
            results += await self._cancel_chunk(chunk, [o.order_id for o in orders[start:start + 100]], deadline)
        return results

    async def _cancel_chunk(self, models: list, order_ids: list[str], deadline: float) -> list[dict]:
        try:
            tx_hash = await self._send_cancel(models)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - refused for gas, RPC error, timeout: said per order
            reason = f"cancel transaction not sent ({type(exc).__name__}: {exc})"
            return [{"order_id": i, "success": False, "error": reason, "unknown": True} for i in order_ids]
        receipt = await self._receipt(tx_hash, deadline)
        if receipt is None:
            self.nonces.forget("a cancel transaction was not mined in time")   # a gap would hold every later one
            reason = f"cancel transaction {tx_hash} not mined in time"
            return [{"order_id": i, "success": False, "error": reason, "unknown": True} for i in order_ids]
        from hubble_exchange import constants      # the SDK's addresses for HUBBLE_ENV (init_config)

        return chain_logs.cancel_results(receipt, order_ids, constants.SignedOrderBookContractAddress)

    async def _send_cancel(self, models: list) -> str:
        return await self._send_transaction("a cancel", lambda sdk, options, mode:
                                            sdk.cancel_signed_orders(models, options, mode))

    async def _send_transaction(self, what: str, send: Callable) -> str:
        """Sign and send one transaction with a nonce this gateway keeps (the SDK's own local counter
        leaves a gap after any send that fails, and every later transaction then waits behind it for ever:
        hubble_exchange order_book.py _get_nonce). After any failure the next nonce is asked of the node."""
        from hubble_exchange.models import TransactionMode

        sdk = self.client.order_book_client
        async with self.nonces.lock:
            nonce = await self.nonces.next()
            try:
                response = await asyncio.wait_for(send(sdk, {"nonce": nonce}, TransactionMode.no_wait), RPC_TIMEOUT)
            except BaseException as exc:
                self.nonces.forget(f"sending {what} failed ({type(exc).__name__})")
                raise
            self.nonces.used(nonce)
        return "0x" + bytes(response.tx_hash).hex()

    async def place_ioc(self, market: int, size: Decimal, price: Decimal, reduce_only: bool,
                        expiry_seconds: int = IOC_EXPIRY_SECONDS) -> tuple[str, str, int]:
        """Send one IOC order (a taker order, a transaction); returns (order id, transaction hash, expireAt).

        Its fills come on the trader stream like any other, under this order id: the IOC order's hash is
        keccak of its ABI encoding (hubblenet orderbook IOCOrder.Hash, EncodeToABIWithoutType; the tuple
        the IOC book's placeOrders takes, in the SDK's IOCOrder.to_dict order)."""
        import random

        from eth_abi import encode
        from eth_utils import keccak
        from hexbytes import HexBytes
        from hubble_exchange.models import IOCOrder

        expire_at = int(time.time()) + expiry_seconds
        salt = random.getrandbits(64)
        qty, scaled_price = scale_size(size), scale_price(price)
        order_id = "0x" + keccak(encode(["uint8", "uint256", "uint256", "address", "int256", "uint256", "uint256",
                                         "bool"], [1, expire_at, market, self.trader, qty, scaled_price, salt,
                                                   reduce_only])).hex()
        order = IOCOrder(id=HexBytes(order_id), amm_index=market, trader=self.trader, base_asset_quantity=qty,
                         price=scaled_price, salt=salt, reduce_only=reduce_only, expire_at=expire_at)
        tx_hash = await self._send_transaction("an IOC order", lambda sdk, options, mode:
                                               sdk.place_ioc_orders([order], options, mode))
        return order_id, tx_hash, expire_at

    async def ioc_receipt(self, tx_hash: str, timeout: float = CANCEL_RECEIPT_TIMEOUT) -> dict | None:
        """The IOC transaction's receipt once accepted (None: not mined in time; the nonce is asked again)."""
        receipt = await self._receipt(tx_hash, time.monotonic() + timeout)
        if receipt is None:
            self.nonces.forget("an IOC transaction was not mined in time")
        return receipt

    async def _receipt(self, tx_hash: str, deadline: float, poll: float = 0.1) -> dict | None:
        """The transaction's receipt once its block is accepted, or None at the deadline."""
        while True:
            try:
                receipt = await self.rpc("eth_getTransactionReceipt", [tx_hash])
            except (RpcError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.debug("receipt of %s: %s", tx_hash, exc)
                receipt = None
            if receipt:
                return receipt
            if time.monotonic() + poll > deadline:
                return None
            await asyncio.sleep(poll)


class Nonces:
    """The trader's next transaction nonce: asked of the node (its pending count) when first needed and after
    any failure, counted here in between."""

    def __init__(self, pending_count: Callable[[], Any]):
        self._pending_count = pending_count
        self._next: int | None = None
        self.lock = asyncio.Lock()
        self.resyncs = 0

    async def next(self) -> int:
        if self._next is None:
            self._next = int(await self._pending_count(), 16)
            self.resyncs += 1
        return self._next

    def used(self, nonce: int) -> None:
        self._next = nonce + 1

    def forget(self, why: str) -> None:
        if self._next is not None:
            log.info("Hubble: %s; the next transaction's nonce will be asked of the node", why)
        self._next = None
