from core.exceptions import DomainError


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many attempts. Try again later."
