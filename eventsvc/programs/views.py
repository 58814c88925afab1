"""Views of the programs module."""
from flask import Blueprint

bp = Blueprint("programs", __name__)
