from __future__ import annotations

import gzip
import json

import pytest
from django.test import Client, RequestFactory

from madang.common.precompressed import StoredBody, accepts_gzip, respond
from tests.factories import EventFactory, SessionFactory

BODY = json.dumps({"sessions": ["a" * 40] * 200}).encode()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("", False),
        ("*", True),
    ],
)
def test_accept_encoding_is_read_with_its_quality(header: str, expected: bool) -> None:
    request = RequestFactory().get("/", headers={"accept-encoding": header})

    assert accepts_gzip(request) is expected


def test_a_client_that_accepts_gzip_gets_the_compressed_body() -> None:
    stored = StoredBody.of(BODY, "application/json")
    request = RequestFactory().get("/", headers={"accept-encoding": "gzip"})

    response = respond(request, stored)

    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == BODY
    assert len(response.content) < len(BODY) / 5
    assert response["Vary"] == "Accept-Encoding"


def test_a_client_without_gzip_gets_the_plain_body_with_another_etag() -> None:
    stored = StoredBody.of(BODY, "application/json")
    plain = respond(RequestFactory().get("/"), stored)
    zipped = respond(RequestFactory().get("/", headers={"accept-encoding": "gzip"}), stored)

    assert plain.content == BODY
    assert not plain.has_header("Content-Encoding")
    assert plain["ETag"] != zipped["ETag"]


def test_a_matching_etag_gets_not_modified() -> None:
    stored = StoredBody.of(BODY, "application/json")
    first = respond(RequestFactory().get("/"), stored)

    again = respond(RequestFactory().get("/", headers={"if-none-match": first["ETag"]}), stored)

    assert again.status_code == 304
    assert again.content == b""


def test_small_bodies_are_not_compressed() -> None:
    stored = StoredBody.of(b"tiny", "text/plain")
    response = respond(RequestFactory().get("/", headers={"accept-encoding": "gzip"}), stored)

    assert stored.gzipped is None
    assert response.content == b"tiny"


@pytest.mark.django_db
def test_schedule_json_travels_gzipped_and_decodes_to_the_same_document(client: Client) -> None:
    event = EventFactory(slug="zipped")
    for _ in range(5):
        SessionFactory(event=event)
    plain = client.get("/zipped/schedule.json")
    client.get("/zipped/schedule.json")  # stored in the cache now

    zipped = client.get("/zipped/schedule.json", headers={"accept-encoding": "gzip"})

    assert zipped["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.content)) == json.loads(plain.content)


@pytest.mark.django_db
def test_a_cached_page_is_gzipped_for_browsers(client: Client) -> None:
    event = EventFactory(slug="zpage")
    SessionFactory(event=event, slug="talk")
    plain = client.get("/en/zpage/sessions/talk/")

    zipped = client.get("/en/zpage/sessions/talk/", headers={"accept-encoding": "gzip, br"})

    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
