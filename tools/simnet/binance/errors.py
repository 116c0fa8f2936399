"""Binance error shapes: ``{"code": <negative int>, "msg": <text>}`` with an HTTP status.

Texts follow the USDⓈ-M futures error-code page
(https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code), which
says "Codes are universal, but messages can vary"; where the live venue is observed to send
another text for a code (quoted answers in public issue threads), that text is used and
noted. A handler raises ``BinanceError``; the REST layer turns it into the JSON answer.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

MESSAGES: dict[int, str] = {
    -1000: "An unknown error occured while processing the request.",
    -1001: "Internal error; unable to process your request. Please try again.",
    -1003: "Too many requests; current limit is {limit} requests per minute. "
           "Please use the websocket for live updates to avoid polling the API.",
    -1008: "Server is currently overloaded with other requests. Please try again in a few minutes.",
    -1006: "An unexpected response was received from the message bus. Execution status unknown.",
    -1007: "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    -1021: "Timestamp for this request is outside of the recvWindow.",
    -1022: "Signature for this request is not valid.",
    -1100: "Illegal characters found in parameter '{name}'; legal range is '{legal}'.",
    -1102: "Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
    -1106: "Parameter '{name}' sent when not required.",
    -1111: "Precision is over the maximum defined for this asset.",
    -1115: "Invalid timeInForce.",
    -1116: "Invalid orderType.",
    -1117: "Invalid side.",
    -1121: "Invalid symbol.",
    -1125: "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` to recreate `listenKey`",
    -1130: "Data sent for parameter '{name}' is not valid.",
    -2010: "NEW_ORDER_REJECTED",
    -2011: "Unknown order sent.",
    -2013: "Order does not exist.",
    -2014: "API-key format invalid.",
    -2015: "Invalid API-key, IP, or permissions for action.",
    -2019: "Margin is insufficient.",
    -2022: "ReduceOnly Order is rejected.",
    -4001: "Price less than 0.",
    -4003: "Quantity less than or equal to zero.",
    -4004: "Quantity less than min quantity.",
    -4005: "Quantity greater than max quantity.",
    -4014: "Price not increased by tick size.",
    -4015: "Client order id is not valid.",
    # page: "Price is higher than mark price multiplier cap." / "...lower than mark price multiplier
    # floor."; the live venue answers with the bound (e.g. {"code":-4016,"msg":"Limit price can't be
    # higher than 27330.52."}, quoted in ccxt's binance exceptions table and bot logs)
    -4016: "Limit price can't be higher than {limit}.",
    -4024: "Limit price can't be lower than {limit}.",
    -4028: "Leverage {leverage} is not valid",
    -4032: "Exceed maximum cancel order size.",
    -4046: "No need to change margin type.",
    -4047: "Margin type cannot be changed if there exists open orders.",
    -4048: "Margin type cannot be changed if there exists position.",
    -4059: "No need to change position side.",
    -4060: "Invalid position side.",
    -4061: "Order's position side does not match user's setting.",
    -4067: "Position side cannot be changed if there exists open orders.",
    -4068: "Position side cannot be changed if there exists position.",
    -4082: "Invalid number of batch place orders.",
    -4116: "ClientOrderId is duplicated.",
    -4131: "The counterparty's best price does not meet the PERCENT_PRICE filter limit.",
    -4164: "Order's notional must be no smaller than {notional} (unless you choose reduce only).",
    -4171: "Adjusted asset mode is currently set and does not need to be adjusted repeatedly.",
    -5021: "Due to the order could not be filled immediately, the FOK order has been rejected. "
           "The order will not be recorded in the order history",
    -5022: "Due to the order could not be executed as maker, the Post Only order will be rejected. "
           "The order will not be recorded in the order history",
    -5025: "Only limit order is supported.",
    -5026: "Exceed maximum modify order limit.",
    -5027: "No need to modify the order.",
    -5028: "Timestamp for this request is outside of the ME recvWindow.",
}

# HTTP status Binance answers with, when it is not 400
STATUS: dict[int, int] = {-2014: 401, -2015: 401, -1003: 429, -1001: 503, -1000: 500, -1006: 503, -1007: 503}


class BinanceError(Exception):
    """An error answer: HTTP status plus Binance's code and message."""

    def __init__(self, code: int, msg: str | None = None, status: int | None = None, **fmt: Any):
        text = msg if msg is not None else MESSAGES.get(code, "Unknown error.")
        if fmt and msg is None:
            text = text.format(**fmt)
        super().__init__(f"{code}: {text}")
        self.code = code
        self.msg = text
        self.status = status or STATUS.get(code, 400)
        self.headers: dict[str, str] = {}

    def response(self) -> web.Response:
        return web.json_response({"code": self.code, "msg": self.msg}, status=self.status,
                                 headers=self.headers)


def missing(name: str) -> BinanceError:
    return BinanceError(-1102, name=name)


def injected_error(code: int | None, message: str | None, retry_after: int = 60) -> BinanceError:
    """The error for the generic ``error`` fault.

    None: 503 with -1001 (the "execution status unknown" answer); 429/418:
    rate-limit answers; other HTTP statuses: that status with -1000; negative
    numbers: that Binance code with HTTP 400 (401 for key errors).
    """
    if code is None:
        return BinanceError(-1001, message, status=503)
    if code in (429, 418):
        text = message or ("Way too many requests; IP banned. Please use the websocket for live updates to avoid bans."
                           if code == 418 else MESSAGES[-1003].format(limit="?"))
        err = BinanceError(-1003, text, status=code)
        err.headers["Retry-After"] = str(retry_after)   # the fault's own figure (set_flag retry_after_s)
        return err
    if code > 0:
        return BinanceError(-1000, message, status=code)
    return BinanceError(code, message if message is not None else MESSAGES.get(code, "Unknown error.").split("{")[0].strip())
