from config.env import env_bool

from .base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)
LOG_FORMAT = "console"
LOGGING["formatters"]["structured"]["format_name"] = "console"  # noqa: F405
