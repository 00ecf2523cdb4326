from core.exceptions import Conflict, ValidationFailed


class BomCycle(ValidationFailed):
    code = "bom_cycle"
    default_message = "The BOM would contain a cycle."


class IllegalTransition(Conflict):
    code = "illegal_transition"
    default_message = "The working order cannot move to that status."


class MrpInputError(ValidationFailed):
    default_message = "The MRP run cannot start."
