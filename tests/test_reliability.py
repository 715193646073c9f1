"""Faults, load and hostile input: kill -9 at random moments, Ctrl-C, searching while
indexing, and a pile of broken files. Nothing archived is lost or duplicated; the server
never errors."""
import io
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import formats  # noqa: E402
import generate  # noqa: E402

KETLUAN = [sys.executable, "-m", "indexer.cli"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    # enough files that each of the twelve runs below is still working when it is killed
    # (with 1,000, later runs sometimes finished first on a fast machine)
    folder = tmp_path_factory.mktemp("generated")
    generate.generate(folder, 2000, seed=7)
    return folder


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    generate.generate(folder, 400, seed=8)
    return folder


def start_index(files: Path, data: Path, *extra) -> subprocess.Popen:
    # Frequent commits, so that kills land in commits as well as in copies and catalog writes.
    return subprocess.Popen(KETLUAN + ["index", str(files), "--data", str(data), "--quiet", *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "KETLUAN_COMMIT_EVERY": "60"})


def check_consistent(files: Path, data: Path) -> dict:
    """Every file in the catalog once, every shown catalog notice in the index once (a copy
    of another is archived, not indexed), search counts equal to `ketluan stats`, no temp
    files, and the index opens."""
    from indexer.index import Index
    on_disk = sorted(str(p) for p in files.rglob("*") if p.is_file() and not p.name.startswith("."))
    db = sqlite3.connect(data / "catalog.sqlite")
    paths = [r[0] for r in db.execute("SELECT path FROM paths ORDER BY path")]
    assert paths == on_disk
    assert db.execute("SELECT COUNT(*) FROM files WHERE status = 'archived'").fetchone()[0] == 0
    shown = ("FROM notices n JOIN files f USING(sha256) JOIN notice_facts c ON c.id = n.id "
             "WHERE f.status = 'indexed' AND c.copy_of IS NULL")
    catalog_ids = sorted(r[0] for r in db.execute(f"SELECT n.id {shown}"))
    items = sum(len(json.loads(r[0])["items"]) for r in db.execute(f"SELECT n.data {shown}"))
    index = Index(data / "index")
    with index.reading() as searcher:
        ids = sorted(doc["id"] for doc in searcher.documents(kind="notice"))
        item_docs = sum(1 for _ in searcher.documents(kind="item"))
    assert ids == catalog_ids  # each notice once, none missing
    assert item_docs == items
    stats = json.loads(subprocess.run(KETLUAN + ["stats", "--data", str(data), "--json"], cwd=ROOT,
                                      capture_output=True, text=True, check=True).stdout)
    assert stats["distinct_notices"] == len(ids) and stats["index_documents"] == {"notice": len(ids), "item": items}
    assert not list((data / "originals").glob("*/.tmp-*"))
    for (sha,) in db.execute("SELECT sha256 FROM files"):
        assert (data / "originals" / sha[:2] / sha).is_file()
    db.close()
    return stats


def test_kill_9_at_random_moments_loses_and_duplicates_nothing(generated, tmp_path):
    data = tmp_path / "data"
    rng = random.Random(3)
    kills = 0
    # Each run is killed after 0.7–1.8 s, a small part of the whole job, at 12 moments:
    # copying, catalog writes and index commits (every 60 files) all happen throughout.
    for delay in [rng.uniform(0.7, 1.8) for _ in range(12)]:
        proc = start_index(generated, data, "--jobs", "2")
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=120)  # no orphan may keep the pipes open
    final = start_index(generated, data)
    out, err = final.communicate(timeout=300)
    assert final.returncode in (0, 1), err
    assert kills >= 10
    check_consistent(generated, data)


# Crash points by phase (see indexer/faults.py), each the nth time it is reached, and the
# folders of `small` (100 notices each) the run is given. Runs go on from where the last
# one stopped: files archived but not indexed are indexed first (commit 1), then new files
# in batches of 60 (commits 2, ...); files are archived in groups (originals synced
# together, one catalog transaction), so a kill inside a group loses the whole group's
# catalog rows. A later point is given a folder not seen before where the runs before
# it may have archived every file it was given, so it is reached however far they got.
CRASH_POINTS = [("copy:3", 1), ("catalog:2", 1), ("link:1", 1), ("index-add:1", 1), ("toc:1", 1),
                ("indexed:1", 1), ("copy:30", 3), ("catalog:20", 3), ("link:2", 3), ("index-add:2", 3),
                ("toc:2", 3), ("indexed:2", 4), ("copy:5", 4), ("toc:1", 4)]


