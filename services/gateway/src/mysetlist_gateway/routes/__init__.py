"""The HTTP routes, one module per resource; `app.py` includes each module's `router`.

A route module imports what it shares with others from `deps`, `schemas` and the service modules beside
this package, never from another route module.
"""
