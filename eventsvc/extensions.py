"""Flask extension singletons, bound to the app in create_app."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from eventsvc.db import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
# Keyed by client IP unless a limit names its own key; storage, headers and the on/off switch come from
# config (RATELIMIT_*), bound by eventsvc.core.ratelimits.init_rate_limits. Behind a reverse proxy the
# app must see the real client address (ProxyFix), or every worker shares the proxy's budget.
limiter = Limiter(key_func=get_remote_address)
