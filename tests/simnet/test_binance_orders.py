"""Futures orders, positions and account through the real AsyncClient."""
from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from tests.simnet.binance_helpers import client, create_client, sim, start_net  # noqa: F401


async def api_error(coro) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as err:
        await coro
    return err.value


async def test_market_order_ack_then_filled(client):
    ack = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.5")
    assert ack["status"] == "NEW" and ack["executedQty"] == "0.000"      # futures default is ACK
    assert client.response.headers["X-MBX-ORDER-COUNT-1M"] == "1"
    order = await client.futures_get_order(symbol="ETHUSDT", orderId=ack["orderId"])
    assert order["status"] == "FILLED" and order["executedQty"] == "0.500"
    by_client_id = await client.futures_get_order(symbol="ETHUSDT", origClientOrderId=ack["clientOrderId"])
    assert by_client_id["orderId"] == ack["orderId"]
    positions = await client.futures_position_information(symbol="ETHUSDT")
    assert positions[0]["positionAmt"] == "0.500"
    assert Decimal(positions[0]["entryPrice"]) == Decimal(order["avgPrice"])


async def test_result_response_and_client_order_id(client):
    order = await client.futures_create_order(symbol="AVAXUSDT", side="SELL", type="MARKET", quantity="10",
                                              newClientOrderId="hedge-1", newOrderRespType="RESULT")
    assert order["status"] == "FILLED" and order["clientOrderId"] == "hedge-1"
    assert order["executedQty"] == order["cumQty"] == "10"
    assert "avgPrice" not in order and "cumQuote" not in order          # dropped from placement answers
    queried = await client.futures_get_order(symbol="AVAXUSDT", origClientOrderId="hedge-1")
    assert Decimal(queried["avgPrice"]) > 0 and Decimal(queried["cumQuote"]) > 0


async def test_large_market_order_walks_the_book(client):
    book = await client.futures_order_book(symbol="ETHUSDT", limit=20)
    top_ask = Decimal(book["asks"][0][0])
    qty = sum(Decimal(q) for _, q in book["asks"][:3]) + Decimal("0.001")
    placed = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity=str(qty),
                                               newOrderRespType="RESULT")
    order = await client.futures_get_order(symbol="ETHUSDT", orderId=placed["orderId"])
    assert order["status"] == "FILLED"
    assert Decimal(order["avgPrice"]) > top_ask                           # slippage
    after = await client.futures_orderbook_ticker(symbol="ETHUSDT")
    assert Decimal(after["askPrice"]) == Decimal(book["asks"][3][0])      # three levels consumed


async def test_ioc_limit_fills_only_what_crosses(client):
    book = await client.futures_order_book(symbol="ETHUSDT", limit=5)
    best_ask, best_qty = book["asks"][0]
    qty = Decimal(best_qty) + Decimal("1")
    order = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="LIMIT", timeInForce="IOC",
                                              price=best_ask, quantity=str(qty), newOrderRespType="RESULT")
    assert order["status"] == "EXPIRED"
    assert Decimal(order["executedQty"]) == Decimal(best_qty)


async def test_gtc_limit_rests_then_fills_when_market_moves(sim, client):
    ticker = await client.futures_orderbook_ticker(symbol="ETHUSDT")
    price = Decimal(ticker["bidPrice"]) + Decimal("0.01")                   # inside the spread
    order = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                              price=str(price), quantity="0.1")
    assert (await client.futures_get_order(symbol="ETHUSDT", orderId=order["orderId"]))["status"] == "NEW"
    assert len(await client.futures_get_open_orders(symbol="ETHUSDT")) == 1
    sim.control("net", "shock", symbol="ETH", relative=-0.01)
    sim.control("net", "step")
    filled = await client.futures_get_order(symbol="ETHUSDT", orderId=order["orderId"])
    assert filled["status"] == "FILLED" and Decimal(filled["avgPrice"]) == price


