"""`ketluan` command line: a thin layer over the library.

Errors become one line on stderr and exit code 1; usage errors exit 2 (click)."""
from __future__ import annotations

import errno
import json
import os
import sqlite3
import sys
from pathlib import Path

import click

from . import topics
from .errors import KetluanError
from .model import to_dict
from .parse import parse
from .read import read_file


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"ketluan: {message}", err=True)
    sys.exit(code)


def topics_option(f):
    return click.option("--topics", "taxonomy", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                        default=None, show_default="$KETLUAN_TOPICS, else the one kept in the data directory, "
                        "else the built-in taxonomy", help="Topic taxonomy (TOML) to tag items with.")(f)


def data_dir_option(f):
    return click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path),
                        default=lambda: os.environ.get("KETLUAN_DATA", "var"), show_default="$KETLUAN_DATA or ./var",
                        help="Data directory (archive, catalog, index).")(f)


def jobs_option(f):
    return click.option("--jobs", "-j", type=click.IntRange(1, 64), default=lambda: min(2, os.cpu_count() or 1),
                        show_default="2 or the number of cores",
                        help="Worker processes reading, parsing and writing the index.")(f)


class _Main(click.Group):
    """Errors of the file system or the catalog (a full disk, a read-only or missing data
    directory) become one line on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # `ketluan search ... | head`
            sys.exit(0)
        except (OSError, sqlite3.Error) as err:
            _fail(_system_error(err))


def _system_error(err: Exception) -> str:
    hints = {errno.ENOSPC: "the disk is full: free some space and run the same command again "
                           "(nothing archived is lost)",
             errno.EROFS: "the data directory is on a read-only file system",
             errno.EACCES: "permission denied", errno.ENOENT: "no such file or directory"}
    if isinstance(err, OSError):
        where = f"{err.filename}: " if err.filename else ""
        return f"{where}{hints.get(err.errno, err.strerror or str(err))}"
    if "full" in str(err):
        return f"catalog: {hints[errno.ENOSPC]}"
    return f"catalog: {err}"


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ketluan")
def main() -> None:
    """ketluan — search and archive Vietnamese conclusion notices (thông báo kết luận)."""


@main.command("parse")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of notice objects.")
@click.option("--body/--no-body", default=False, help="Include each notice's full text in JSON.")
@topics_option
def parse_command(file: Path, as_json: bool, body: bool, taxonomy) -> None:
    """Parse FILE and print the notices found in it."""
    try:
        result = read_file(file)
        tax = topics.load(topics.taxonomy_path(taxonomy))
    except KetluanError as err:
        _fail(str(err))
    notices = [tax.tag(n) for n in parse(result.text)]
    if as_json:
        data = [to_dict(n, include_body=body) for n in notices]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{file}: {len(notices)} notice(s), format {result.format}, encoding {result.encoding}")
    for n, notice in enumerate(notices, 1):
        click.echo(_describe(n, notice))


def _describe(n: int, notice) -> str:
    lines = [f"\n[{n}] {notice.doc_type.upper() or '(no type)'} {notice.number}".rstrip()]
    fields = [
        ("Issuer", notice.issuer_canonical), ("Level", notice.body_level), ("Locality", notice.locality),
        ("Issued", notice.issue_date), ("Meeting date", notice.meeting_date), ("Period", notice.period),
        ("Meeting", notice.meeting), ("Title", notice.title),
        ("Presiding", f"{notice.presiding.name}, {notice.presiding.position}".strip(", ") if notice.presiding else ""),
        ("Signer", " / ".join(filter(None, [notice.signer.on_behalf_of, notice.signer.position, notice.signer.name]))
         if notice.signer else ""),
        ("Recipients", "; ".join(notice.recipients)), ("Topics", ", ".join(notice.topics)),
        ("Warnings", ", ".join(notice.warnings)),
    ]
    lines += [f"  {label:<13} {value}" for label, value in fields if value]
    for ref in notice.references:
        cited = " ".join(filter(None, [ref.doc_type, ref.number, ref.date and f"({ref.date})", ref.issuer]))
        lines.append(f"  {'Cites':<13} {cited}")
    for item in notice.items:
        head = f"  {item.section + ' › ' if item.section else ''}{item.label or item.number}."
        text = item.text if len(item.text) < 110 else item.text[:107] + "…"
        lines.append(f"{head} {text}")
        if item.addressees:
            lines.append(f"      → {'; '.join(item.addressees)}")
        if item.deadline:
            lines.append(f"      ⏰ {item.deadline.date} ({item.deadline.text})")
        if item.topics:
            lines.append(f"      # {', '.join(item.topics)}")
    return "\n".join(lines)


@main.command("index")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@data_dir_option
@jobs_option
@click.option("--max-size", type=click.IntRange(1), default=20, show_default=True, help="Largest file, in MB.")
@click.option("--quiet", "-q", is_flag=True, help="Only the summary (and failures on stderr).")
@click.option("--ocr-timeout", type=click.FloatRange(min=0.1), default=None,
              help="Seconds Tesseract may spend on one page of a scan before it is skipped "
                   "(default 180, or $KETLUAN_OCR_TIMEOUT).")
@topics_option
def index_command(paths, data, jobs, max_size, quiet, ocr_timeout, taxonomy):
    """Archive and index every file under PATHS (folders are walked recursively).
    Scans (PDF, PNG, JPEG, TIFF) are OCR'd with Tesseract when it is installed."""
    from .ingest import ingest
    if ocr_timeout:
        os.environ["KETLUAN_OCR_TIMEOUT"] = str(ocr_timeout)  # the worker processes inherit it
    bar = _Progress(quiet)

    def on_file(path, status, reason):
        if status in ("failed", "skipped"):
            bar.not_indexed += 1
        if status == "failed":
            bar.write(f"ketluan: {path}: {reason}", err=True)

    try:
        summary = ingest(paths, data, jobs=jobs, max_bytes=max_size * 1024 * 1024, on_file=on_file,
                         progress=bar.update, taxonomy=taxonomy)
    except KetluanError as err:
        bar.close()
        _fail(str(err))
    except KeyboardInterrupt:
        bar.close()
        _fail("interrupted; run the same command again to finish (nothing archived is lost)", 130)
    bar.close()
    mb = summary.bytes / 1e6
    known = f", {summary.known_content} already archived under another path" if summary.known_content else ""
    click.echo(f"{summary.files} files: {summary.new} new{known}, {summary.unchanged} unchanged, {summary.skipped} skipped, "
               f"{summary.failed} failed ({summary.warned} with warnings); {summary.notices} notices, "
               f"{summary.items} items; {summary.seconds:.1f} s ({mb / max(summary.seconds, 1e-9):.2f} MB/s)")
    if summary.copies:
        click.echo(f"copies: {summary.copies} archived notices are copies of notices in other files "
                   "(each notice shown once; every original kept)")
    if summary.new:
        click.echo(f"references and copies: {summary.link_seconds:.1f} s cataloguing, "
                   f"{summary.signature_seconds:.1f} s of parsing CPU for text signatures")
    if summary.report:
        click.echo(f"report: {data / 'report.tsv'}")
    need_ocr = sum(1 for _, status, reason in summary.report if reason.startswith("needs OCR"))
    if need_ocr:
        click.echo(f"{need_ocr} scanned files were skipped: they need OCR (install tesseract-ocr-vie and "
                   "poppler-utils, then run the same command again)")
    if summary.taxonomy_changed and summary.unchanged:
        click.echo(f"the topic file changed: run 'ketluan retag --data {data}' to re-tag files archived before")
    sys.exit(1 if summary.failed else 0)


