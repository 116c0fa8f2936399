"""Preflight rows for Hubble: the node, the market, the rules on chain, the trader's account. Nothing is sent
that changes anything: JSON-RPC reads, one depth subscription.

Sources of what is read: the SDK's mainnet config (CHAIN_ID, contract addresses) and ABIs (ClearingHouse
minAllowableMargin / hubbleReferral, AMM minSizeRequirement / multiplier); hubblenet trading_apis.go
(trading_getMarginAndPositions, "trader not found"), testing_apis.go (testing_getClearingHouseVars: no markets
once settled), bibliophile referral.go (restrictedInvites at slot 6, traderToReferrer at slot 3) and
clearing_house.go (the referral contract at ClearingHouse slot 13); gas is native USDC (18 decimals).
"""
from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

import aiohttp
from eth_abi import decode, encode
from eth_account import Account as EthAccount
from eth_utils import keccak

from bot.maths import quoting
from bot.preflight.rows import Row, fail, ok, timed, warn
from bot.settings import MarketSettings

CLEARING_HOUSE = "0x03000000000000000000000000000000000000b2"
REFERRAL_SLOT, RESTRICTED_SLOT, REFERRER_SLOT = 13, 6, 3
CANCEL_GAS = 300_000             # gas of a cancel transaction (the SDK's GAS_PER_ORDER)
CANCELS_OF_GAS = 50              # native balance below this many cancels is a warning
BLOCK_WAIT = 3.0
AREA = "hubble"


class Rpc:
    def __init__(self, session: aiohttp.ClientSession, url: str):
        self.session, self.url, self.ids = session, url, 0

    async def __call__(self, method: str, *params: Any) -> Any:
        self.ids += 1
        async with self.session.post(self.url, json={"jsonrpc": "2.0", "id": self.ids, "method": method,
                                                     "params": list(params)}) as resp:
            answer = await resp.json(content_type=None)
        if "error" in answer:
            error = answer["error"]
            raise RuntimeError(error.get("message", error) if isinstance(error, dict) else error)
        return answer["result"]

    async def view(self, to: str, signature: str, returns: list[str], *args: tuple[str, Any]) -> tuple:
        data = keccak(signature.encode())[:4] + encode([a[0] for a in args], [a[1] for a in args])
        raw = await self("eth_call", {"to": to, "data": "0x" + data.hex()}, "latest")
        return decode(returns, bytes.fromhex(raw[2:]))


async def hubble_rows(s: MarketSettings, private_key: str, endpoints: dict[str, str]) -> list[Row]:
    trader = EthAccount.from_key(private_key).address
    rows: list[Row] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        rpc = Rpc(session, endpoints["HUBBLE_RPC"])
        try:
            chain, ms = await timed(lambda: rpc("eth_chainId"))
        except Exception as exc:  # noqa: BLE001 - any failure to reach the node is this row's finding
            return [fail(AREA, "node reachable", f"{endpoints['HUBBLE_RPC']}: {type(exc).__name__}: {exc}",
                         "check HUBBLE_RPC and the network")]
        rows.append(_chain_row(int(chain, 16), endpoints["HUBBLE_ENV"], ms))
        for name, check in (("blocks", lambda: _blocks_row(rpc)),
                            ("websocket", lambda: _ws_row(endpoints["HUBBLE_WS_RPC"], s.spec.hubble_id)),
                            ("market", lambda: _market_rows(rpc, s, trader)),
                            ("margin account", lambda: _account_rows(rpc, s, trader))):
            try:
                found = await check()
            except Exception as exc:  # noqa: BLE001 - a check that cannot run is a failed row, not a crash
                found = fail(AREA, name, f"could not be checked: {type(exc).__name__}: {exc}",
                             "see the node's answer; retry")
            rows += found if isinstance(found, list) else [found]
    return rows


def _chain_row(chain: int, env: str, ms: float) -> Row:
    import importlib

    expected = getattr(importlib.import_module(f"hubble_exchange.config.{env}"), "CHAIN_ID", None)
    if expected is not None and chain != expected:
        return fail(AREA, "chain id", f"{chain}, but HUBBLE_ENV={env} signs for {expected}",
                    "point HUBBLE_RPC at the chain of HUBBLE_ENV", ms)
    return ok(AREA, "chain id", f"{chain} ({env})", ms)


async def _blocks_row(rpc: Rpc) -> Row:
    first = int(await rpc("eth_blockNumber"), 16)
    block = await rpc("eth_getBlockByNumber", hex(first), False)
    age = time.time() - int(block["timestamp"], 16) if block else None
    deadline = time.monotonic() + BLOCK_WAIT
    while time.monotonic() < deadline:
        if int(await rpc("eth_blockNumber"), 16) > first:
            return ok(AREA, "blocks", f"head {first} and moving (last block {age:.0f} s old)")
        await asyncio.sleep(0.25)
    return warn(AREA, "blocks", f"head {first} did not move in {BLOCK_WAIT:.0f} s (last block {age:.0f} s old)",
                "an idle chain builds only when there is work; if Hubble is busy, the node is behind")


async def _ws_row(url: str, market: int) -> Row:
    started = time.perf_counter()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, timeout=10) as ws:
                await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "orderbook_subscribe",
                                              "params": ["streamDepthUpdateForMarketAndFreq", market, "1s"]}))
                await asyncio.wait_for(_first_update(ws), 5)
    except Exception as exc:  # noqa: BLE001
        return fail(AREA, "websocket", f"{url}: no depth update in 5 s ({type(exc).__name__}: {exc})",
                    "check HUBBLE_WS_RPC")
    return ok(AREA, "websocket", "depth stream delivering", round((time.perf_counter() - started) * 1000, 1))


