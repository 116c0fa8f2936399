"""A raw websocket client for the Hyperliquid venue tests: messages read by a thread, waited on with a
condition (never a sleep), and how the socket ended (close frame or dropped TCP connection)."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable

import websocket
from eth_account.signers.local import LocalAccount
from hyperliquid.utils.signing import (
    get_timestamp_ms, order_request_to_order_wire, order_wires_to_order_action, sign_l1_action,
)

from tools.simnet.hyperliquid.assets import BY_COIN

GREETING = "Websocket connection established."
Message = dict[str, Any]


class RawWs:
    def __init__(self, http_url: str, timeout: float = 5.0):
        self.conn = websocket.create_connection("ws" + http_url[len("http"):] + "/ws", timeout=timeout)
        self.greeting = self.conn.recv()
        self.messages: list[Message] = []
        self.close_code: int | None = None      # a close frame's code
        self.dropped = False                     # the TCP connection ended without a close frame
        self.cond = threading.Condition()
        self._stop = False
        self.conn.settimeout(0.1)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    # ---- reading ------------------------------------------------------------------------
    def _read(self) -> None:
        while not self._stop:
            try:
                opcode, data = self.conn.recv_data(control_frame=True)
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
                self._end(dropped=True)
                return
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                self._end(code=int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005)
                return
            if opcode == websocket.ABNF.OPCODE_TEXT:
                with self.cond:
                    self.messages.append(json.loads(data))
                    self.cond.notify_all()

    def _end(self, code: int | None = None, dropped: bool = False) -> None:
        with self.cond:
            self.close_code, self.dropped = code, dropped
            self.cond.notify_all()

    @property
    def ended(self) -> bool:
        return self.dropped or self.close_code is not None

    def of(self, channel: str) -> list[Message]:
        with self.cond:
            return [m for m in self.messages if m.get("channel") == channel]

    def wait(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {self.messages[-5:]}")
                self.cond.wait(left)

    def wait_for(self, channel: str, count: int = 1, timeout: float = 5.0) -> list[Message]:
        return self.wait(lambda: len(self.of(channel)) >= count and self.of(channel), timeout, f"{count} {channel}")

    def wait_end(self, timeout: float = 5.0) -> None:
        self.wait(lambda: self.ended, timeout, "the socket to end")

    # ---- writing ------------------------------------------------------------------------
    def send(self, message: Any) -> None:
        self.conn.send(message if isinstance(message, str) else json.dumps(message))

    def subscribe(self, sub: dict[str, Any]) -> Message:
        """Send a subscribe and return its acknowledgement (or the error answering it)."""
        before = len(self.of("subscriptionResponse")) + len(self.of("error"))
        self.send({"method": "subscribe", "subscription": sub})
        self.wait(lambda: len(self.of("subscriptionResponse")) + len(self.of("error")) > before, what="ack")
        with self.cond:
            return [m for m in self.messages if m.get("channel") in ("subscriptionResponse", "error")][before]

    def barrier(self) -> None:
        """Ping and wait for the pong: everything the venue queued before it has arrived."""
        count = len(self.of("pong"))
        self.send({"method": "ping"})
        self.wait(lambda: len(self.of("pong")) > count, what="pong")

    def post(self, post_id: int, kind: str, payload: dict[str, Any]) -> None:
        self.send({"method": "post", "id": post_id, "request": {"type": kind, "payload": payload}})

    def answer(self, post_id: int, timeout: float = 5.0) -> Message:
        found = self.wait(lambda: [m for m in self.of("post") if m["data"]["id"] == post_id], timeout,
                          f"post {post_id}")
        return found[0]["data"]["response"]

    def close(self) -> None:
        self._stop = True
        self.reader.join(2)
        try:
            self.conn.close(timeout=1)
        except (websocket.WebSocketException, OSError):
            pass


def signed_order(wallet: LocalAccount, coin: str, is_buy: bool, sz: float, px: float, tif: str = "Ioc",
                 cloid: str | None = None, nonce: int | None = None) -> dict[str, Any]:
    """An /exchange body for one order, signed as the SDK signs it (testnet source, as simnet verifies)."""
    request: dict[str, Any] = {"coin": coin, "is_buy": is_buy, "sz": sz, "limit_px": px,
                               "order_type": {"limit": {"tif": tif}}, "reduce_only": False}
    if cloid:
        from hyperliquid.utils.types import Cloid
        request["cloid"] = Cloid.from_str(cloid)
    action = order_wires_to_order_action([order_request_to_order_wire(request, BY_COIN[coin].asset)])
    nonce = get_timestamp_ms() if nonce is None else nonce
    signature = sign_l1_action(wallet, action, None, nonce, None, False)
    return {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None, "expiresAfter": None}
