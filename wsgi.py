"""WSGI entry point: `gunicorn wsgi:app` in production; `python wsgi.py` runs the development server
(`make run`) and refuses to with WMS_ENV=production."""

from wms.app import create_app
from wms.realtime import socketio

app = create_app()

if __name__ == "__main__":
    import os
    import sys

    if app.config["WMS_ENV"] == "production":  # the development server is not for production
        sys.exit("WMS_ENV=production: serve with gunicorn (see the README, Deploying for many users), "
                 "e.g. gunicorn -k gthread --threads 8 -w 1 -b 127.0.0.1:5000 wsgi:app")
    socketio.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")),
                 allow_unsafe_werkzeug=True)
