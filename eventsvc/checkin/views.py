"""Views of the checkin module."""
from flask import Blueprint

bp = Blueprint("checkin", __name__)
