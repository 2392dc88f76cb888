"""The peer of the read benchmark: Airbyte's Python CDK (`airbyte-cdk` from PyPI) reading the same replayed
CoinGecko `market_chart/range` history as `source-bitcoin read` does — the same slices (365-day daily and
90-day hourly windows, widened as CoinGecko needs), the same records and a STATE per slice — through an
`HttpStream` and the CDK's own entrypoint, which writes the Airbyte messages to stdout.

Run: python3 cdk_peer.py read --config CONFIG --catalog CATALOG   (config: base_url, start_date, hourly_days)
Not a test; connector/bench/vs_cdk.sh times it beside the connector.
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, List, Mapping, MutableMapping, Optional, Tuple

import requests
from airbyte_cdk.entrypoint import launch
from airbyte_cdk.models import ConnectorSpecification, SyncMode
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import IncrementalMixin, Stream
from airbyte_cdk.sources.streams.http import HttpStream

DAY = 86_400


def windows(start: datetime, end: datetime, max_days: int, min_days: int) -> List[Tuple[int, int]]:
    """[from, to] in Unix seconds: windows of at most max_days, each widened to at least min_days."""
    out, at = [], min(start, end)
    while True:
        stop = min(at + timedelta(days=max_days), end)
        widened = min(at, stop - timedelta(days=min_days))
        out.append((int(widened.timestamp()), int(stop.timestamp())))
        if stop >= end:
            return out
        at = stop


def iso(ms: int) -> str:
    t = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{ms % 1000:03d}Z" if ms % 1000 else f"{text}Z"


class MarketChart(HttpStream, IncrementalMixin):
    primary_key = ["granularity", "timestamp"]
    cursor_field = "timestamp"

    def __init__(self, config: Mapping[str, Any]):
        super().__init__()
        self.config = config
        self._state: MutableMapping[str, Any] = {}

    @property
    def url_base(self) -> str:
        return self.config["base_url"].rstrip("/") + "/"

    @property
    def name(self) -> str:
        return "coingecko_market_chart"

    @property
    def state(self) -> MutableMapping[str, Any]:
        return self._state

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        self._state = dict(value)

    def get_json_schema(self) -> Mapping[str, Any]:
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "../../schemas/coingecko_market_chart.json")) as f:
            return json.load(f)

    def path(self, **kwargs: Any) -> str:
        return "coins/bitcoin/market_chart/range"

    def stream_slices(self, **kwargs: Any) -> Iterable[Optional[Mapping[str, Any]]]:
        now = datetime.now(tz=timezone.utc)
        start = datetime.fromisoformat(self.config["start_date"]).replace(tzinfo=timezone.utc)
        recent = max(now - timedelta(days=self.config["hourly_days"]), start)
        for family, since, max_days, min_days in [("daily", start, 365, 91), ("hourly", recent, 90, 2)]:
            for frm, to in windows(since, now, max_days, min_days):
                yield {"family": family, "from": frm, "to": to}

    def request_params(self, stream_slice: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Mapping[str, Any]:
        return {"vs_currency": "usd", "from": stream_slice["from"], "to": stream_slice["to"]}

    def next_page_token(self, response: requests.Response) -> Optional[Mapping[str, Any]]:
        return None

    def parse_response(self, response: requests.Response, stream_slice: Optional[Mapping[str, Any]] = None,
                       **kwargs: Any) -> Iterable[Mapping[str, Any]]:
        body = response.json()
        granularity = "daily" if stream_slice["to"] - stream_slice["from"] > 90 * DAY else "hourly"
        caps, volumes = body.get("market_caps") or [], body.get("total_volumes") or []
        last = self._state.get(granularity)
        for i, (ms, price) in enumerate(body["prices"]):
            ts = iso(int(ms))
            if last is not None and ts <= last:
                continue
            cap = float(caps[i][1]) if i < len(caps) and caps[i][0] == ms else None
            volume = float(volumes[i][1]) if i < len(volumes) and volumes[i][0] == ms else None
            self._state[granularity] = ts
            yield {"coin_id": "bitcoin", "vs_currency": "usd", "granularity": granularity, "timestamp": ts,
                   "price": float(price), "market_cap": cap, "total_volume": volume}


class Peer(AbstractSource):
    def spec(self, logger: Any) -> ConnectorSpecification:
        return ConnectorSpecification(connectionSpecification={"type": "object", "properties": {}})

    def check_connection(self, logger: Any, config: Mapping[str, Any]) -> Tuple[bool, Any]:
        return True, None

    def streams(self, config: Mapping[str, Any]) -> List[Stream]:
        return [MarketChart(config)]


if __name__ == "__main__":
    launch(Peer(), sys.argv[1:])
