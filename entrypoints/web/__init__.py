"""Server-rendered pages (FastAPI + Jinja2, plain forms): login, inbox, task, public progress."""
