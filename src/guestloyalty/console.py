"""The console script. ``score-guest`` answers without building the typer app.

A front-desk lookup is start-up bound: importing the command line and building its commands
(typer, click, the signature of every command) costs as much CPU as scoring the guest.
:func:`main` reads a plain ``score-guest ID [--data-dir D] [--source-system S] [--json]``
itself and hands anything else (other commands, ``--help``, an option or form it does not
know) to :mod:`guestloyalty.cli` unchanged, so errors and help read the same either way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: Options of ``score-guest`` that take a value, and the flag.
_VALUED = ("--data-dir", "--source-system")
_FLAG = "--json"


def parse_score_guest(argv: list[str]) -> dict[str, object] | None:
    """``score-guest``'s arguments, or None when the typer app must read ``argv``."""
    if not argv or argv[0] != "score-guest":
        return None
    options: dict[str, object] = {}
    positional: list[str] = []
    tokens = iter(argv[1:])
    for token in tokens:
        name, equals, value = token.partition("=")
        if name in _VALUED and name not in options:
            if not equals:
                value = next(tokens, "")
            if not value or value.startswith("-"):
                return None
            options[name] = value
        elif token == _FLAG and _FLAG not in options:
            options[_FLAG] = True
        elif token.startswith("-"):
            return None  # --help, a repeated or unknown option, "--": typer's rules apply
        else:
            positional.append(token)
    if len(positional) != 1:
        return None
    data_dir = options.get("--data-dir") or os.environ.get("GUESTLOYALTY_DATA_DIR") or "data"
    return {
        "guest_id": positional[0],
        "data_dir": Path(str(data_dir)),
        "source_system": options.get("--source-system"),
        "as_json": bool(options.get(_FLAG)),
    }


def score_guest(guest_id: str, *, data_dir: Path, source_system: str | None, as_json: bool) -> int:
    """What ``guestloyalty score-guest`` prints; errors are one line and an exit code."""
    from guestloyalty.errors import GuestLoyaltyError
    from guestloyalty.serving.guest import render_text, score_one_guest, to_json
    from guestloyalty.warehouse import Layout

    try:  # the CLI's settings are the defaults: no pydantic Settings (see guestloyalty.defaults)
        result = score_one_guest(Layout(data_dir), None, guest_id, source_system=source_system)
    except GuestLoyaltyError as error:
        if os.environ.get("GUESTLOYALTY_DEBUG", "") not in ("", "0"):
            raise
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    print(to_json(result) if as_json else render_text(result))
    return 0


def main() -> None:
    """Console-script entry point."""
    parsed = parse_score_guest(sys.argv[1:])
    if parsed is None:
        from guestloyalty.cli import main as cli_main

        cli_main()
        return
    try:
        code = score_guest(**parsed)  # type: ignore[arg-type]
        sys.stdout.flush()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except BrokenPipeError:  # the reader left (`| head`): nothing more to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
