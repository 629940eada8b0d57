#!/usr/bin/env python3
"""An example client of the rustbelt GraphQL API with `gql`: the aiohttp transport over HTTP,
the websockets transport (subprotocol graphql-transport-ws) for live updates. Every step
asserts what the server must answer; the first wrong answer ends the run with exit code 1.

    python client.py http://HOST:PORT/graphql WRITE_TOKEN

It records one observation and deletes it again, so the data ends as it was found.
"""

import asyncio
import sys
import time

from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

NESTED = GraphQLRequest("""{
  plan { confirmedCityCount }
  provinces {
    pageInfo { hasNextPage }
    nodes { code nameEn cities {
      pageInfo { hasNextPage }
      nodes { adminCode nameEn evaluation { target { code } status } }
    } }
  }
}""")
# The slot the writes use. The seed holds Bengbu's 2016 and 2017 services shares, and writing
# over a seeded row would replace the reference value, so the example writes 2015.
SLOT = {"cityCode": {"eq": "340300"}, "indicatorCode": {"eq": "services_share_gdp"}, "year": {"eq": 2015}}
IN_SLOT = GraphQLRequest(
    "query ($f: ObservationFilter) { observations(filter: $f) { nodes { id value origin } } }",
    variable_values={"f": SLOT},
)
RECORD = """mutation ($input: [ObservationInput!]!) {
  recordObservations(input: $input) { id value recordedBy recordedVersion }
}"""
DELETE = "mutation ($ids: [ID!]!) { deleteObservations(ids: $ids) }"
RECORDED = GraphQLRequest(
    """subscription ($filter: ObservationFilter) {
      observationsRecorded(filter: $filter) {
        version recordedBy count observations { year value city { adminCode } }
      }
    }""",
    variable_values={"filter": {"indicatorCode": {"eq": "services_share_gdp"}}},
)


class Failed(Exception):
    pass


def check(ok, message):
    if not ok:
        raise Failed(message)


def record(value):
    row = {"subjectCode": "340300", "indicatorCode": "services_share_gdp", "year": 2015,
           "value": value, "source": "https://example.org/clients-test",
           "sourceGrade": "SECONDARY"}
    return GraphQLRequest(RECORD, variable_values={"input": [row]})


async def main(url, token):
    # The Client's execute_timeout (10 s by default) bounds every request.
    reader = Client(transport=AIOHTTPTransport(url=url))
    writer = Client(transport=AIOHTTPTransport(url=url, headers={"Authorization": f"Bearer {token}"}))
    ws = Client(transport=WebsocketsTransport(
        url=url.replace("http", "ws", 1), subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]))
    async with reader as read, writer as write, ws as live:
        # 1. A nested query: provinces, their confirmed entries, each entry's evaluations.
        data = await read.execute(NESTED)
        provinces = data["provinces"]
        check(not provinces["pageInfo"]["hasNextPage"], "provinces came in more than one page")
        cities = 0
        for p in provinces["nodes"]:
            check(len(p["code"]) == 6 and p["code"].isdigit(), f"province code {p['code']} is not 6 digits")
            check(not p["cities"]["pageInfo"]["hasNextPage"], f"{p['nameEn']}: cities in more than one page")
            for c in p["cities"]["nodes"]:
                cities += 1
                # GB/T 2260: a city's code starts with its province's two digits.
                check(c["adminCode"][:2] == p["code"][:2],
                      f"{c['nameEn']} ({c['adminCode']}) is not in {p['code']}")
                check(any((e["target"] or {}).get("code") == "services_share_2017" for e in c["evaluation"]),
                      f"{c['nameEn']} has no services_share_2017 evaluation")
        confirmed = data["plan"]["confirmedCityCount"]
        check(cities == confirmed == 44,
              f"{cities} confirmed cities nested in provinces, plan says {confirmed}, seed has 44")
        print(f"nested query: {cities} confirmed cities in {len(provinces['nodes'])} provinces")

        before = (await read.execute(IN_SLOT))["observations"]["nodes"]
        check(all(o["origin"] != "SEED" for o in before), "the seed now holds 340300/2015: pick another slot")

        # 2. A write without the token is refused and changes nothing.
        try:
            await read.execute(record(99.9))
            raise Failed("write without a token: expected an error, got none")
        except TransportQueryError as e:
            code = ((e.errors or [{}])[0].get("extensions") or {}).get("code")
            check(code == "UNAUTHORIZED", f"write without a token: expected UNAUTHORIZED, got {e.errors}")
        after = (await read.execute(IN_SLOT))["observations"]["nodes"]
        check(after == before, "the refused write changed the data")
        print("write without token: refused with UNAUTHORIZED, nothing written")

        # 3. A subscription sees a write made over HTTP. The server has no "subscribed" message,
        # so a write sent too early is not announced: write, wait up to 1 s for the event of that
        # write (matched by its data version), and write a new value if none came.
        events = asyncio.Queue()

        async def pump():
            try:
                async for event in live.subscribe(RECORDED):
                    events.put_nowait(event["observationsRecorded"])
            except Exception as e:  # handed to the waiting loop, which raises it
                events.put_nowait(e)

        pumping = asyncio.create_task(pump())
        ids, event = set(), None
        deadline = time.monotonic() + 5
        tenths = 415
        while event is None:
            check(time.monotonic() < deadline, "no observationsRecorded event within 5 s of the first write")
            [written] = (await write.execute(record(tenths / 10)))["recordObservations"]
            ids.add(written["id"])
            until = min(time.monotonic() + 1, deadline)
            while event is None and (remaining := until - time.monotonic()) > 0:
                try:
                    got = await asyncio.wait_for(events.get(), remaining)
                except asyncio.TimeoutError:
                    break
                if isinstance(got, Exception):
                    raise got
                if got["version"] == written["recordedVersion"]:  # events of earlier writes are stale
                    event = got
            tenths += 1
        pumping.cancel()
        check(event["recordedBy"] == "API" and event["count"] == 1 and len(event["observations"]) == 1,
              f"event: expected one observation recorded by API, got {event}")
        [o] = event["observations"]
        city = (o["city"] or {}).get("adminCode")
        check(o["value"] == written["value"] and o["year"] == 2015 and city == "340300",
              f"event: expected 340300/2015 = {written['value']}, got {o}")
        print(f"subscription: event for version {event['version']}, 340300/2015 = {o['value']}")

        # 4. Delete what was written.
        deleted = await write.execute(GraphQLRequest(DELETE, variable_values={"ids": sorted(ids)}))
        check(set(deleted["deleteObservations"]) == ids, f"deleted {deleted}, but wrote {ids}")
        left = (await read.execute(IN_SLOT))["observations"]["nodes"]
        check(left == [], f"after the delete the slot still holds {left}")
        print(f"cleanup: deleted {len(ids)} observation(s)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python client.py http://HOST:PORT/graphql WRITE_TOKEN")
    try:
        asyncio.run(main(*sys.argv[1:]))
    except (Failed, TransportQueryError) as e:
        sys.exit(f"FAIL: {getattr(e, 'errors', None) or e}")