async def test_cancel_and_unknown_orders(client):
    order = await client.futures_create_order(symbol="SOLUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                              price="140.00", quantity="1")
    cancelled = await client.futures_cancel_order(symbol="SOLUSDT", orderId=order["orderId"])
    assert cancelled["status"] == "CANCELED"
    assert (await api_error(client.futures_cancel_order(symbol="SOLUSDT", orderId=order["orderId"]))).code == -2011
    assert (await api_error(client.futures_get_order(symbol="SOLUSDT", orderId=1))).code == -2013
    assert (await api_error(client.futures_cancel_order(symbol="SOLUSDT", origClientOrderId="nope"))).code == -2011


@pytest.mark.parametrize("params, code", [
    ({"symbol": "ETHUSDT", "quantity": "0.005"}, -4164),                  # 15 USDT < 20
    ({"symbol": "AVAXUSDT", "quantity": "0.1"}, -1111),                  # AVAX has no decimals
    ({"symbol": "ETHUSDT", "quantity": "0.0015"}, -1111),
    ({"symbol": "ETHUSDT", "quantity": "0"}, -4003),
    ({"symbol": "ETHUSDT", "quantity": "70"}, -2019),                     # 210k notional at 20x > 10k
    ({"symbol": "ETHUSDT"}, -1102),
])
async def test_market_order_rejections(client, params, code):
    err = await api_error(client.futures_create_order(side="BUY", type="MARKET", **params))
    assert err.code == code and err.status_code == 400


async def test_rejection_messages_match_binance(client):
    err = await api_error(client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                                      quantity="0.001"))
    assert err.message == "Order's notional must be no smaller than 20 (unless you choose reduce only)."
    err = await api_error(client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="70"))
    assert err.message == "Margin is insufficient."
    err = await api_error(client.futures_create_order(symbol="ETHUSDT", side="BUY", type="LIMIT",
                                                      timeInForce="GTC", price="3000.001", quantity="0.1"))
    assert (err.code, err.message) == (-1111, "Precision is over the maximum defined for this asset.")


async def test_limit_price_rules(client):
    assert (await api_error(client.futures_create_order(
        symbol="AVAXUSDT", side="BUY", type="LIMIT", timeInForce="GTC", price="30.0005", quantity="1"))).code == -4014
    assert (await api_error(client.futures_create_order(
        symbol="ETHUSDT", side="BUY", type="LIMIT", timeInForce="GTC", price="4000", quantity="0.1"))).code == -4016
    assert (await api_error(client.futures_create_order(
        symbol="ETHUSDT", side="BUY", type="LIMIT", price="2990", quantity="0.1"))).code == -1102
    book = await client.futures_orderbook_ticker(symbol="ETHUSDT")
    assert (await api_error(client.futures_create_order(
        symbol="ETHUSDT", side="BUY", type="LIMIT", timeInForce="GTX", price=book["askPrice"],
        quantity="0.1"))).code == -5022


async def test_reduce_only(client):
    err = await api_error(client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET",
                                                      quantity="0.1", reduceOnly="true"))
    assert err.code == -2022
    await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.2")
    # reduce-only is exempt from min notional and is capped at the position
    await client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.001",
                                      reduceOnly="true")
    await client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="5",
                                      reduceOnly="true")
    assert await client.futures_position_information(symbol="ETHUSDT") == []


async def test_account_balance_and_fees(client):
    account = await client.futures_account()
    assert Decimal(account["totalWalletBalance"]) == Decimal("10000")
    assert len(account["positions"]) == 3
    order = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1",
                                              newOrderRespType="RESULT")
    await client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="1",
                                      newOrderRespType="RESULT")
    trades = await client.futures_account_trades(symbol="ETHUSDT")
    fees = sum(Decimal(t["commission"]) for t in trades)
    assert fees == sum(Decimal(t["quoteQty"]) for t in trades) * Decimal("0.0005")   # 5 bps taker
    account = await client.futures_account()
    buy = Decimal((await client.futures_get_order(symbol="ETHUSDT", orderId=order["orderId"]))["avgPrice"])
    sell = Decimal(trades[-1]["price"])
    assert Decimal(account["totalWalletBalance"]) == Decimal("10000") + (sell - buy) - fees
    balance = await client.futures_account_balance()
    assert balance[0]["asset"] == "USDT"


