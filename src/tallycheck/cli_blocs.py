"""The `blocs` command: who can form a majority, who can block, and how much power each party holds, exactly,
for a package's elected parliament or a party,seats file."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import EXIT_PROBLEMS, JsonOpt, StoreOpt, UsageProblem, VersionOpt, open_store
from .seats.ties import DEFAULT_SEED
from .terminal import err, out, print_json, print_rows

QuotaOpt = Annotated[Optional[list[str]], typer.Option(
    "--quota", metavar="SEATS", help="Seats a decision needs: a number (165), 'majority' (more than half) or "
    "a share of all seats to reach (2/3). Repeat for several. [default: majority]", show_default=False)]
AllianceOpt = Annotated[Optional[list[str]], typer.Option(
    "--alliance", metavar="NAME=P1,P2,...", help="Parties that vote as one player; '(independent)' names "
    "every independent. Repeat for several.", show_default=False)]


def _fail(message: str) -> None:
    err.print(f"Error: {message}", markup=False, highlight=False)
    raise typer.Exit(EXIT_PROBLEMS)


def _alliances(specs: list[str]) -> dict[str, list[str]]:
    alliances: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, members = spec.partition("=")
        if not sep or not name.strip() or not members.strip():
            raise UsageProblem(f"--alliance {spec!r}: write NAME=PARTY1,PARTY2,...")
        if name.strip() in alliances:
            raise UsageProblem(f"--alliance {name.strip()!r} is given twice.")
        alliances[name.strip()] = [m for m in members.split(",")]
    return alliances


def _percent(x: Fraction) -> str:
    from .seats.result import percent_text

    return f"{percent_text(x)}%"


def _load_game(source: Path, store: Optional[Path], version: Optional[str], seed: str,
               independents, alliances: dict[str, list[str]]):
    from .blocs import GameError, game_from_result, game_from_rows
    from .ingest.seats_csv import SeatsFileError, read_seats_csv

    try:
        if source.is_dir():
            from .seats.allocate import allocate
            from .seats.laws import LawError
            from .seats.ties import Lot

            data = open_store(source, store).load(version)
            try:
                result = allocate(data, lot=Lot(seed))
            except (LawError, ValueError) as exc:
                _fail(str(exc))
            return game_from_result(result, grouping=independents, alliances=alliances)
        try:
            rows = read_seats_csv(source)
        except SeatsFileError as exc:
            _fail(str(exc))
        return game_from_rows([(r.party, r.seats) for r in rows], grouping=independents, alliances=alliances)
    except GameError as exc:
        raise UsageProblem(str(exc)) from None


def _coalition_text(members: tuple[str, ...], seats: int) -> str:
    return f"{' + '.join(members)} ({seats})"


def _sizes_text(by_size: dict[int, int], shown: int) -> str:
    """"1 of 2 members, 7 of 3, ... (N in all, of 2 to 71 members)": the smallest sizes, then the total."""
    sizes = sorted(by_size)
    parts = [f"{by_size[k]:,} of {k} member{'s' * (k != 1)}" if i == 0 else f"{by_size[k]:,} of {k}"
             for i, k in enumerate(sizes[:shown])]
    if len(sizes) > shown:
        parts.append(f"... ({sum(by_size.values()):,} in all, of {sizes[0]} to {sizes[-1]} members)")
    return ", ".join(parts)


def _print_quota(game, part, max_size: int) -> None:
    p = part.power
    out.print(f"\nQuota {part.quota} of {game.seats} seats; {part.blocking_seats} seats block it.",
              markup=False, highlight=False)
    rows = [(name, pl.seats, _percent(Fraction(pl.seats, game.seats)), _percent(b), _percent(s), _percent(pe))
            for name, pl, b, s, pe in zip(p.players, game.players, p.banzhaf, p.shapley_shubik, p.penrose)]
    print_rows(("player", "seats", "seat share", "Banzhaf", "Shapley-Shubik", "Penrose"), rows,
               title=f"Power at {part.quota} seats")
    lines = []
    mw = part.minimal_winning
    if mw.by_size:
        lines.append(f"Minimal winning coalitions: {_sizes_text(mw.by_size, 4)}.")
        lines += [f"  {_coalition_text(c.members, c.seats)}" for c in mw.coalitions]
        if not mw.coalitions:
            lines.append(f"  (none of at most {max_size} members: --max-size lists larger ones)")
        elif not mw.complete:
            lines.append(f"  (the first {len(mw.coalitions)} of at most {max_size} members: --max-size and "
                         "--limit list more)")
    b = part.blocking
    if b.by_size:
        lines.append(f"Smallest blocking coalitions ({part.blocking_seats} seats or more): "
                     f"{b.by_size[b.smallest]:,} of {b.smallest} member{'s' * (b.smallest != 1)}.")
        lines += [f"  {_coalition_text(c.members, c.seats)}" for c in b.coalitions]
        if not b.complete:
            lines.append(f"  (the first {len(b.coalitions)}; --limit shows more)")
    for a in part.alliances:
        reach = (f"reaches {part.quota} alone" if not a.lacks else f"lacks {a.lacks} of {part.quota}; "
                 + (f"the fewest partners: {a.partners_needed}" if a.partners_needed is not None
                    else "no partners can complete it"))
        block = "can block alone" if a.blocks else f"lacks {a.lacks_to_block} to block"
        lines.append(f"Alliance {a.name}: {a.seats} seats, {reach}; {block}.")
        lines += [f"  + {_coalition_text(c.members, c.seats)}" for c in a.completions.coalitions]
    r = part.roles
    lines.append(f"Pivotal: {len(r.pivotal)} of {len(game.players)} players. "
                 f"Dummies (never decisive): {', '.join(r.dummies) or 'none'}. "
                 f"Veto players: {', '.join(r.veto) or 'none'}.")
    for line in lines:
        out.print(line, markup=False, highlight=False)


def blocs_command(
    source: Annotated[Path, typer.Argument(
        metavar="PACKAGE_OR_SEATS.csv", exists=True, show_default=False,
        help="An election package (its seats are allocated under its law) or a CSV file with the columns "
        "party,seats (a row '(independent)' holds the seats won without a party).")],
    quota: QuotaOpt = None,
    alliance: AllianceOpt = None,
    independents: Annotated[str, typer.Option(
        "--independents", metavar="single|grouped",
        help="Independents as one player each (single) or as one bloc (grouped).")] = "single",
    order: Annotated[Optional[str], typer.Option(
        "--order", metavar="P1,P2,...", help="Players from left to right (or any bloc order): coalitions "
        "must then be connected on it. A party in an alliance stands for it; '(independent)' for every "
        "independent.")] = None,
    max_size: Annotated[int, typer.Option("--max-size", min=1, help="List coalitions of at most this many "
                                          "members (all sizes are counted).")] = 4,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Coalitions listed per kind and quota.")] = 10,
    store: StoreOpt = None, version: VersionOpt = None,
    seed: Annotated[str, typer.Option(help="A package's public seed of the lot for exact ties.")
                    ] = DEFAULT_SEED,
    json: JsonOpt = False,
) -> None:
    """Coalitions and voting power, exactly: Banzhaf, Shapley-Shubik and Penrose indices, the minimal winning
    and smallest blocking coalitions, what each alliance lacks, and who is pivotal, for each quota."""
    from .blocs import GameError, Independents, OrderError, QuotaError, analyse, resolve_quota

    try:
        grouping = Independents(independents.strip().lower())
    except ValueError:
        raise UsageProblem(f"--independents must be single or grouped; got {independents!r}.") from None
    game = _load_game(source, store, version, seed, grouping, _alliances(alliance or []))
    try:
        quotas = [resolve_quota(q, game.seats) for q in (quota or ["majority"])]
        analysis = analyse(game, quotas, independents=grouping,
                           order=order.split(",") if order is not None else None, max_size=max_size,
                           limit=limit)
    except (QuotaError, OrderError, GameError) as exc:
        raise UsageProblem(str(exc)) from None
    if json:
        print_json(analysis.to_dict())
        return
    out.print(f"{game.seats} seats, {len(game.players)} players (independents {grouping.value}"
              f"{'; coalitions connected on the order given' if order is not None else ''}).",
              markup=False, highlight=False)
    for part in analysis.quotas:
        _print_quota(game, part, max_size)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `tallycheck` app."""
    app.command("blocs")(blocs_command)
