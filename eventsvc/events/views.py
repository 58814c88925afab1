"""Views of the events module."""
from flask import Blueprint

bp = Blueprint("events", __name__)