def test_kill_9_in_every_phase_loses_and_duplicates_nothing(small, tmp_path):
    """SIGKILL while an original is half-copied, inside a catalog transaction, inside a
    batch's linking of copies and references, with a batch added but not committed,
    inside the index commit (segments written, table of contents not), and between the
    index commit and the catalog update — fourteen runs
    on one archive in turn, then a clean run: everything is there exactly once."""
    data = tmp_path / "data"
    folders = sorted(p for p in small.iterdir() if p.is_dir())
    assert len(folders) == 4
    for point, given in CRASH_POINTS:
        proc = subprocess.Popen(KETLUAN + ["index", *map(str, folders[:given]), "--data", str(data), "--quiet",
                                           "--jobs", "2"],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "KETLUAN_COMMIT_EVERY": "60", "KETLUAN_FAULT": point})
        assert proc.wait(timeout=300) == -signal.SIGKILL, f"{point} was never reached"
    final = start_index(small, data)
    out, err = final.communicate(timeout=300)
    assert final.returncode in (0, 1), err
    stats = check_consistent(small, data)
    assert stats["distinct_notices"] == 400 and stats["notices"] == 400 + stats["copies"]


def test_ctrl_c_stops_cleanly_and_a_rerun_finishes(small, tmp_path):
    data = tmp_path / "data"
    proc = start_index(small, data, "--jobs", "2")
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "interrupted" in err and "Traceback" not in err
    rerun = start_index(small, data)
    rerun.communicate(timeout=300)
    check_consistent(small, data)


def test_second_index_run_is_refused_with_a_message(small, tmp_path):
    data = tmp_path / "data"
    first = start_index(small, data)
    time.sleep(1.0)
    second = start_index(small, data)
    out, err = second.communicate(timeout=60)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=120)
    assert second.returncode == 1 and "already running" in err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_eight_clients_search_while_the_bulk_indexer_runs(small, tmp_path):
    data = tmp_path / "data"
    port = free_port()
    server = subprocess.Popen(KETLUAN + ["serve", "--data", str(data), "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/api/stats", timeout=2)
            break
        except OSError:
            time.sleep(0.1)
    indexer = start_index(small, data, "--jobs", "2")
    errors, totals, requests = [], [], [0]
    done = threading.Event()

    def client(n: int):
        queries = [{"q": "giai phong mat bang"}, {"q": "dang vien"}, {}, {"q": "nong thon moi", "level": "huyện"},
                   {"q": "thu hoi dat", "sort": "newest"}, {"topic": "y-te"}, {"q": "ủy ban nhân dân"}, {"q": "GPMB"}]
        while not done.is_set():
            url = f"{base}/api/search?{urllib.parse.urlencode(queries[n % len(queries)])}"
            try:
                with urllib.request.urlopen(url, timeout=30) as r:
                    body = json.loads(r.read())
                    if n == 0:
                        totals.append(body["total"])
            except (OSError, ValueError, KeyError) as err:
                errors.append(repr(err))
                time.sleep(0.1)
            requests[0] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    indexer.communicate(timeout=300)
    time.sleep(1.0)
    done.set()
    for t in threads:
        t.join()
    server.terminate()
    server.wait(10)
    assert errors == [] and requests[0] > 50
    assert totals == sorted(totals) and totals[-1] > 0  # results appear as commits land


def hostile_files(folder: Path) -> dict[str, str]:
    """Broken and malicious files; returns name → the reason expected in the report."""
    rng = random.Random(5)
    expected = {}
    for n in range(1000):
        (folder / f"random_{n}.txt").write_bytes(rng.randbytes(rng.randrange(1, 4000)))
        expected[f"random_{n}.txt"] = ""
    (folder / "empty.txt").write_bytes(b"")
    expected["empty.txt"] = "empty"
    (folder / "huge.txt").write_bytes(b"a" * (21 * 1024 * 1024))
    expected["huge.txt"] = "too large"
    (folder / "nested.xml").write_text("<a>" * 100_000 + "</a>" * 100_000)
    expected["nested.xml"] = ""
    (folder / "xxe.xml").write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                                    "<x>&e;</x>")
    expected["xxe.xml"] = "entit"
    (folder / "billion.xml").write_text('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                                        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>')
    expected["billion.xml"] = "entit"
    with zipfile.ZipFile(folder / "bomb.docx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<w:document>" + b" " * (200 * 1024 * 1024) + b"</w:document>")
    expected["bomb.docx"] = ""
    (folder / "bad_utf8.txt").write_bytes("Thông báo kết luận".encode() + b"\xff\xfe\xfa" * 3 + "về đất đai".encode())
    (folder / "mixed.txt").write_bytes("THÔNG BÁO kết luận ".encode() + formats.cp1258("về giải phóng mặt bằng"))
    (folder / "loop").symlink_to(folder / "loop")
    expected["loop"] = "link"
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    expected["image.png"] = "broken image"
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # 400 Mpx in a few kB
    (folder / "bomb.png").write_bytes(bomb.getvalue())
    expected["bomb.png"] = "too large"
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<\n%%EOF")
    expected["broken.pdf"] = "PDF"
    (folder / "fake.tiff").write_bytes(b"II*\x00" + os.urandom(500))
    expected["fake.tiff"] = "broken image"
    return expected


