"""WSGI entry point: `flask --app wsgi run`, `gunicorn wsgi:app`."""

from wms.app import create_app
from wms.realtime import socketio

app = create_app()

if __name__ == "__main__":
    import os

    socketio.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")),
                 allow_unsafe_werkzeug=True)
