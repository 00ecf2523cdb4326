from config.env import env_bool

from .base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)
LOG_FORMAT = "console"
LOGGING["formatters"]["structured"]["format_name"] = "console"  # noqa: F405
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", True)  # local receivers
