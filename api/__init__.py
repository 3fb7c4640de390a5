"""The avnmotion web service (FastAPI).

Start it with ``avnmotion serve`` (see :func:`api.cli.serve`) or, for development,
``uvicorn --factory api.main:create_app``. Everything is configured through
:class:`api.config.Settings` (environment variables prefixed ``AVNMOTION_``).
"""
