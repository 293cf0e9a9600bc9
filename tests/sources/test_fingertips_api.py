"""The Fingertips API client against a local HTTP server (never the internet).

The server listens on 127.0.0.1 (port chosen by the OS) and answers the API's
paths with the bytes of the real exports in ``../shared/data/real/fingertips``:
``/api/all_data/csv/by_indicator_id?indicator_ids=93495&…`` returns
``indicator-93495-all-areas.csv``. Each test queues how the next requests are
answered: ``"ok"``, ``"slow"`` (headers only after the client timeout),
``500``, ``404``, ``"short"`` (Content-Length larger than the bytes sent) or
``"cut"`` (a complete response whose CSV stops mid-row).
"""

from __future__ import annotations

import collections
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from cdp_analysis.errors import FetchError, OfflineError
from cdp_analysis.sources import fingertips as ft

pytestmark = pytest.mark.real_data

SLOW_SECONDS = 1.0
# A made-up metadata response (no real one is in ../shared), in the published column layout.
METADATA = (
    b"Indicator ID,Indicator,Definition,Unit,Value type,Year type,Polarity\r\n"
    b'93495,Estimated prevalence of common mental disorders,"Modelled, 16+",%,Proportion,Calendar,'
    b"RAG - Low is good   \r\n"
)

# A made-up ``indicator_metadata/by_indicator_id`` JSON response (no real one is recorded in ../shared) in the
# API's published shape, as fingertipsR's indicator_update_information reads it: an object keyed by indicator
# id, each with IID and DataChange.LastUploadedAt (other fields cut short); 93356 has no upload date recorded.
UPDATES = json.dumps({
    "93495": {"IID": 93495, "Descriptive": {"Name": "Estimated prevalence of common mental disorders"},
              "DataChange": {"IID": 93495, "LastUploadedAt": "2025-11-04T09:31:12.117", "HasDataChangedRecently": False}},
    "93356": {"IID": 93356, "Descriptive": {"Name": "Hospital admissions"}, "DataChange": None},
    "92432": {"IID": 92432, "Descriptive": {"Name": "Deaths from drug misuse"},
              "DataChange": {"IID": 92432, "LastUploadedAt": "2026-02-03T00:00:00", "HasDataChangedRecently": True}},
}).encode()


