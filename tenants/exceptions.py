from core.exceptions import Conflict, NotFound, ValidationFailed


class TenantNotFound(NotFound):
    default_message = "No such tenant."


class DomainTaken(Conflict):
    default_message = "This domain already routes to another tenant."


class InvalidSlug(ValidationFailed):
    default_message = "Invalid tenant slug."


class BackupRefused(ValidationFailed):
    """A tenant archive that cannot be restored (checksum, newer migrations, wrong format)."""

    code = "backup_refused"
    default_message = "The archive cannot be restored."