def test_hostile_files_are_each_reported_and_the_run_completes(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    expected = hostile_files(folder)
    data = tmp_path / "data"
    log = open(tmp_path / "stderr.txt", "w+")  # a file, not a pipe: a thousand failure lines would fill it
    proc = subprocess.Popen(KETLUAN + ["index", str(folder), "--data", str(data), "--quiet"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=log, text=True)
    sampler_peak = 0
    while proc.poll() is None:
        try:
            rss = int(next(l for l in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                           if l.startswith("VmRSS")).split()[1]) * 1024
            sampler_peak = max(sampler_peak, rss)
        except (OSError, StopIteration):
            pass
        time.sleep(0.05)
    proc.wait(300)
    log.seek(0)
    err = log.read()
    assert proc.returncode == 1 and "Traceback" not in err
    report = {Path(line.split("\t")[0]).name: line for line in (data / "report.tsv").read_text().splitlines()[1:]}
    assert len(expected) >= 1000
    for name, reason in expected.items():
        assert name in report, name
        assert reason in report[name], report[name]
    assert sampler_peak < 500 * 2**20


def small_disk(path: Path, size: str, *options: str) -> bool:
    path.mkdir(exist_ok=True)
    opts = ",".join((f"size={size}",) + options)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True).returncode == 0


def test_full_disk_gives_a_clear_error_and_corrupts_nothing(small, tmp_path):
    disk = tmp_path / "disk"
    if not small_disk(disk, "600k"):
        pytest.skip("cannot mount a small file system here (needs root and mount rights)")
    try:
        data = disk / "data"
        full = start_index(small, data)
        out, err = full.communicate(timeout=120)
        assert full.returncode == 1 and "disk is full" in err and "Traceback" not in err, err
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        rerun = start_index(small, data)
        out, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, err
        check_consistent(small, data)
    finally:
        subprocess.run(["umount", "-l", str(disk)])


def test_read_only_data_directory_gives_a_clear_error(small, tmp_path):
    disk = tmp_path / "ro"
    if not small_disk(disk, "1m", "ro"):
        pytest.skip("cannot mount a read-only file system here (needs root and mount rights)")
    try:
        run = start_index(small, disk / "data")
        out, err = run.communicate(timeout=60)
        assert run.returncode == 1 and "read-only" in err and "Traceback" not in err, err
    finally:
        subprocess.run(["umount", "-l", str(disk)])


@pytest.mark.parametrize("syncfs_result", [0, -1, None])  # works / fails / the system lacks it
def test_renamed_originals_folders_are_made_durable_with_one_syncfs_or_each_fsynced(tmp_path, monkeypatch,
                                                                                      syncfs_result):
    from indexer import archive
    folders = [tmp_path / name for name in ("aa", "bb", "cc")]
    for folder in folders:
        folder.mkdir()
    syncfs_calls, fsynced = [], []
    monkeypatch.setattr(archive, "_syncfs", None if syncfs_result is None else
                        lambda fd: syncfs_calls.append(fd) or syncfs_result)
    monkeypatch.setattr(archive.os, "fsync", lambda fd: fsynced.append(os.readlink(f"/proc/self/fd/{fd}")))
    opened, real_open = [], os.open
    monkeypatch.setattr(archive.os, "open", lambda path, flags: opened.append(path) or real_open(path, flags))
    archive._sync_folders(folders)
    if syncfs_result == 0:  # one call through one folder covers the file system: no other folder opened
        assert len(syncfs_calls) == 1 and fsynced == [] and opened == folders[:1]
    else:
        assert fsynced == [str(f) for f in folders] and len(syncfs_calls) == (0 if syncfs_result is None else 1)
