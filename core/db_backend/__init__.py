"""django-tenants' PostgreSQL backend whose connection health check is the request's own
``SET search_path`` (ADR 49)."""
