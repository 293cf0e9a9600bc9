"""The fault suite: every bad setting, file or fault ends in a clear message naming
what to change (exit 2 for usage and input errors), within seconds, and leaves
nothing half-written (issue 15, item 7).

Each test reproduces one fault as a user meets it. Servers are started here, on
127.0.0.1 only, and every wait is bounded.
"""

from __future__ import annotations

import csv
import errno
import http.server
import io
import json
import os
import pathlib
import signal
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

from cdp_analysis.areas import AreaRegistry, check_code
from cdp_analysis.cli import main
from cdp_analysis.config import load_config, max_workers
from cdp_analysis.errors import CdpError, ConfigError, DataFormatError
from cdp_analysis.publishing import batch
from cdp_analysis.publishing.executors import HANDSHAKE_SECONDS, dask_executor
from cdp_analysis.sources import police_uk
from cdp_analysis.sources.police_uk import STREET_HEADER, find_police_files, read_street_crime
from cdp_analysis.store.dataset import Dataset
from cdp_analysis.store.prepare import prepare
from tests.shared_data import REPO

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


# -- helpers -------------------------------------------------------------------------------------

def _street_rows(n: int, *, month: str = "2018-04", crime: str = "Drugs", start: int = 0) -> list[list[str]]:
    return [[f"id{start + i:06d}", month, "City of London Police", "City of London Police", "-0.09", "51.51",
             "On or near X", "E01000001", "City of London 001A", crime, "Under investigation", ""]
            for i in range(n)]


def _street_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STREET_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _config_file(tmp_path: Path, text: str = "") -> Path:
    path = tmp_path / "cdp.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def isolated(tmp_path, monkeypatch) -> Path:
    """An empty config (defaults), raw/processed/reports folders of the test's own."""
    for var in ("CDP_CONFIG", "CDP_RAW_DIR", "CDP_PROCESSED_DIR", "CDP_REPORTS_DIR", "CDP_NOTEBOOKS_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CDP_CONFIG", str(_config_file(tmp_path)))
    (tmp_path / "raw").mkdir()
    return tmp_path


def _usage_error(capsys, argv: list[str]) -> str:
    """Run ``cdp argv``: it must stop as a usage error (exit 2), at once, without a traceback."""
    started = time.monotonic()
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert time.monotonic() - started < 5
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


# -- area codes are never paths ------------------------------------------------------------------

def test_an_area_code_that_is_a_path_is_refused_and_nothing_is_written(isolated, capsys):
    (isolated / "raw" / "areas.csv").write_text(
        "code,name,type,parent,members,comparators\n"
        "../../PWN2,Pwned,cdp,E12000007,E09000001,\n", encoding="utf-8")
    before = sorted(p.name for p in isolated.parent.iterdir())
    code = main(["--raw-dir", str(isolated / "raw"), "--reports-dir", str(isolated / "reports"),
                 "--processed-dir", str(isolated / "processed"), "build", "--area", "../../PWN2"])
    err = capsys.readouterr().err
    assert code == 2
    assert "areas.csv, line 2, column 'code'" in err and "'../../PWN2'" in err and "GSS code" in err
    assert "Traceback" not in err
    assert not (isolated / "reports").exists()
    assert sorted(p.name for p in isolated.parent.iterdir()) == before  # no PWN2 beside the test folder


@pytest.mark.parametrize("code", ["../../PWN2", "Z/../x", "E0900000", "e09000001", "Z", "Z 1", "E09000001/.."])
def test_codes_must_be_gss_shaped_or_z_identifiers(code):
    with pytest.raises(ConfigError, match="Invalid area code"):
        check_code(code)


@pytest.mark.parametrize("code", ["E09000001", "W06000015", "X95000002", "Z95000001", "ZMYPARTNERSHIP1"])
def test_valid_codes_pass(code):
    assert check_code(code) == code


def test_build_chapter_refuses_a_path_code_before_writing(isolated):
    config = load_config(raw_dir=isolated / "raw", reports_dir=isolated / "reports",
                         processed_dir=isolated / "processed")
    with pytest.raises(ConfigError, match="PWN2"):
        batch.build_chapter("../../PWN2", "01_supply", config)
    assert not (isolated / "reports").exists() and not (isolated / "processed").exists()


