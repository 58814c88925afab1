"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""
from eventsvc import create_app

app = create_app(migrations=False)  # serving needs no alembic; `flask --app eventsvc db upgrade` migrates