async def test_leverage_changes_margin(client):
    result = await client.futures_change_leverage(symbol="ETHUSDT", leverage=5)
    assert result == {"leverage": 5, "maxNotionalValue": "320000000", "symbol": "ETHUSDT"}
    await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    account = await client.futures_account()
    eth = next(p for p in account["positions"] if p["symbol"] == "ETHUSDT")
    assert eth["leverage"] == "5"
    assert abs(Decimal(eth["positionInitialMargin"]) - Decimal(eth["notional"]) / 5) < Decimal("0.01")
    assert (await api_error(client.futures_change_leverage(symbol="ETHUSDT", leverage=200))).code == -4028
    brackets = await client.futures_leverage_bracket(symbol="ETHUSDT")
    assert brackets["brackets"][0]["initialLeverage"] == 125


async def test_fills_are_deterministic_per_seed():
    fills = []
    for _ in range(2):
        net = start_net(seed=3)
        try:
            net.control("net", "step", count=10)
            c = await create_client(net.ready)
            order = await c.futures_create_order(symbol="SOLUSDT", side="SELL", type="MARKET", quantity="900",
                                                 newOrderRespType="RESULT")
            order = await c.futures_get_order(symbol="SOLUSDT", orderId=order["orderId"])
            fills.append((order["avgPrice"], order["executedQty"]))
            await c.close_connection()
        finally:
            net.stop()
    assert fills[0] == fills[1]


async def test_listen_key_lifecycle(client):
    key = await client.futures_stream_get_listen_key()
    assert len(key) == 64
    assert await client.futures_stream_get_listen_key() == key           # same live key
    await client.futures_stream_keepalive(key)
    await client.futures_stream_close(key)
    err = await api_error(client.futures_stream_keepalive(key))
    assert err.code == -1125


async def test_hedge_path_ioc_result_and_trades_by_order(client):
    """IOC LIMIT with RESULT (no avgPrice in the answer any more), then the order's own trades."""
    book = await client.futures_order_book(symbol="AVAXUSDT", limit=20)
    limit = book["bids"][2][0]
    qty = sum(Decimal(q) for _, q in book["bids"][:2]) + 5
    order = await client.futures_create_order(symbol="AVAXUSDT", side="SELL", type="LIMIT", timeInForce="IOC",
                                              quantity=f"{qty:f}", price=limit, newClientOrderId="hg-1",
                                              newOrderRespType="RESULT")
    assert order["status"] == "FILLED" and Decimal(order["executedQty"]) == qty and "avgPrice" not in order
    queried = await client.futures_get_order(symbol="AVAXUSDT", orderId=order["orderId"])
    assert Decimal(queried["avgPrice"]) < Decimal(book["bids"][0][0])
    await client.futures_create_order(symbol="AVAXUSDT", side="SELL", type="MARKET", quantity="1")
    trades = await client.futures_account_trades(symbol="AVAXUSDT", orderId=order["orderId"])
    assert {t["orderId"] for t in trades} == {order["orderId"]} and len(trades) == 3
    assert sum(Decimal(t["qty"]) for t in trades) == qty
    assert all(t["commissionAsset"] == "USDT" and not t["maker"] for t in trades)


async def test_client_order_id_with_reserved_characters(client):
    """python-binance signs values before aiohttp form-encodes them; such orders still go through."""
    order = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01",
                                              newClientOrderId="hg:1/a.b_c-d")
    assert order["clientOrderId"] == "hg:1/a.b_c-d"
    found = await client.futures_get_order(symbol="ETHUSDT", origClientOrderId="hg:1/a.b_c-d")
    assert found["orderId"] == order["orderId"]
    err = await api_error(client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                                      quantity="0.01", newClientOrderId="bad id!"))
    assert (err.code, err.message) == (-4015, "Client order id is not valid.")
