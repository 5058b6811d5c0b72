"""`python -m popliteal` runs the command line."""

from popliteal.cli import app

app()
