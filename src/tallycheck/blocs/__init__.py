"""Coalitions and voting power in an elected parliament (pure core: Python ints and Fractions only).

    game = game_from_result(allocate(data), alliances={"Save the Homeland": ["Sadrist Movement", ...]})
    analysis = analyse(game, [resolve_quota("majority", game.seats), resolve_quota("2/3", game.seats)])

game.py builds the weighted voting game (parties, alliances, independents singly or as one bloc); quota.py
reads quotas; power.py computes exact Banzhaf, Penrose and Shapley-Shubik indices; coalitions.py lists minimal
winning and smallest blocking coalitions, what an alliance lacks, and who is pivotal; analysis.py puts them
together.
"""

from .analysis import BlocsAnalysis, QuotaAnalysis, analyse
from .coalitions import (AllianceNeeds, Coalition, CoalitionList, OrderError, Roles, alliance_needs,
                         minimal_winning, player_order, roles, smallest_blocking)
from .game import (Game, GameError, Independents, Player, PlayerKind, build_game, game_from_result,
                   game_from_rows)
from .power import PowerIndices, coalition_counts, power_indices, without_player
from .quota import QuotaError, blocking_seats, resolve_quota

__all__ = ["AllianceNeeds", "BlocsAnalysis", "Coalition", "CoalitionList", "Game", "GameError",
           "Independents", "OrderError", "Player", "PlayerKind", "PowerIndices", "QuotaAnalysis",
           "QuotaError", "Roles", "alliance_needs", "analyse", "blocking_seats", "build_game",
           "coalition_counts", "game_from_result", "game_from_rows", "minimal_winning", "player_order",
           "power_indices", "resolve_quota", "roles", "smallest_blocking", "without_player"]
