"""Domain errors of imports (mapped to the error envelope by ``core.errors``)."""

from __future__ import annotations

from core.exceptions import Conflict


class NotRevertible(Conflict):
    code = "not_revertible"
    default_message = "This import cannot be reverted."


class AlreadyReverted(Conflict):
    code = "already_reverted"
    default_message = "This import has already been reverted."


class RevertConflict(Conflict):
    """A later import (or other work) changed rows this batch wrote."""

    code = "revert_conflict"
    default_message = "Later changes touch the rows this import wrote."