def test_areas_csv_saved_as_windows_1252_is_read(tmp_path):
    text = ("code,name,type,parent,members,comparators\n"
            "X95000001,Brighton – Café Partnership,cdp,E12000008,E06000043,\n")
    (tmp_path / "areas.csv").write_bytes(text.encode("cp1252"))
    assert AreaRegistry.load(tmp_path).get("X95000001").name == "Brighton – Café Partnership"


def test_areas_csv_in_no_known_encoding_names_file_and_line(tmp_path):
    data = (b"code,name,type,parent,members,comparators\n"
            b"X95000001,Alpha,cdp,E12000008,E06000043,\n") + b"X95000002,Bad \x81\x9d,cdp,E12000008,E06000043,\n"
    (tmp_path / "areas.csv").write_bytes(data)
    with pytest.raises(DataFormatError, match=r"areas\.csv, line 3: .*neither UTF-8 nor Windows-1252"):
        AreaRegistry.load(tmp_path)


# -- the scheduler address -----------------------------------------------------------------------

def test_scheduler_that_is_not_an_address_is_a_usage_error_at_once(capsys):
    err = _usage_error(capsys, ["batch", "--areas", "Z09000001", "--scheduler", "not a url"])
    assert "--scheduler" in err and "tcp://HOST:PORT" in err


