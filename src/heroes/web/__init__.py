"""The review web app and REST API (``heroes serve``): a thin FastAPI adapter over the case store.

Why a web app at all: reviewers categorise thousands of pictures, which needs a fast grid with
wellbeing defaults (blurred, greyscale, one picture revealed at a time) and a record of every look
and every decision. The app adds no logic of its own: it checks who may see what, asks the store
(which audits every view with the reviewer's name) and renders the answer. Only this package imports
FastAPI or Starlette.
"""

from heroes.web.app import create_app

__all__ = ["create_app"]
