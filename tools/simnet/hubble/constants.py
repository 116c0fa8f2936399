"""Hubble mainnet constants as the SDK (hubble_exchange 0.9.0rc12, HUBBLE_ENV=mainnet) sees them.

Prices are scaled by 1e6 and sizes by 1e18 everywhere on the wire, as on the
real node. Market 3 exists in the SDK's mainnet config (min size 1000, price
precision 5) but not in the shared market table: it is a low-priced market
whose price follows ETH's relative moves from a 0.1 USD start.
"""
from __future__ import annotations

from dataclasses import dataclass

from eth_utils import to_checksum_address

CHAIN_ID = 1992
ORDER_BOOK = "0x03000000000000000000000000000000000000b0"
CLEARING_HOUSE = "0x03000000000000000000000000000000000000b2"
LIMIT_ORDER_BOOK = "0x03000000000000000000000000000000000000b3"
IOC_ORDER_BOOK = "0x03000000000000000000000000000000000000b4"
SIGNED_ORDER_BOOK = "0x211682829664a5e289885de21897b094ef289d18"

PRICE_SCALE = 10 ** 6
SIZE_SCALE = 10 ** 18

# status codes of the order book contracts
STATUS_INVALID, STATUS_PLACED, STATUS_FILLED, STATUS_CANCELLED = 0, 1, 2, 3


@dataclass(frozen=True)
class HubbleMarket:
    market_id: int
    name: str               # AMM.name()
    symbol: str | None      # reference path symbol (None: derived market)
    min_size: int           # 1e18 scaled
    price_decimals: int     # allowed decimals of the price
    start_price: float
    amm_address: str

    @property
    def price_multiplier(self) -> int:
        """The 1e6-scaled price must be a multiple of this."""
        return 10 ** (6 - self.price_decimals)


def _amm(i: int) -> str:
    return "0x" + "0" * 38 + f"{0xa0 + i:02x}"


MARKETS: tuple[HubbleMarket, ...] = (
    HubbleMarket(0, "ETH-Perp", "ETH", 10 ** 16, 2, 3000.0, _amm(0)),
    HubbleMarket(1, "AVAX-Perp", "AVAX", 10 ** 18, 3, 35.0, _amm(1)),
    HubbleMarket(2, "SOL-Perp", "SOL", 10 ** 17, 3, 150.0, _amm(2)),
    HubbleMarket(3, "MKT3-Perp", None, 1000 * 10 ** 18, 5, 0.1, _amm(3)),
)
DERIVED_FROM = "ETH"  # market 3 follows this symbol's relative moves

# synthetic accounts of the simulated market participants
BACKGROUND_MAKER = to_checksum_address("0x00000000000000000000000000000000000a11ce")
BACKGROUND_TAKER = to_checksum_address("0x0000000000000000000000000000000000000b0b")
# validators that sign the matching transactions (tx_processor.go executeLocalTx: the validator's key);
# a reorg's competing block comes from the second one
VALIDATORS = ("0x00000000000000000000000000000000000da7a1", "0x00000000000000000000000000000000000da7a2")

# fees: network-configs/hubblenet/genesis.json feeConfig.minBaseFee (10 gwei; USDC is the gas token,
# 18 decimals); the current base fee may differ (fee manager precompile): unconfirmed.
BASE_FEE = 10 * 10 ** 9
PRIORITY_FEE = 10 ** 9          # unconfirmed: what eth_maxPriorityFeePerGas suggests on mainnet
MATCHING_TX_GAS = 1_500_000     # tx_processor.go executeLocalTx: types.NewTransaction(..., 1500000, ...)
GAS_USED = 21_000               # unconfirmed: real placeOrders/cancelOrders use more gas
