from core.exceptions import Conflict, ValidationFailed


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    default_message = "Not enough stock on hand."


class LocationInUse(Conflict):
    code = "location_in_use"
    default_message = "The location still has stock, movements or sales history."


class InvalidMovement(ValidationFailed):
    default_message = "Invalid stock movement."


class ExclusionExists(Conflict):
    code = "exclusion_exists"
    default_message = "The product already has an exclusion; change that one instead."
