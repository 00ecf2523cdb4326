from core.exceptions import Conflict, DomainError, ValidationFailed


class WebhookUrlRefused(ValidationFailed):
    code = "webhook_url_refused"
    default_message = "The webhook URL is not allowed."


class NotReplayable(Conflict):
    code = "not_replayable"
    default_message = "Only failed or dead deliveries can be sent again."


class LinkRefused(DomainError):
    status_code = 403
    code = "link_refused"
    default_message = "This download link is invalid or has expired."
