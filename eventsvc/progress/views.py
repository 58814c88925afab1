"""Views of the progress module."""
from flask import Blueprint

bp = Blueprint("progress", __name__)