class FakeFingertips:
    """A tiny threaded HTTP server standing in for fingertips.phe.org.uk/api."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.plan: collections.deque = collections.deque()
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append({"path": url.path, "query": query})
                behaviour = fake.plan.popleft() if fake.plan else "ok"
                try:
                    fake.answer(self, url.path, query, behaviour)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout); nothing to do

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def body_for(self, path: str, query: dict) -> bytes | None:
        if path == "/api/all_data/csv/by_indicator_id":
            return self.files.get(query.get("indicator_ids", ""))
        if path == "/api/indicator_metadata/csv/by_indicator_id":
            return METADATA if query.get("indicator_ids") == "93495" else None
        if path == "/api/indicator_metadata/by_indicator_id":
            return UPDATES if query.get("indicator_ids") else None
        return None

    def answer(self, handler: BaseHTTPRequestHandler, path: str, query: dict, behaviour) -> None:
        body = self.body_for(path, query)
        if body is None:
            handler.send_error(404, "Not Found")
            return
        if isinstance(behaviour, int):  # an HTTP error status
            handler.send_error(behaviour)
            return
        if behaviour == "slow":
            time.sleep(SLOW_SECONDS)
        if behaviour == "cut":
            body = body[: body.index(b"\n", len(body) // 2) + 40]  # stops inside a record
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if behaviour == "short":
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            return
        handler.wfile.write(body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def export_bytes(real_file) -> dict[str, bytes]:
    return {
        "93495": real_file("fingertips/indicator-93495-all-areas.csv").read_bytes(),
        "93356": real_file("fingertips/indicators-CountyUA.data.csv").read_bytes(),
    }


@pytest.fixture()
def api(export_bytes):
    server = FakeFingertips(export_bytes)
    yield server
    server.close()


@pytest.fixture()
def session():
    s = requests.Session()
    s.trust_env = False  # never route 127.0.0.1 through a proxy from the environment
    yield s
    s.close()


def _client(api: FakeFingertips, tmp_path: Path, session, **kw) -> ft.FingertipsClient:
    options = {"timeout": 5, "retries": 2, "backoff": 0.01}
    options.update(kw)
    return ft.FingertipsClient(base_url=api.base_url, cache_dir=tmp_path / "cache", session=session, **options)


def test_downloads_the_export_at_the_api_path(api, tmp_path, session, export_bytes):
    client = _client(api, tmp_path, session)
    frame = client.data_by_indicator_id(93495, child_area_type_id=502)
    assert len(frame) == 704
    assert frame.loc[2, "Value"] == pytest.approx(16.91715193)
    assert api.requests == [{"path": "/api/all_data/csv/by_indicator_id",
                             "query": {"indicator_ids": "93495", "child_area_type_id": "502",
                                       "parent_area_type_id": "15"}}]
    cached = client.cache_path("all_data/csv/by_indicator_id",
                               {"indicator_ids": "93495", "child_area_type_id": 502, "parent_area_type_id": 15})
    assert cached.read_bytes() == export_bytes["93495"]  # raw bytes, byte for byte


def test_cache_hit_makes_no_request_and_refresh_bypasses_it(api, tmp_path, session):
    client = _client(api, tmp_path, session)
    first = client.data_by_indicator_id([93495], 502)
    second = client.data_by_indicator_id([93495], 502)
    assert len(api.requests) == 1
    assert first.equals(second)
    csvs = sorted((tmp_path / "cache").glob("*.csv"))
    assert len(csvs) == 1
    sidecar = json.loads(Path(str(csvs[0]) + ".json").read_text())
    assert sidecar["url"].startswith(api.base_url + "all_data/csv/by_indicator_id?indicator_ids=93495")
    assert "fetched_at" in sidecar and sidecar["bytes"] == csvs[0].stat().st_size
    assert not list((tmp_path / "cache").glob("*.part"))  # no temporary files left behind
    client.data_by_indicator_id([93495], 502, refresh=True)
    assert len(api.requests) == 2
    # Other parameters are another cache entry.
    client.data_by_indicator_id([93495], 502, parent_area_type_id=6)
    assert len(api.requests) == 3 and len(list((tmp_path / "cache").glob("*.csv"))) == 2


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_error_is_retried_then_data_returned(api, tmp_path, session, status):
    api.plan.extend([status])
    frame = _client(api, tmp_path, session).data_by_indicator_id(93495, 502)
    assert len(frame) == 704
    assert len(api.requests) == 2


def test_server_errors_until_retries_run_out(api, tmp_path, session):
    api.plan.extend([500, 500, 500])
    with pytest.raises(FetchError) as info:
        _client(api, tmp_path, session).data_by_indicator_id(93495, 502)
    assert not isinstance(info.value, OfflineError)
    assert "HTTP 500" in str(info.value) and "3 attempt" in str(info.value)
    assert len(api.requests) == 3
    assert not list((tmp_path / "cache").glob("*.csv"))  # nothing cached after a failure


def test_slow_response_times_out_is_retried_then_fails(api, tmp_path, session):
    api.plan.extend(["slow"] * 3)
    client = _client(api, tmp_path, session, timeout=0.2, retries=2)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        client.data_by_indicator_id(93495, 502)
    elapsed = time.monotonic() - started
    assert "no response within 0.2s" in str(info.value)
    assert len(api.requests) == 3
    assert elapsed < 3 * SLOW_SECONDS  # gave up on each attempt well before the server answered


def test_slow_then_fast_succeeds(api, tmp_path, session):
    api.plan.extend(["slow"])
    frame = _client(api, tmp_path, session, timeout=0.2).data_by_indicator_id(93495, 502)
    assert len(frame) == 704 and len(api.requests) == 2


def test_body_shorter_than_content_length_is_retried(api, tmp_path, session):
    api.plan.extend(["short"])
    frame = _client(api, tmp_path, session).data_by_indicator_id(93495, 502)
    assert len(frame) == 704 and len(api.requests) == 2


def test_body_shorter_than_content_length_every_time(api, tmp_path, session):
    api.plan.extend(["short"] * 3)
    with pytest.raises(FetchError, match="incomplete body"):
        _client(api, tmp_path, session).data_by_indicator_id(93495, 502)
    assert len(api.requests) == 3


def test_csv_cut_mid_row_is_retried_then_fails(api, tmp_path, session):
    api.plan.extend(["cut", "cut"])
    with pytest.raises(FetchError) as info:
        _client(api, tmp_path, session, retries=1).data_by_indicator_id(93495, 502)
    assert "truncated" in str(info.value)
    assert len(api.requests) == 2
    api.plan.extend(["cut"])
    frame = _client(api, tmp_path, session, retries=1).data_by_indicator_id(93495, 502)
    assert len(frame) == 704


@pytest.mark.parametrize("status", [404, 400, 403])
def test_client_error_is_not_retried(api, tmp_path, session, status):
    api.plan.extend([status])
    with pytest.raises(FetchError) as info:
        _client(api, tmp_path, session).data_by_indicator_id(93495, 502)
    assert not isinstance(info.value, OfflineError)
    assert f"HTTP {status}" in str(info.value) and "not retried" in str(info.value)
    assert len(api.requests) == 1


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_without_cache_says_what_to_do(tmp_path, session):
    port = _closed_port()
    client = ft.FingertipsClient(base_url=f"http://127.0.0.1:{port}/api/", cache_dir=tmp_path / "cache",
                                 timeout=1, retries=1, backoff=0.01, session=session)
    with pytest.raises(OfflineError) as info:
        client.data_by_indicator_id(92432, 502)
    text = str(info.value)
    assert f"cannot reach 127.0.0.1:{port}" in text
    assert "nothing is cached" in text
    assert f"download the CSV by hand from http://127.0.0.1:{port}/api/all_data/csv/by_indicator_id" in text
    assert str(tmp_path / "cache") in text
    assert isinstance(info.value, FetchError)


def test_offline_with_cache_uses_the_cache(api, tmp_path, session):
    _client(api, tmp_path, session).data_by_indicator_id(93495, 502)
    offline = ft.FingertipsClient(base_url=f"http://127.0.0.1:{_closed_port()}/api/",
                                  cache_dir=tmp_path / "cache", retries=0, session=session)
    # The cache key holds the endpoint and parameters, not the host: a hit makes no request.
    assert len(offline.data_by_indicator_id(93495, 502)) == 704
    with pytest.warns(UserWarning, match="using the copy cached"):
        frame = offline.data_by_indicator_id(93495, 502, refresh=True)
    assert len(frame) == 704
    assert len(api.requests) == 1


def test_indicator_metadata_and_its_polarity(api, tmp_path, session):
    client = _client(api, tmp_path, session)
    meta = client.indicator_metadata([93495])
    assert meta["Indicator ID"].tolist() == [93495]
    assert meta["Definition"].tolist() == ["Modelled, 16+"]
    table = ft.to_indicator_table(client.data_by_indicator_id(93495, 502), metadata=meta)
    assert set(table["polarity"]) == {"LowIsGood"} and set(table["unit"]) == {"%"}
    assert [r["path"] for r in api.requests] == ["/api/indicator_metadata/csv/by_indicator_id",
                                                  "/api/all_data/csv/by_indicator_id"]


def test_url_and_profile_id(api, tmp_path, session):
    client = _client(api, tmp_path, session)
    url = client.url("all_data/csv/by_indicator_id", {"indicator_ids": "90244,90245", "child_area_type_id": 502})
    assert url == f"{api.base_url}all_data/csv/by_indicator_id?indicator_ids=90244,90245&child_area_type_id=502"
    client.data_by_indicator_id("93356", child_area_type_id=102, parent_area_type_id=6, profile_id=19)
    assert api.requests[-1]["query"] == {"indicator_ids": "93356", "child_area_type_id": "102",
                                         "parent_area_type_id": "6", "profile_id": "19"}
    with pytest.raises(ValueError):
        client.data_by_indicator_id(["abc"], 502)


def test_indicator_update_dates_are_the_apis_own_and_are_recorded_beside_the_exports(api, tmp_path, session):
    from cdp_analysis.publishing import releases

    client = _client(api, tmp_path, session)
    dates = client.indicator_update_dates([93495, 93356, 92432])
    assert dates == {93495: "2025-11-04", 92432: "2026-02-03"}  # 93356: the API records no upload
    assert api.requests[-1] == {"path": "/api/indicator_metadata/by_indicator_id",
                                "query": {"indicator_ids": "93495,93356,92432"}}
    cached = client.cache_path("indicator_metadata/by_indicator_id", {"indicator_ids": "93495,93356,92432"})
    assert cached.read_bytes() == UPDATES and cached.suffix == ".json"
    path = ft.write_release_dates(client.cache_dir, dates, "http://x/api/indicator_metadata/by_indicator_id")
    ft.write_release_dates(client.cache_dir, {93495: "2025-12-01"}, "http://x")  # a later fetch replaces its date
    assert ft.read_release_dates(client.cache_dir) == {93495: "2025-12-01", 92432: "2026-02-03"}
    # the date pages and the About sheet show is the publisher's, not the file's copy date
    (client.cache_dir / "export.csv").write_text("x")
    from cdp_analysis.publishing.summary import _release_dates

    recorded = _release_dates({str(path.parent)})
    assert recorded == {"release_dates": ["2025-12-01", "2026-02-03", 2]}
    words = releases.release_words({"source": "indicators", "file_dates": ["2026-12-07"] * 2, **recorded})
    assert words.startswith("published between 2025-12-01 and 2026-02-03") and "2026-12-07" not in words
    assert releases.release_words({"source": "indicators"}).startswith("not stated")  # none recorded


@pytest.mark.parametrize(("body", "column"), [
    (b"[1, 2]", None),
    (b'{"93495": {"IID": "x"}}', "93495"),
    (b'{"93495": {"IID": 93495, "DataChange": {"LastUploadedAt": "last tuesday"}}}', "93495.DataChange.LastUploadedAt"),
])
def test_an_update_response_that_cannot_be_read_names_file_and_field(body, column):
    from cdp_analysis.errors import DataFormatError

    with pytest.raises(DataFormatError, match="updates.json") as caught:
        ft.parse_update_dates(body, "updates.json")
    if column:
        assert column in str(caught.value)