async def _first_update(ws) -> None:
    async for message in ws:
        if json.loads(message.data).get("method") == "orderbook_subscription":
            return
    raise ConnectionError("closed before the first update")


async def _market_rows(rpc: Rpc, s: MarketSettings, trader: str) -> list[Row]:
    market, spec = s.spec.hubble_id, s.spec
    variables = await rpc("testing_getClearingHouseVars", trader)
    amms = variables.get("amms") or []
    if int(variables.get("active_markets_count") or 0) <= market or market >= len(amms):
        return [fail(AREA, "market", f"{s.name} is not active (the markets are settled)",
                     "there is nothing to quote: do not start the bot")]
    rows = [ok(AREA, "market", f"{s.name} active")]
    amm = amms[market]
    (min_size,) = await rpc.view(amm, "minSizeRequirement()", ["uint256"])
    (multiplier,) = await rpc.view(amm, "multiplier()", ["uint256"])
    chain_min, chain_tick = Decimal(min_size) / 10**18, Decimal(multiplier) / 10**6
    if chain_min != spec.min_size or chain_tick != spec.price_tick:
        rows.append(fail(AREA, "market rules", f"chain: minimum size {chain_min}, tick {chain_tick}; the bot uses "
                         f"{spec.min_size} and {spec.price_tick}", "update bot/market_specs.py (and the SDK) to the chain's"))
    else:
        rows.append(ok(AREA, "market rules", f"minimum size {chain_min}, tick {chain_tick} (as configured)"))
    fraction = Decimal(variables["min_allowable_margin"]) / 10**6
    rows.append(ok(AREA, "margin requirement", f"minAllowableMargin {fraction} (quotes sized at "
                                               f"{format((1 / fraction).normalize(), 'f')}x)"))
    return rows


async def _account_rows(rpc: Rpc, s: MarketSettings, trader: str) -> list[Row]:
    rows = []
    try:
        answer = await rpc("trading_getMarginAndPositions", trader)
    except RuntimeError as exc:
        if "trader not found" in str(exc):
            return [fail(AREA, "margin account", f"{trader}: trader not found",
                         "deposit margin on Hubble for this key")] + [await _gas_row(rpc, trader)]
        raise
    account = _account(answer)
    variables = await rpc("testing_getClearingHouseVars", trader)
    fraction = Decimal(variables["min_allowable_margin"]) / 10**6
    free = quoting.free_margin(account, fraction) * s.margin_share
    prices = variables.get("underlying_prices") or []
    if s.spec.hubble_id < len(prices):
        needed = s.levels[0].qty * Decimal(prices[s.spec.hubble_id]) / 10**6 * fraction
        status = ok if free >= needed else warn
        rows.append(status(AREA, "free margin", f"{free:.2f} USD for quotes (level 1 needs {needed:.2f} a side)",
                           *(() if free >= needed else ("deposit more margin or lower orderLevels / marginShare",))))
    else:
        rows.append(ok(AREA, "free margin", f"{free:.2f} USD for quotes (no price for the market)"))
    rows.append(await _referrer_row(rpc, trader))
    rows.append(await _gas_row(rpc, trader))
    return rows


def _account(answer: dict) -> quoting.Account:
    from types import SimpleNamespace

    from bot.venues.hubble.gateway import parse_account

    return parse_account(SimpleNamespace(margin=answer["margin"], reservedMargin=answer["reservedMargin"],
                                         positions=answer.get("positions") or []))


async def _referrer_row(rpc: Rpc, trader: str) -> Row:
    referral = "0x" + (await rpc("eth_getStorageAt", CLEARING_HOUSE, hex(REFERRAL_SLOT), "latest"))[-40:]
    restricted = int(await rpc("eth_getStorageAt", referral, hex(RESTRICTED_SLOT), "latest"), 16) == 1
    if not restricted:
        return ok(AREA, "referrer", "invites are open: no referrer needed")
    slot = keccak(bytes(12) + bytes.fromhex(trader[2:]) + REFERRER_SLOT.to_bytes(32, "big"))
    referrer = int(await rpc("eth_getStorageAt", referral, "0x" + slot.hex(), "latest"), 16)
    if referrer == 0:
        return fail(AREA, "referrer", f"{trader} has none and invites are restricted (orders would be refused: "
                                      "'no referrer')", "register a referrer on Hubble")
    return ok(AREA, "referrer", "registered")


async def _gas_row(rpc: Rpc, trader: str) -> Row:
    balance = int(await rpc("eth_getBalance", trader, "latest"), 16)
    price = int(await rpc("eth_gasPrice"), 16)
    usdc = Decimal(balance) / 10**18
    if balance == 0:
        return fail(AREA, "gas (native USDC)", f"{trader} has none: cancels are transactions",
                    "send native USDC to this address (margin is not gas)")
    if balance < CANCELS_OF_GAS * CANCEL_GAS * price:
        return warn(AREA, "gas (native USDC)", f"{usdc:.6f} USDC: fewer than {CANCELS_OF_GAS} cancels",
                    "top up native USDC")
    return ok(AREA, "gas (native USDC)", f"{usdc:.4f} USDC")
