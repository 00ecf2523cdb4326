"""The inventory metrics refresh in three steps: ``load`` (one query per dataset),
``compute`` (whole arrays through ``inventory.policy``) and ``write`` (bulk). The service that
runs them is ``inventory.metrics.inventory_refresh``."""
