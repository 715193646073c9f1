"""`ketluan` command line: a thin layer over the library.

Errors become one line on stderr and exit code 1; usage errors exit 2 (click)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from .errors import KetluanError
from .model import to_dict
from .parse import parse
from .read import read_file


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"ketluan: {message}", err=True)
    sys.exit(code)


def data_dir_option(f):
    return click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path),
                        default=lambda: os.environ.get("KETLUAN_DATA", "var"), show_default="$KETLUAN_DATA or ./var",
                        help="Data directory (archive, catalog, index).")(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ketluan")
def main() -> None:
    """ketluan — search and archive Vietnamese conclusion notices (thông báo kết luận)."""


@main.command("parse")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of notice objects.")
@click.option("--body/--no-body", default=False, help="Include each notice's full text in JSON.")
def parse_command(file: Path, as_json: bool, body: bool) -> None:
    """Parse FILE and print the notices found in it."""
    try:
        result = read_file(file)
    except KetluanError as err:
        _fail(str(err))
    notices = parse(result.text)
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
        ("Recipients", "; ".join(notice.recipients)), ("Warnings", ", ".join(notice.warnings)),
    ]
    lines += [f"  {label:<13} {value}" for label, value in fields if value]
    for item in notice.items:
        head = f"  {item.section + ' › ' if item.section else ''}{item.label or item.number}."
        text = item.text if len(item.text) < 110 else item.text[:107] + "…"
        lines.append(f"{head} {text}")
        if item.addressees:
            lines.append(f"      → {'; '.join(item.addressees)}")
        if item.deadline:
            lines.append(f"      ⏰ {item.deadline.date} ({item.deadline.text})")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
