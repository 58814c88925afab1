"""Views of the reports module."""
from flask import Blueprint

bp = Blueprint("reports", __name__)
