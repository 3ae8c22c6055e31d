"""The dataset fetchers against archives served from a loopback HTTP server
(no internet): published and recorded checksums, the cache, unsafe archives."""
import functools
import hashlib
import http.server
import io
import tarfile
import threading
import zipfile

import imageio.v3 as iio
import numpy as np
import pytest

from analogfe.app import cli
from analogfe.data import remote as F


@pytest.fixture
def server(tmp_path):
    """A loopback HTTP server of the folder ``tmp_path / "www"``; its base URL."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _jpeg(value):
    return iio.imwrite("<bytes>", np.full((20, 20, 3), value, np.uint8), extension=".jpg")


def _lfw_tgz(people):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for k, (person, n) in enumerate(people.items()):
            for i in range(n):
                data = _jpeg(30 * k + i)
                info = tarfile.TarInfo(f"lfw_funneled/{person}/{person}_{i + 1:04d}.jpg")
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_lfw_fetch_verifies_the_published_checksum_and_holds_out_identities(
        server, tmp_path, monkeypatch):
    www, base = server
    people = {"Ann_A": 4, "Bob_B": 3, "Cid_C": 5, "Dee_D": 1}
    data = _lfw_tgz(people)
    (www / "lfw.tgz").write_bytes(data)
    spec = dict(F.REMOTE_DATASETS["lfw"], url=f"{base}/lfw.tgz",
                sha256=hashlib.sha256(data).hexdigest())
    monkeypatch.setitem(F.REMOTE_DATASETS, "lfw", spec)
    home = tmp_path / "cache"
    folder = F.fetch("lfw", data_home_path=home)
    assert folder == home / "lfw" / "lfw_funneled"
    assert sorted(p.name for p in folder.iterdir()) == sorted(people)
    # cached: no second download (the server no longer has the file)
    (www / "lfw.tgz").unlink()
    assert F.fetch("lfw", data_home_path=home) == folder
    faces = F.load_lfw_identities(folder, min_faces_per_person=3, size=16)
    assert faces.classes == ("Ann_A", "Bob_B", "Cid_C") and len(faces) == 12
    assert faces.images.shape == (12, 16, 16) and faces.groups[0] == "Ann_A"
    seen, held = F.held_out_identities(faces, test_size=0.34, seed=0)
    assert len(held.classes) == 1 and not set(seen.classes) & set(held.classes)
    assert len(seen) + len(held) == 12 and set(held.labels.tolist()) == {0}
    # a download that is not the published file is refused
    (www / "lfw.tgz").write_bytes(_lfw_tgz({"Eve_E": 2}))
    with pytest.raises(ValueError, match="does not match its published SHA-256"):
        F.fetch("lfw", data_home_path=tmp_path / "other")


def test_pascalraw_fetch_records_the_first_checksum_and_verifies_after(
        server, tmp_path, monkeypatch, capsys):
    www, base = server
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("PASCALRAW/Annotations/2014_000001.xml", "<annotation/>")
        z.writestr("PASCALRAW/ImageSets/Main/train.txt", "2014_000001\n")
    (www / "p.zip").write_bytes(buf.getvalue())
    monkeypatch.setitem(F.REMOTE_DATASETS, "pascalraw",
                        dict(F.REMOTE_DATASETS["pascalraw"], url=f"{base}/p.zip"))
    home = tmp_path / "cache"
    assert cli.main(["fetch", "pascalraw", "--data-home", str(home), "-q"]) == 0
    folder = home / "pascalraw" / "PASCALRAW"
    assert capsys.readouterr().out.strip() == str(folder)
    assert (folder / "Annotations" / "2014_000001.xml").is_file()
    recorded = F._recorded(home)["pascalraw"]
    assert recorded == hashlib.sha256(buf.getvalue()).hexdigest()
    # the host changes the file: the cached copy no longer matches what was
    # recorded once it is fetched again, and the message says so
    (home / "downloads" / "PASCALRAW.zip").write_bytes(b"changed")
    (www / "p.zip").write_bytes(b"changed")
    with pytest.raises(SystemExit):
        cli.main(["fetch", "pascalraw", "--data-home", str(home), "-q"])
    assert "does not match its recorded SHA-256" in capsys.readouterr().err


def test_an_archive_that_escapes_its_folder_is_refused(server, tmp_path, monkeypatch):
    www, base = server
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 2
        t.addfile(info, io.BytesIO(b"hi"))
    (www / "bad.tgz").write_bytes(buf.getvalue())
    monkeypatch.setitem(F.REMOTE_DATASETS, "lfw", dict(F.REMOTE_DATASETS["lfw"],
                                                       url=f"{base}/bad.tgz", sha256=None))
    with pytest.raises(ValueError, match="outside its folder"):
        F.fetch("lfw", data_home_path=tmp_path / "cache")
    assert not (tmp_path / "escaped.txt").exists()
    with pytest.raises(ValueError, match="unknown name 'imagenet'"):
        F.fetch("imagenet", data_home_path=tmp_path / "cache")
