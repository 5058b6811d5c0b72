"""popliteal: decision support for pain behind the knee (the popliteal fossa)."""

__version__ = "0.1.0"
