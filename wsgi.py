"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""
from eventsvc import create_app

app = create_app()
