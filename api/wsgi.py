"""The WSGI entry point: Zappa's `app_function` is `api.wsgi.app`."""

from api import create_app

app = create_app()
