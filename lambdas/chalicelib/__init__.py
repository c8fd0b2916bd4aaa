"""Logic of the Chalice app, one module per concern; app.py only routes."""