class _Progress:
    """A progress bar on a terminal, a log line every 500 files otherwise."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.bar = None
        self.last = 0
        self.not_indexed = 0  # failed or skipped so far

    def update(self, done: int, total: int, nbytes: int) -> None:
        if self.quiet:
            return
        if self.tty:
            from tqdm import tqdm
            if self.bar is None:
                self.bar = tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True)
            self.bar.n = done
            self.bar.set_postfix_str(f"{nbytes / 1e6:.1f} MB", refresh=False)
            self.bar.refresh()
        elif done - self.last >= 500 or done == total:
            self.last = done
            click.echo(f"{done}/{total} files read, {done - self.not_indexed} indexed or unchanged, "
                       f"{self.not_indexed} failed or skipped", err=True)

    def write(self, message: str, err: bool = False) -> None:
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr if err else sys.stdout)
        else:
            click.echo(message, err=err)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@main.command("reindex")
@data_dir_option
@jobs_option
def reindex_command(data, jobs):
    """Rebuild the search index from the archive alone."""
    from .ingest import reindex
    try:
        count = reindex(data, jobs)
    except KetluanError as err:
        _fail(str(err))
    click.echo(f"reindexed: {count} documents")


@main.command("retag")
@data_dir_option
@topics_option
@jobs_option
def retag_command(data, taxonomy, jobs):
    """Re-tag every archived notice with the topic taxonomy (no file is re-read) and rebuild the index."""
    from .ingest import retag
    if not (data / "catalog.sqlite").exists():
        _fail(f"no archive in {data}; run 'ketluan index PATH --data {data}' first")
    try:
        total, changed = retag(data, taxonomy, jobs)
    except KetluanError as err:
        _fail(str(err))
    click.echo(f"retagged: {total} notices, {changed} with changed topics")


@main.command("stats")
@data_dir_option
@click.option("--json", "as_json", is_flag=True)
def stats_command(data, as_json):
    """Counts of files, notices and items; per body level and year; index size."""
    from .archive import Archive
    from .index import Index
    if not (data / "catalog.sqlite").exists():
        _fail(f"no archive in {data}; run 'ketluan index PATH --data {data}' first")
    with Archive(data) as archive:
        stats = archive.stats()
    index = Index(data / "index")
    stats["index_documents"] = index.kind_counts()
    stats["index_bytes"] = index.size_bytes()
    if as_json:
        click.echo(json.dumps(stats, ensure_ascii=False, indent=2))
        return
    docs = stats["index_documents"]
    rows = [("files", stats["files"]), *((f"  {k}", v) for k, v in sorted(stats["files_by_status"].items())),
            ("notices", stats["notices"]), ("items", stats["items"]),
            ("  copies of others", stats["copies"]),
            ("index", f"{stats['index_bytes'] / 1e6:.2f} MB: {docs.get('notice', 0)} notice and "
                      f"{docs.get('item', 0)} item documents")]
    _table(rows)
    for title, counts in (("by body level", stats["by_body_level"]), ("by year", stats["by_year"])):
        if counts:
            click.echo(f"\n{title}")
            _table([(f"  {k or '(không rõ)'}", v) for k, v in counts.items()])


def _table(rows) -> None:
    width = max(len(str(label)) for label, _ in rows)
    for label, value in rows:
        click.echo(f"{label:<{width}}  {value:>8}" if isinstance(value, int) else f"{label:<{width}}  {value}")


@main.command("search")
@click.argument("query", nargs=-1)
@data_dir_option
@click.option("--from", "date_from", help="Meeting date (else issue date) from, YYYY-MM-DD.")
@click.option("--to", "date_to", help="... to, YYYY-MM-DD.")
@click.option("--body", default="", help="Issuing body (canonical name).")
@click.option("--level", default="", help="Body level: tỉnh, huyện, xã, ...")
@click.option("--topic", default="")
@click.option("--type", "doc_type", default="", help="Document type: thông báo, kết luận, ...")
@click.option("--year", type=int)
@click.option("--addressee", default="", help="Items assigned to this body (as listed in the facets).")
@click.option("--due-from", help="Items whose deadline is on or after this date, YYYY-MM-DD.")
@click.option("--due-to", help="... on or before this date.")
@click.option("--items", "items", is_flag=True, help="Conclusion items instead of notices (one hit per item).")
@click.option("--notices", "notices", is_flag=True, hidden=True, help="Whole notices (the default).")
@click.option("--presiding", default="", help="Only notices chaired by this official (as shown in the facet).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest", "deadline"]), default="relevance")
@click.option("--page", type=click.IntRange(1), default=1)
@click.option("--limit", type=click.IntRange(1, 200), default=10)
@click.option("--json", "as_json", is_flag=True)
def search_command(query, data, date_from, date_to, body, level, topic, doc_type, year, addressee, due_from, due_to,
                   items, notices, presiding, sort, page, limit, as_json):
    """Search the index. Every word must match; diacritics are optional."""
    from .dates import parse_iso
    from .index import Index
    from .search import SearchRequest, result_to_dict, search
    if not (data / "index").exists():
        _fail(f"no index in {data}; run 'ketluan index PATH --data {data}' first")
    dates = []
    for label, value in (("--from", date_from), ("--to", date_to), ("--due-from", due_from), ("--due-to", due_to)):
        parsed = parse_iso(value) if value else None
        if value and parsed is None:
            _fail(f"{label}: '{value}' is not a date (YYYY-MM-DD)", 2)
        dates.append(parsed)
    request = SearchRequest(q=" ".join(query), date_from=dates[0], date_to=dates[1], body=body, level=level,
                            topic=topic, doc_type=doc_type, year=year, addressee=addressee, presiding=presiding,
                            due_from=dates[2], due_to=dates[3],
                            kind="item" if items or due_from or due_to or sort == "deadline" else "notice",
                            sort=sort, page=page, limit=limit)
    try:
        result = search(Index(data / "index"), request)
    except KetluanError as err:
        _fail(str(err))
    if as_json:
        click.echo(json.dumps(result_to_dict(result), ensure_ascii=False, indent=2))
        return
    label = " (no hit has every word: best partial matches)" if result.partial else ""
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"{result.total} {'items' if request.kind == 'item' else 'notices'}{label}")
    for hit in result.hits:
        where = f"item {hit.item_number}" if hit.kind == "item" and hit.item_number else hit.kind
        click.echo(f"\n{hit.date or '----------'}  {hit.issuer}  {hit.number}  [{where}]  score {hit.score:.2f}")
        if hit.title and hit.kind == "notice":
            click.echo(f"  {hit.title}")
        if hit.presiding:
            click.echo(f"  chủ trì: {hit.presiding}")
        if hit.matched_items:
            for item in hit.matched_items[:3]:
                click.echo(f"  {item.label or item.number or '-'} {_plain(item.snippet)}")
            if hit.matched_count > 3:
                click.echo(f"  … and {hit.matched_count - 3} more items")
        else:
            click.echo(f"  {_plain(hit.snippet)}")
        if hit.missing:
            click.echo(f"  missing: {', '.join(hit.missing)}")
        click.echo(f"  {hit.source_path}  ({hit.notice_id})")
        if hit.copies:
            click.echo(f"  also in: {', '.join(c.path or c.name for c in hit.copies)}")


TRIM_ABOVE_MB = 500  # the server's resident memory past which freed heap pages are given back


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@data_dir_option
@topics_option
def serve_command(host, port, threads, data, taxonomy):
    """Serve the search site and JSON API (waitress, a thread per request up to --threads)."""
    import threading

    from waitress import serve

    from search_web import create_app

    from .process import return_freed_memory
    problem = _cannot_listen(host, port)
    if problem:
        _fail(f"cannot listen on {host}:{port}: {problem} (choose another with --port)", 2)
    app = create_app({"DATA_DIR": str(data), "TOPICS": str(taxonomy) if taxonomy else None})
    app.wsgi_app = return_freed_memory(app.wsgi_app, above_mb=TRIM_ABOVE_MB)
    threading.Thread(target=app.extensions["ketluan"].warm_up, name="warm-up", daemon=True).start()
    click.echo(f"ketluan: serving {data} on http://{host}:{port}/  (Ctrl-C to stop)")
    try:
        serve(app, host=host, port=port, threads=threads, ident="ketluan")
    except OSError as err:
        _fail(f"cannot listen on {host}:{port}: {err.strerror or err}", 2)


def _cannot_listen(host: str, port: int) -> str:
    """Why the site could not listen there ("" when it can): checked before saying
    "serving", so a busy port is one clear line, not a traceback after a promise."""
    import socket
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        return f"unknown address ({err.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            return err.strerror or str(err)
    return ""


def _plain(snippet: str) -> str:
    import html
    import re
    return html.unescape(re.sub(r"</?mark>", "**", snippet))


if __name__ == "__main__":
    main()