@pytest.mark.parametrize("address", ["http://127.0.0.1:8786", "tcp://127.0.0.1:99999", "tcp://127.0.0.1"])
def test_scheduler_address_checked_before_connecting(capsys, address):
    assert "--scheduler" in _usage_error(capsys, ["batch", "--areas", "Z09000001", "--scheduler", address])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_scheduler_port_fails_fast(capsys):
    port = _free_port()  # bound then closed: nothing listens
    started = time.monotonic()
    code = main(["batch", "--areas", "Z09000001", "--scheduler", f"tcp://127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert code == 2 and time.monotonic() - started < 5
    assert f"127.0.0.1:{port}" in err and "refused" in err.lower() and "Traceback" not in err


def test_a_plain_http_server_is_not_taken_for_a_scheduler_and_does_not_hang():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        with pytest.raises(ConfigError, match="no Dask scheduler answered within 2 s"), \
                dask_executor(f"tcp://127.0.0.1:{server.server_address[1]}", timeout=2):
            pass
        assert time.monotonic() - started < 6
    finally:
        server.shutdown()
        server.server_close()
    assert HANDSHAKE_SECONDS == 10  # the command's handshake bound


# -- workers, timeout, indicators, chapters -------------------------------------------------------

@pytest.mark.parametrize("value", ["0", "-1", "x", str(max_workers() + 1), "1000"])
def test_workers_out_of_range_is_a_usage_error(capsys, value):
    err = _usage_error(capsys, ["batch", "--areas", "Z09000001", "--workers", value])
    assert f"from 1 to {max_workers()}" in err


@pytest.mark.parametrize("command", [["batch", "--areas", "Z09000001"], ["build", "--area", "Z09000001"], ["demo"]])
def test_workers_checked_on_every_command(capsys, command):
    _usage_error(capsys, [*command, "--workers", "0"])


@pytest.mark.parametrize("value", ["0", "-5", "1.5"])
def test_timeout_must_be_above_zero(capsys, value):
    assert "above 0" in _usage_error(capsys, ["batch", "--areas", "Z09000001", "--timeout", value])


def test_config_workers_beyond_four_per_core_is_refused(tmp_path):
    path = _config_file(tmp_path, f"[build]\nworkers = {max_workers() + 1}\n")
    with pytest.raises(ConfigError, match=rf"\[build\] workers = {max_workers() + 1}.*from 1 to {max_workers()}"):
        load_config(path)


def test_fetch_indicators_that_are_not_numbers(capsys):
    err = _usage_error(capsys, ["fetch", "--indicators", "92432,abc"])
    assert "'abc'" in err and "whole numbers" in err


def test_json_into_a_missing_folder_is_refused_before_the_batch(isolated, capsys):
    (isolated / "file").write_text("", encoding="utf-8")
    started = time.monotonic()
    code = main(["batch", "--areas", "Z09000001", "--json", str(isolated / "file" / "out.json")])
    err = capsys.readouterr().err
    assert code == 2 and time.monotonic() - started < 5
    assert f"{isolated / 'file'} is a file, not a folder" in err and "Traceback" not in err


def test_duplicate_chapters_collapse(isolated):
    from cdp_analysis.cli import _chapters

    config = load_config(notebooks_dir=REPO / "notebooks")
    assert _chapters("03_demand,03_demand, 01_supply,03_demand", config) == ["03_demand", "01_supply"]


# -- usage errors come back before anything is prepared --------------------------------------------

def _bad_folders(root: Path) -> dict[str, Path]:
    """Folders a user may mistype for the data folder (and one holding a table, the good one)."""
    (root / "empty" / ".hidden").mkdir(parents=True)
    (root / "empty" / ".hidden" / "table.csv").write_text("a,b\n1,2\n", encoding="utf-8")  # hidden: skipped
    (root / "empty" / "notes.txt").write_text("not data", encoding="utf-8")
    (root / "file.csv").write_text("a,b\n", encoding="utf-8")
    (root / "good" / "police_uk").mkdir(parents=True)
    (root / "good" / "police_uk" / "2018-04-city-of-london-street.csv").write_bytes(_street_csv(_street_rows(5)))
    return {"missing": root / "no" / "such" / "folder", "empty": root / "empty", "file": root / "file.csv",
            "good": root / "good"}


#: (command, what the one sentence says); {x} is a folder of _bad_folders, {root} the test's folder
USAGE_ERRORS = [
    (["build", "--area", "Z09000001", "--data-dir", "{missing}"], "{missing}: no such folder"),
    (["build", "--area", "E09000003", "--data-dir", "{empty}"], "{empty} holds no data file"),
    (["build", "--area", "E09000003", "--data-dir", "{file}"], "{file} is a file, not a folder"),
    (["build", "--area", "E09000003", "--data-dir", "{root}"], "lies inside the data folder {root}"),
    (["build", "--area", "Barnett", "--data-dir", "{good}"], "Unknown area 'Barnett'; did you mean 'Barnet'"),
    (["build", "--area", "E09000003"], "No data folder for Barnet (E09000003)"),  # no data/raw/real
    (["build", "--area", "Z09000001", "--chapters", "01_suply"], "Unknown chapter '01_suply'"),
    (["batch", "--areas", "E09000001,Barnett", "--data-dir", "{good}"], "Unknown area 'Barnett'"),
    (["batch", "--areas", "E09000001", "--data-dir", "{missing}"], "{missing}: no such folder"),
    (["data", "--area", "E09000001", "--data-dir", "{empty}"], "{empty} holds no data file"),
    (["print", "--area", "Barnett"], "Unknown area 'Barnett'"),
]


@pytest.mark.parametrize(("command", "said"), USAGE_ERRORS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_a_usage_error_prepares_nothing_and_starts_no_kernel(isolated, capsys, monkeypatch, command, said):
    from cdp_analysis.publishing.kernels import WarmKernel
    from cdp_analysis.store import prepare as prepare_module

    names = {k: str(v) for k, v in _bad_folders(isolated).items()} | {"root": str(isolated)}
    started = []
    monkeypatch.setattr(WarmKernel, "_start", lambda self: started.append("kernel"))
    monkeypatch.setattr(prepare_module, "prepare", lambda *a, **k: started.append("prepare"))
    processed = isolated / "processed"
    code = main(["--raw-dir", str(isolated / "raw"), "--reports-dir", str(isolated / "reports"),
                 "--processed-dir", str(processed), *[part.format(**names) for part in command]])
    err = capsys.readouterr().err
    assert code == 2 and started == []
    assert said.format(**names) in err and "Traceback" not in err
    assert err.count("\n") == 1  # one sentence on one line
    assert not processed.exists() or not any(processed.iterdir())  # no processed table, no run log
    assert not (isolated / "reports").exists() or not any((isolated / "reports").rglob("*.html"))


def test_usage_errors_import_none_of_the_building_machinery(tmp_path):
    """Checked in a fresh interpreter: the command reaches its usage errors without pandas,
    nbformat (and the jsonschema grammar it loads: seconds), the chapters or the publishing layer."""
    import subprocess
    import sys

    names = {k: str(v) for k, v in _bad_folders(tmp_path).items()} | {"root": str(tmp_path)}
    commands = [[part.format(**names) for part in command] for command, _ in USAGE_ERRORS]
    script = (
        "import json, sys\n"
        "from cdp_analysis.cli import main\n"
        f"codes = [main(['--raw-dir', {str(tmp_path / 'raw')!r}, '--processed-dir', {str(tmp_path / 'p')!r}, "
        f"'--reports-dir', {str(tmp_path / 'r')!r}, *c]) for c in {commands!r}]\n"
        "heavy = ('pandas', 'numpy', 'nbformat', 'jsonschema', 'matplotlib', 'cdp_demo.region',\n"
        "         'cdp_analysis.chapters', 'cdp_analysis.store.prepare', 'cdp_analysis.publishing.batch',\n"
        "         'cdp_analysis.publishing.executors')\n"
        "print(json.dumps([codes, sorted(m for m in heavy if m in sys.modules)]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDP_")}
    env["CDP_CONFIG"] = str(_config_file(tmp_path))
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    codes, imported = json.loads(ran.stdout.strip().splitlines()[-1])
    assert codes == [2] * len(USAGE_ERRORS)
    assert imported == []


def test_a_damaged_file_stops_a_build_before_any_chapter_starts(isolated, capsys, monkeypatch):
    """The data cannot be prepared: one sentence naming the file, line and column, exit 2, no
    kernel started (before, every chapter started a kernel to fail on the same file, exit 1)."""
    from cdp_analysis.publishing.kernels import WarmKernel

    source = _police_source(isolated)
    rows = _street_rows(4)
    rows[2][9] = "Drugs\x00"
    (source / "police_uk" / "2018-05-city-of-london-street.csv").write_bytes(_street_csv(rows))
    started = []
    monkeypatch.setattr(WarmKernel, "_start", lambda self: started.append("kernel"))
    code = main(["--raw-dir", str(isolated / "raw"), "--reports-dir", str(isolated / "reports"),
                 "--processed-dir", str(isolated / "processed"), "build", "--area", "E09000001",
                 "--data-dir", str(source), "--chapters", "01_supply"])
    err = capsys.readouterr().err
    assert code == 2 and started == []
    assert "2018-05-city-of-london-street.csv, line 4, column 'Crime type': NUL byte" in err
    assert err.count("cdp: error:") == 1 and "Traceback" not in err
    assert not list((isolated / "reports").rglob("*.html"))


# -- cdp.toml ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ('[disclosure]\npolcy = "nhsd"\n', r"unknown setting 'polcy' in \[disclosure\] \(did you mean 'policy'\?\)"),
    ('[disclosre]\npolicy = "nhsd"\n', r"unknown section \[disclosre\] \(did you mean 'disclosure'\?\)"),
    ('publish = "x"\n', r"\[publish\] must be a table of settings"),
    ('[disclosure]\npublish = "x"\n', r"unknown setting 'publish' in \[disclosure\]"),
    ('[build]\ntimeout_seconds = 0\n', r"\[build\] timeout_seconds = 0 is not valid"),
    ('[publish]\naccessibility_contact = 3\n', r"\[publish\] accessibility_contact = 3 is not valid"),
])
def test_bad_config_is_refused_naming_the_setting(tmp_path, capsys, monkeypatch, text, message):
    path = _config_file(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)
    monkeypatch.setenv("CDP_CONFIG", str(path))
    assert main(["areas", "--search", "Barnet"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err


def test_a_known_config_is_accepted_with_its_contact(tmp_path):
    path = _config_file(tmp_path, '[disclosure]\npolicy = "nhsd"\n[publish]\naccessibility_contact = "team@example.org"\n')
    config = load_config(path)
    assert (config.disclosure_policy, config.accessibility_contact) == ("nhsd", "team@example.org")


def test_relative_folders_from_the_environment_are_relative_to_the_current_folder(isolated, monkeypatch):
    monkeypatch.chdir(isolated)
    monkeypatch.setenv("CDP_PROCESSED_DIR", "second")
    assert load_config().processed_dir == isolated / "second"
    assert load_config(processed_dir="third").processed_dir == isolated / "third"


# -- folders and files the system refuses ---------------------------------------------------------

def test_reports_folder_that_is_a_file(isolated, capsys):
    (isolated / "reports").write_text("not a folder", encoding="utf-8")
    code = main(["--reports-dir", str(isolated / "reports"), "--processed-dir", str(isolated / "processed"),
                 "build", "--area", "Z09000001", "--chapters", "01_supply"])
    err = capsys.readouterr().err
    assert code == 2 and "is a file, not a folder" in err and "--reports-dir" in err and "Traceback" not in err


def test_processed_folder_that_is_a_file_stops_prepare(isolated, capsys):
    (isolated / "processed").write_text("", encoding="utf-8")
    (isolated / "src").mkdir()
    code = main(["--processed-dir", str(isolated / "processed" / "sub"), "prepare", "--source-dir", str(isolated / "src")])
    err = capsys.readouterr().err
    assert code == 2 and f"{isolated / 'processed'} is a file" in err and "Traceback" not in err


def _read_only(monkeypatch, folder: Path) -> None:
    """Make ``folder`` unwritable: chmod for a normal user; root bypasses permissions, so
    there the write check meets the error a read-only folder gives."""
    folder.mkdir(parents=True, exist_ok=True)
    if not ROOT:
        folder.chmod(0o555)
        return
    import tempfile

    real = tempfile.NamedTemporaryFile

    def refuse(*args, **kwargs):
        if Path(kwargs.get("dir", "")).resolve() == folder.resolve():
            raise PermissionError(errno.EACCES, "Permission denied", str(folder / "x"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)


@pytest.mark.parametrize("which", ["reports", "processed"])
def test_read_only_folder_is_named(isolated, capsys, monkeypatch, which):
    _read_only(monkeypatch, isolated / which)
    try:
        code = main(["--reports-dir", str(isolated / "reports"), "--processed-dir", str(isolated / "processed"),
                     "build", "--area", "Z09000001", "--chapters", "01_supply"])
    finally:
        (isolated / which).chmod(0o755)
    err = capsys.readouterr().err
    assert code == 2 and f"Cannot write the {which} folder {isolated / which}: Permission denied" in err
    assert f"--{which}-dir" in err and "Traceback" not in err


def _police_source(tmp_path: Path, months: tuple[str, ...] = ("2018-04", "2018-05")) -> Path:
    source = tmp_path / "src"
    (source / "police_uk").mkdir(parents=True)
    for n, month in enumerate(months):
        (source / "police_uk" / f"{month}-city-of-london-street.csv").write_bytes(
            _street_csv(_street_rows(5 + n, month=month)))
    return source


def test_police_csv_without_read_permission_is_named(tmp_path, monkeypatch):
    source = _police_source(tmp_path)
    locked = source / "police_uk" / "2018-05-city-of-london-street.csv"
    if ROOT:  # root reads anything: meet the error an unreadable file gives
        real = pathlib.Path.read_bytes

        def read_bytes(self):
            if self.resolve() == locked.resolve():
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    else:
        locked.chmod(0)
    with pytest.raises(DataFormatError) as caught:
        prepare(source, tmp_path / "out", progress=False)
    text = str(caught.value)
    assert "2018-05-city-of-london-street.csv" in text and "cannot read the file (Permission denied)" in text
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_full_disk_during_prepare_leaves_the_processed_folder_as_it_was(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    source = _police_source(tmp_path)
    out = tmp_path / "out"
    prepare(source, out, progress=False)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (source / "police_uk" / "2018-06-city-of-london-street.csv").write_bytes(
        _street_csv(_street_rows(3, month="2018-06")))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full)
    with pytest.raises(CdpError, match=r"No space left to write the processed tables in .*--processed-dir"):
        prepare(source, out, progress=False)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_full_disk_through_the_command_is_a_message(tmp_path, monkeypatch, capsys):
    import pyarrow.parquet as pq

    source = _police_source(tmp_path)
    monkeypatch.setattr(pq, "write_table", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
    code = main(["--processed-dir", str(tmp_path / "out"), "prepare", "--source-dir", str(source)])
    err = capsys.readouterr().err
    assert code == 2 and "No space left" in err and "Traceback" not in err


# -- police archives: conflicts, bounds, NUL bytes ------------------------------------------------

def test_zip_copy_differing_from_the_loose_file_is_refused_naming_both(tmp_path):
    loose = tmp_path / "2018-04-city-of-london-street.csv"
    loose.write_bytes(_street_csv(_street_rows(879)))
    archive = tmp_path / "2018-04.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2018-04/2018-04-city-of-london-street.csv", _street_csv(_street_rows(99)))
    with pytest.raises(DataFormatError) as caught:
        read_street_crime(tmp_path)
    text = str(caught.value)
    assert str(loose) in text and "2018-04.zip/2018-04/2018-04-city-of-london-street.csv" in text
    assert "879 rows" in text and "99 rows" in text


def test_identical_zip_and_loose_copies_are_read_once(tmp_path):
    data = _street_csv(_street_rows(7))
    (tmp_path / "2018-04-city-of-london-street.csv").write_bytes(data)
    with zipfile.ZipFile(tmp_path / "2018-04.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2018-04/2018-04-city-of-london-street.csv", data)
    assert len(find_police_files(tmp_path, "street")) == 1
    assert len(read_street_crime(tmp_path)) == 7


def test_zip_bomb_is_refused_before_it_is_decompressed(tmp_path):
    rows = _street_rows(1)[0]
    body = _street_csv([rows] * 60_000)  # ~6 MB of one repeated row: deflates over 100 times
    archive = tmp_path / "2018-04.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("2018-04-city-of-london-street.csv", body)
    info = zipfile.ZipFile(archive).infolist()[0]
    assert info.file_size > 100 * info.compress_size
    with pytest.raises(DataFormatError, match="zip bomb"):
        find_police_files(archive, "street")


def test_member_larger_than_any_police_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(police_uk, "MAX_FILE_BYTES", 1000)
    archive = tmp_path / "2018-04.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("2018-04-city-of-london-street.csv", _street_csv(_street_rows(20)))
    with pytest.raises(DataFormatError, match="too large for a police.uk monthly CSV"):
        find_police_files(archive, "street")


def test_rows_beyond_the_limit_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(police_uk, "MAX_FILE_ROWS", 10)
    path = tmp_path / "2018-04-city-of-london-street.csv"
    path.write_bytes(_street_csv(_street_rows(11)))
    with pytest.raises(DataFormatError, match="11 rows"):
        read_street_crime(path)
    path.write_bytes(_street_csv(_street_rows(10)))
    assert len(read_street_crime(path)) == 10


def test_nul_byte_in_a_crime_type_is_refused_with_line_and_column(tmp_path):
    rows = _street_rows(4)
    rows[2][9] = "Drugs\x00"
    path = tmp_path / "2018-04-city-of-london-street.csv"
    path.write_bytes(_street_csv(rows))
    with pytest.raises(DataFormatError, match=r"line 4, column 'Crime type': NUL byte"):
        read_street_crime(path)


# -- a malformed optional local return fails only what reads it -----------------------------------

def test_malformed_local_return_fails_only_its_reader(tmp_path):
    source = _police_source(tmp_path)
    (source / "local").mkdir()
    (source / "local" / "deaths_in_treatment.csv").write_text(
        "area_code,period,substance_group,in_treatment,deaths\n"
        "E09000001,2022/23,opiate,10,1\n"
        "E09000001,2023/24,opiate,10,12\n", encoding="utf-8")
    report = prepare(source, tmp_path / "out", progress=False)
    assert any("local/deaths_in_treatment.csv" in w and "line 3" in w for w in report.warnings)
    dataset = Dataset(tmp_path / "out")
    assert sorted(dataset.months()) == ["2018-04", "2018-05"]  # the other tables are there
    with pytest.raises(DataFormatError) as caught:
        dataset.local("deaths_in_treatment")
    assert (caught.value.line, caught.value.column) == (3, "deaths")
    assert "deaths_in_treatment.csv" in str(caught.value)
    # fixed: the table replaces the error
    (source / "local" / "deaths_in_treatment.csv").write_text(
        "area_code,period,substance_group,in_treatment,deaths\n"
        "E09000001,2023/24,opiate,10,2\n", encoding="utf-8")
    prepare(source, tmp_path / "out", progress=False)
    assert dataset.local("deaths_in_treatment")["deaths"].tolist() == [2]
    assert not (tmp_path / "out" / "local" / "deaths_in_treatment.error.json").exists()


# -- batches: interrupted runs, duplicates, the processed folder of the kernels -------------------

def _fake_notebooks(folder: Path, chapters: list[str]) -> None:
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    for chapter in chapters:
        nbformat.write(nbformat.v4.new_notebook(), folder / f"{chapter}.ipynb")


@pytest.fixture()
def fake_batch(isolated, monkeypatch):
    """A config whose chapters are rendered by a stand-in (the batch machinery is real)."""
    chapters = ["01_first", "02_second"]
    _fake_notebooks(isolated / "notebooks", chapters)
    config = load_config(raw_dir=isolated / "raw", reports_dir=isolated / "reports",
                         processed_dir=isolated / "processed", notebooks_dir=isolated / "notebooks")
    monkeypatch.setattr(batch, "publish_areas", lambda config, codes, **kwargs: [])  # no document for stand-in pages
    return config, chapters


def _page(text: str) -> str:
    return f"<!DOCTYPE html><html><head><title>{text}</title></head><body><main><p>{text}</p></main></body></html>"


def test_ctrl_c_during_a_forced_batch_keeps_the_good_pages_and_a_true_index(fake_batch, monkeypatch):
    config, chapters = fake_batch
    code = "Z09000001"
    monkeypatch.setattr(batch, "_execute_and_export", lambda nb, p, c, a, chapter: _page(f"good {chapter}"))
    first = batch.run_batch([code], config, chapters=chapters, workers=2, prepare_first=False)
    assert all(r.ok for r in first)

    started = threading.Event()
    released = threading.Event()

    def render(nb, parameters, cfg, area, chapter):
        if chapter == "01_first":
            return _page("new 01_first")
        started.set()
        released.wait(5)  # a kernel busy until the interrupt reaches it
        raise RuntimeError("kernel interrupted")

    def press_ctrl_c():
        started.wait(10)
        time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(batch, "_execute_and_export", render)
    monkeypatch.setattr("cdp_analysis.publishing.kernels.KernelPool.interrupt", lambda self: released.set())
    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    presser.start()
    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        batch.run_batch([code], config, chapters=chapters, workers=2, force=True, prepare_first=False)
    presser.join(5)
    assert time.monotonic() - began < 10
    folder = config.reports_dir / code
    assert (folder / "02_second.html").read_text(encoding="utf-8") == _page("good 02_second")
    assert (folder / "01_first.html").read_text(encoding="utf-8") == _page("new 01_first")
    status = json.loads(batch._status_file(config, code).read_text(encoding="utf-8"))
    assert status["01_first"]["ok"] and status["02_second"]["ok"]
    index = (config.reports_dir / "index.html").read_text(encoding="utf-8")
    assert f"{code}/01_first.html" in index and f"{code}/02_second.html" in index
    assert not list(folder.glob(".*.tmp"))


def test_sigterm_stops_a_command_as_ctrl_c_does_with_one_sentence(monkeypatch, capsys):
    """``kill`` (or a container stopping): the run is interrupted as by Ctrl-C (the batch's own
    handling: pages in progress keep their previous version), one sentence, exit 143."""
    from cdp_analysis import cli

    reached_the_end = []

    def long_command(args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal interrupts the wait
        reached_the_end.append(True)
        return 0

    monkeypatch.setattr(cli, "cmd_areas", long_command)
    before = signal.getsignal(signal.SIGTERM)
    started = time.monotonic()
    code = main(["areas"])
    err = capsys.readouterr().err
    assert code == 143 and not reached_the_end and time.monotonic() - started < 4
    assert err == "cdp: terminated (SIGTERM); nothing half-written was left in place.\n"
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is the command's only


def test_a_chapter_asked_twice_is_built_once(fake_batch, monkeypatch):
    config, _ = fake_batch
    calls = []
    lock = threading.Lock()

    def render(nb, parameters, cfg, area, chapter):
        with lock:
            calls.append(chapter)
        return _page(chapter)

    monkeypatch.setattr(batch, "_execute_and_export", render)
    results = batch.run_batch(["Z09000001", "Z09000001"], config, chapters=["01_first", "01_first"],
                              workers=2, prepare_first=False)
    assert calls == ["01_first"] and len(results) == 1


@pytest.mark.slow  # starts a kernel
def test_kernels_read_and_prepare_in_the_commands_processed_folder(isolated, monkeypatch):
    """``cdp --processed-dir X`` / ``CDP_PROCESSED_DIR=X``: the notebook's own
    ``load_config()`` in the kernel sees X (not the repository's data/processed)."""
    import nbformat

    from cdp_analysis.publishing.kernels import KernelPool, config_env

    monkeypatch.setenv("CDP_PROCESSED_DIR", str(isolated / "elsewhere"))  # the parent's own setting
    config = load_config(processed_dir=isolated / "second", raw_dir=isolated / "raw")
    assert config_env(config)["CDP_PROCESSED_DIR"] == str(isolated / "second")
    source = "from cdp_analysis.config import load_config\nprint(load_config().processed_dir, load_config().raw_dir)"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    pool = KernelPool()
    try:
        ran = pool.run(notebook, timeout=120, env=config_env(config))
    finally:
        pool.close()
    assert ran.cells[0].outputs[0]["text"].split() == [str(isolated / "second"), str(isolated / "raw")]
