from core.exceptions import Conflict, Forbidden, ValidationFailed


class IllegalTransition(Conflict):
    code = "illegal_transition"
    default_message = "The purchase order cannot make this transition from its current status."


class ApprovalNeedsAdmin(Forbidden):
    code = "approval_needs_admin"
    default_message = "Orders above the approval threshold need an administrator's approval."


class OverReceipt(ValidationFailed):
    code = "over_receipt"
    default_message = "More would be received than ordered (beyond the tolerance)."


class InvalidOrder(ValidationFailed):
    default_message = "Invalid purchase order."


class IllegalTransfer(Conflict):
    code = "illegal_transition"
    default_message = "The transfer order cannot make this transition from its current status."
